#include "gateway/protocol/RetryAfter.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace hgw::protocol {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
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

}  // namespace hgw::protocol
