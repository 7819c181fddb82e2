#include "policies/failover/UpstreamErrorClassifier.hpp"

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace hgw::failover {

namespace {

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

}  // namespace

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

}  // namespace hgw::failover
