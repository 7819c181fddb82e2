#include "policies/failover/Outcome.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace hgw::failover {

namespace {

constexpr std::array<std::pair<Outcome, const char*>, 17> kNames{{
    {Outcome::success, "success"},
    {Outcome::connect_error, "connect_error"},
    {Outcome::tls_error, "tls_error"},
    {Outcome::timeout_connect, "timeout_connect"},
    {Outcome::timeout_first_token, "timeout_first_token"},
    {Outcome::timeout_idle, "timeout_idle"},
    {Outcome::timeout_total, "timeout_total"},
    {Outcome::http_429, "http_429"},
    {Outcome::http_5xx, "http_5xx"},
    {Outcome::context_length, "context_length"},
    {Outcome::content_policy, "content_policy"},
    {Outcome::bad_request, "bad_request"},
    {Outcome::reset, "reset"},
    {Outcome::malformed, "malformed"},
    {Outcome::circuit_open, "circuit_open"},
    {Outcome::queue_full, "queue_full"},
    {Outcome::cancelled, "cancelled"},
}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

// ---- error body classification ----------------------------------------------

constexpr std::size_t kMaxBodyScan = 64 * 1024;

// Every string value of a JSON body (depth-limited), lowercased. Provider error
// shapes differ ({"error":{...}}, {"object":"error","message":...}, TGI's
// {"error":"...","error_type":...}, FastAPI's {"detail":[{"msg":...}]}), so the
// classifier looks at all of them rather than at one path.
void collect_strings(const boost::json::value& v, int depth, std::vector<std::string>& out) {
  if (depth > 8 || out.size() > 256) return;
  switch (v.kind()) {
    case boost::json::kind::string:
      out.push_back(to_lower(v.get_string()));
      break;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) collect_strings(kv.value(), depth + 1, out);
      break;
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) collect_strings(e, depth + 1, out);
      break;
    default:
      break;
  }
}

// Exact code / type values (OpenAI, Azure, llama.cpp).
constexpr std::string_view kContextCodes[] = {
    "context_length_exceeded",    // OpenAI, Azure OpenAI, vLLM (newer)
    "exceed_context_size_error",  // llama.cpp server
};
constexpr std::string_view kContentCodes[] = {
    "content_policy_violation",      // OpenAI
    "content_filter",                // Azure OpenAI
    "responsibleaipolicyviolation",  // Azure OpenAI innererror.code
};

// Message fragments, lowercase.
constexpr std::string_view kContextPhrases[] = {
    "context_length_exceeded",
    "maximum context length",                // OpenAI, Azure, vLLM, Ollama
    "model's context length",                // SGLang, vLLM ("longer than the model's context length")
    "prompt is too long",                    // Anthropic
    "exceed context limit",                  // Anthropic (input + max_tokens)
    "exceeds the context window",
    "exceeds the available context size",    // llama.cpp
    "exceeds the available context",
    "reduce the length of the messages",     // OpenAI
    "`inputs` tokens + `max_new_tokens` must be",  // TGI
    "`inputs` must have less than",          // TGI
    "input is too long for the model",
};
constexpr std::string_view kContentPhrases[] = {
    "content_policy_violation",
    "content management policy",             // Azure OpenAI
    "content filtering policy",              // Anthropic ("Output blocked by content filtering policy")
    "violating our usage policy",            // OpenAI invalid_prompt
    "flagged as potentially violating",
    "rejected as a result of our safety system",  // OpenAI
    "flagged by moderation",
    "content policy",
};

template <std::size_t N>
bool any_equal(const std::vector<std::string>& values, const std::string_view (&needles)[N]) {
  for (const auto& v : values)
    for (auto n : needles)
      if (v == n) return true;
  return false;
}

template <std::size_t N>
bool any_contains(const std::vector<std::string>& values, const std::string_view (&needles)[N]) {
  for (const auto& v : values)
    for (auto n : needles)
      if (v.find(n) != std::string::npos) return true;
  return false;
}

// ---- Retry-After parsing -----------------------------------------------------

constexpr auto kMaxRetryAfter = std::chrono::milliseconds(24 * 3600 * 1000);

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Non-negative decimal number: digits with at most one '.', nothing else.
std::optional<double> parse_decimal(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 32) return std::nullopt;
  int dots = 0, digits = 0;
  for (char c : s) {
    if (c == '.') ++dots;
    else if (c >= '0' && c <= '9') ++digits;
    else return std::nullopt;
  }
  if (dots > 1 || digits == 0) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::chrono::milliseconds ms_from_double(double ms) {
  if (ms >= static_cast<double>(kMaxRetryAfter.count())) return kMaxRetryAfter;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(ms)));
}

struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  void spaces() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  bool lit(char c) {
    if (i < s.size() && s[i] == c) { ++i; return true; }
    return false;
  }
  // Between min and max digits.
  std::optional<int> num(int min_digits, int max_digits) {
    int v = 0, n = 0;
    while (i < s.size() && n < max_digits && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    if (n < min_digits) return std::nullopt;
    return v;
  }
  std::string_view word() {
    std::size_t b = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    return s.substr(b, i - b);
  }
};

std::optional<unsigned> month_of(std::string_view w) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (w.size() != 3) return std::nullopt;
  std::string l = to_lower(w);
  for (unsigned m = 0; m < 12; ++m)
    if (l == kMonths[m]) return m + 1;
  return std::nullopt;
}

bool is_weekday(std::string_view w) {
  static constexpr std::string_view kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  static constexpr std::string_view kLong[] = {"monday", "tuesday", "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
  std::string l = to_lower(w);
  for (auto d : kDays) if (l == d) return true;
  for (auto d : kLong) if (l == d) return true;
  return false;
}

struct Hms { int h, m, s; };

std::optional<Hms> parse_hms(Cursor& c) {
  auto h = c.num(2, 2);
  if (!h || !c.lit(':')) return std::nullopt;
  auto m = c.num(2, 2);
  if (!m || !c.lit(':')) return std::nullopt;
  auto s = c.num(2, 2);
  if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return Hms{*h, *m, *s};
}

std::optional<std::chrono::system_clock::time_point> make_time(int y, unsigned mon, int d, Hms t) {
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{mon}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days{ymd} + hours{t.h} + minutes{t.m} +
                                                 seconds{t.s});
}

bool gmt_zone(Cursor& c) {
  c.spaces();
  auto z = to_lower(c.s.substr(c.i));
  c.i = c.s.size();
  return z == "gmt" || z == "utc" || z == "+0000";
}

// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94
// 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  Cursor c{trim(s)};
  if (!is_weekday(c.word())) return std::nullopt;
  if (c.lit(',')) {
    c.spaces();
    auto d = c.num(1, 2);
    if (!d) return std::nullopt;
    if (c.lit('-')) {  // RFC 850
      auto mon = month_of(c.word());
      if (!mon || !c.lit('-')) return std::nullopt;
      auto yy = c.num(2, 4);
      if (!yy) return std::nullopt;
      int y = *yy < 100 ? (*yy < 70 ? 2000 + *yy : 1900 + *yy) : *yy;
      c.spaces();
      auto t = parse_hms(c);
      if (!t || !gmt_zone(c)) return std::nullopt;
      return make_time(y, *mon, *d, *t);
    }
    c.spaces();
    auto mon = month_of(c.word());
    c.spaces();
    auto y = c.num(4, 4);
    c.spaces();
    if (!mon || !y) return std::nullopt;
    auto t = parse_hms(c);
    if (!t || !gmt_zone(c)) return std::nullopt;
    return make_time(*y, *mon, *d, *t);
  }
  // asctime
  c.spaces();
  auto mon = month_of(c.word());
  c.spaces();
  auto d = c.num(1, 2);
  c.spaces();
  if (!mon || !d) return std::nullopt;
  auto t = parse_hms(c);
  c.spaces();
  auto y = c.num(4, 4);
  if (!t || !y || !c.done()) return std::nullopt;
  return make_time(*y, *mon, *d, *t);
}

}  // namespace

const char* to_string(Outcome o) {
  for (const auto& [k, name] : kNames)
    if (k == o) return name;
  return "unknown";
}

std::optional<Outcome> outcome_from_string(std::string_view s) {
  for (const auto& [k, name] : kNames)
    if (s == name) return k;
  return std::nullopt;
}

Outcome classify_http_error(int status, std::string_view body) {
  if (status < 400 || status > 599) return Outcome::malformed;
  if (status == 429) return Outcome::http_429;
  if (status >= 500) return Outcome::http_5xx;
  if (status == 408) return Outcome::timeout_first_token;

  if (body.size() > kMaxBodyScan) body = body.substr(0, kMaxBodyScan);
  std::vector<std::string> values;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec) collect_strings(v, 0, values);
  if (ec || values.empty()) values.push_back(to_lower(body));  // plain text or truncated JSON

  if (any_equal(values, kContextCodes)) return Outcome::context_length;
  if (any_equal(values, kContentCodes)) return Outcome::content_policy;
  if (any_contains(values, kContextPhrases)) return Outcome::context_length;
  if (any_contains(values, kContentPhrases)) return Outcome::content_policy;
  return Outcome::bad_request;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view retry_after,
                                                           std::string_view retry_after_ms,
                                                           std::chrono::system_clock::time_point now) {
  if (auto ms = parse_decimal(retry_after_ms)) return ms_from_double(*ms);
  if (auto secs = parse_decimal(retry_after)) return ms_from_double(*secs * 1000.0);
  if (auto when = parse_http_date(retry_after)) {
    if (*when <= now) return std::chrono::milliseconds(0);
    auto d = std::chrono::ceil<std::chrono::milliseconds>(*when - now);
    return std::min(d, kMaxRetryAfter);
  }
  return std::nullopt;
}

namespace {
constexpr std::string_view kCategories[] = {"connect",   "tls",         "timeout",
                                            "http_429",  "http_5xx",    "reset",
                                            "malformed", "context_length", "content_policy",
                                            "circuit_open", "queue_full"};

bool listed(const config::FailoverConfig& f, std::string_view cat) {
  return std::find(f.on.begin(), f.on.end(), cat) != f.on.end();
}
}  // namespace

std::span<const std::string_view> failover_categories() { return kCategories; }

bool is_failover_category(std::string_view name) {
  return std::find(std::begin(kCategories), std::end(kCategories), name) != std::end(kCategories);
}

bool is_failover_trigger(Outcome o, const config::FailoverConfig& f) {
  switch (o) {
    case Outcome::connect_error: return listed(f, "connect");
    case Outcome::timeout_connect: return listed(f, "connect") || listed(f, "timeout");
    case Outcome::tls_error: return listed(f, "tls");
    case Outcome::timeout_first_token:
    case Outcome::timeout_idle:
    case Outcome::timeout_total: return listed(f, "timeout");
    case Outcome::http_429: return listed(f, "http_429");
    case Outcome::http_5xx: return listed(f, "http_5xx");
    case Outcome::reset: return listed(f, "reset");
    case Outcome::malformed: return listed(f, "malformed");
    case Outcome::context_length: return listed(f, "context_length");
    case Outcome::content_policy: return listed(f, "content_policy");
    case Outcome::circuit_open: return listed(f, "circuit_open");
    case Outcome::queue_full: return listed(f, "queue_full") || listed(f, "circuit_open");
    case Outcome::success:
    case Outcome::bad_request:
    case Outcome::cancelled: return false;
  }
  return false;
}

BreakerVerdict breaker_verdict(Outcome o) {
  switch (o) {
    case Outcome::success:
    case Outcome::context_length:
    case Outcome::content_policy:
    case Outcome::bad_request: return BreakerVerdict::success;
    case Outcome::connect_error:
    case Outcome::tls_error:
    case Outcome::timeout_connect:
    case Outcome::timeout_first_token:
    case Outcome::timeout_idle:
    case Outcome::timeout_total:
    case Outcome::http_429:
    case Outcome::http_5xx:
    case Outcome::reset:
    case Outcome::malformed: return BreakerVerdict::failure;
    case Outcome::circuit_open:
    case Outcome::queue_full:
    case Outcome::cancelled: return BreakerVerdict::none;
  }
  return BreakerVerdict::none;
}

}  // namespace hgw::failover
