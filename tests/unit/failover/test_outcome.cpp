// Outcome classification of upstream error replies, Retry-After parsing and
// the failover.on category mapping.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "policies/failover/Outcome.hpp"
#include "policies/failover/UpstreamErrorClassifier.hpp"

using namespace hgw::failover;
using namespace std::chrono;

namespace {
struct Case {
  const char* provider;
  int status;
  std::string body;
  Outcome expected;
};
}  // namespace

TEST_CASE("classify_http_error: provider error bodies", "[failover][outcome]") {
  const Case cases[] = {
      // ---- context length -----------------------------------------------------
      {"openai", 400,
       R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})",
       Outcome::context_length},
      {"azure", 400,
       R"({"error":{"message":"This model's maximum context length is 8192 tokens, however you requested 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded","status":400}})",
       Outcome::context_length},
      {"anthropic", 400,
       R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215344 tokens > 200000 maximum"}})",
       Outcome::context_length},
      {"anthropic-max-tokens", 400,
       R"({"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000, decrease input length or `max_tokens` and try again"}})",
       Outcome::context_length},
      {"vllm-legacy", 400,
       R"({"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400})",
       Outcome::context_length},
      {"vllm", 400,
       R"({"error":{"message":"'max_tokens' or 'max_completion_tokens' is too large: 5000. This model's maximum context length is 4096 tokens and your request has 100 input tokens (5000 > 4096 - 100).","type":"BadRequestError","param":null,"code":400}})",
       Outcome::context_length},
      {"sglang", 400,
       R"({"object":"error","message":"The input (40000 tokens) is longer than the model's context length (32768 tokens).","type":"BadRequestError","param":null,"code":400})",
       Outcome::context_length},
      {"tgi", 422,
       R"({"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`","error_type":"validation"})",
       Outcome::context_length},
      {"tgi-inputs", 422,
       R"({"error":"Input validation error: `inputs` must have less than 4096 tokens. Given: 5000","error_type":"validation"})",
       Outcome::context_length},
      {"llama.cpp", 400,
       R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}})",
       Outcome::context_length},
      {"plain-text", 413, "prompt is too long", Outcome::context_length},
      {"truncated-json", 400, R"({"error":{"code":"context_length_exceeded","message":"This model's max)",
       Outcome::context_length},
      // ---- content policy ------------------------------------------------------
      {"openai-images", 400,
       R"({"error":{"code":"content_policy_violation","message":"Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.","param":null,"type":"invalid_request_error"}})",
       Outcome::content_policy},
      {"openai-invalid-prompt", 400,
       R"({"error":{"message":"Invalid prompt: your prompt was flagged as potentially violating our usage policy. Please try again with a different prompt.","type":"invalid_request_error","param":null,"code":"invalid_prompt"}})",
       Outcome::content_policy},
      {"azure-content-filter", 400,
       R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"},"self_harm":{"filtered":false,"severity":"safe"}}}}})",
       Outcome::content_policy},
      {"anthropic-content", 400,
       R"({"type":"error","error":{"type":"invalid_request_error","message":"Output blocked by content filtering policy"}})",
       Outcome::content_policy},
      // ---- other 4xx -------------------------------------------------------------
      {"openai-bad-param", 400,
       R"({"error":{"message":"Invalid value for 'temperature': expected a number <= 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}})",
       Outcome::bad_request},
      {"anthropic-auth", 401,
       R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
       Outcome::bad_request},
      {"vllm-model", 404,
       R"({"object":"error","message":"The model `foo` does not exist.","type":"NotFoundError","param":null,"code":404})",
       Outcome::bad_request},
      {"anthropic-bytes", 413,
       R"({"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}})",
       Outcome::bad_request},
      {"fastapi-422", 422, R"({"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"}]})",
       Outcome::bad_request},
      {"empty", 400, "", Outcome::bad_request},
      {"garbage", 400, std::string("\x00\xff{{[", 5), Outcome::bad_request},
      // ---- status decides ----------------------------------------------------------
      {"openai-429", 429,
       R"({"error":{"message":"Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.","type":"tokens","param":null,"code":"rate_limit_exceeded"}})",
       Outcome::http_429},
      {"anthropic-429", 429, R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})",
       Outcome::http_429},
      {"anthropic-529", 529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
       Outcome::http_5xx},
      {"openai-500", 500, R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}})",
       Outcome::http_5xx},
      {"nginx-502", 502, "<html><body>502 Bad Gateway</body></html>", Outcome::http_5xx},
      {"503-context-words", 503, R"({"error":{"code":"context_length_exceeded"}})", Outcome::http_5xx},
      {"504", 504, "", Outcome::http_5xx},
      {"408", 408, "request timeout", Outcome::timeout_first_token},
      {"302", 302, "", Outcome::malformed},
      {"200", 200, "{}", Outcome::malformed},
      {"600", 600, "", Outcome::malformed},
  };
  for (const auto& c : cases) {
    INFO(c.provider << " " << c.status);
    CHECK(classify_http_error(c.status, c.body) == c.expected);
  }
}

TEST_CASE("classify_http_error: only the first 64 KiB are scanned", "[failover][outcome]") {
  std::string body(70 * 1024, ' ');
  body += "prompt is too long";
  CHECK(classify_http_error(400, body) == Outcome::bad_request);
  CHECK(classify_http_error(400, "prompt is too long" + body) == Outcome::context_length);
}

TEST_CASE("to_string and outcome_from_string round-trip", "[failover][outcome]") {
  for (auto o : kAllOutcomes) {
    std::string name = to_string(o);
    CHECK(name != "unknown");
    for (char c : name) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'));
    CHECK(outcome_from_string(name) == o);
  }
  CHECK(std::string(to_string(Outcome::timeout_first_token)) == "timeout_first_token");
  CHECK(std::string(to_string(Outcome::http_429)) == "http_429");
  CHECK_FALSE(outcome_from_string("nope"));
}

TEST_CASE("is_failover_trigger maps outcomes to failover.on categories", "[failover][outcome]") {
  hgw::config::FailoverConfig def;  // defaults from Config.hpp
  CHECK(is_failover_trigger(Outcome::connect_error, def));
  CHECK(is_failover_trigger(Outcome::tls_error, def));
  CHECK(is_failover_trigger(Outcome::timeout_connect, def));
  CHECK(is_failover_trigger(Outcome::timeout_first_token, def));
  CHECK(is_failover_trigger(Outcome::timeout_idle, def));
  CHECK(is_failover_trigger(Outcome::timeout_total, def));
  CHECK(is_failover_trigger(Outcome::http_429, def));
  CHECK(is_failover_trigger(Outcome::http_5xx, def));
  CHECK(is_failover_trigger(Outcome::reset, def));
  CHECK(is_failover_trigger(Outcome::malformed, def));
  CHECK(is_failover_trigger(Outcome::context_length, def));
  CHECK(is_failover_trigger(Outcome::circuit_open, def));
  CHECK(is_failover_trigger(Outcome::queue_full, def));  // via circuit_open
  CHECK_FALSE(is_failover_trigger(Outcome::content_policy, def));
  CHECK_FALSE(is_failover_trigger(Outcome::success, def));
  CHECK_FALSE(is_failover_trigger(Outcome::bad_request, def));
  CHECK_FALSE(is_failover_trigger(Outcome::cancelled, def));

  hgw::config::FailoverConfig only_timeout;
  only_timeout.on = {"timeout"};
  CHECK(is_failover_trigger(Outcome::timeout_connect, only_timeout));
  CHECK(is_failover_trigger(Outcome::timeout_first_token, only_timeout));
  CHECK(is_failover_trigger(Outcome::timeout_idle, only_timeout));
  CHECK(is_failover_trigger(Outcome::timeout_total, only_timeout));
  CHECK_FALSE(is_failover_trigger(Outcome::connect_error, only_timeout));
  CHECK_FALSE(is_failover_trigger(Outcome::http_5xx, only_timeout));

  hgw::config::FailoverConfig policy;
  policy.on = {"content_policy", "queue_full"};
  CHECK(is_failover_trigger(Outcome::content_policy, policy));
  CHECK(is_failover_trigger(Outcome::queue_full, policy));
  CHECK_FALSE(is_failover_trigger(Outcome::circuit_open, policy));

  hgw::config::FailoverConfig none;
  none.on = {};
  for (auto o : kAllOutcomes) CHECK_FALSE(is_failover_trigger(o, none));

  for (const auto& name : def.on) CHECK(is_failover_category(name));
  CHECK(is_failover_category("content_policy"));
  CHECK(is_failover_category("queue_full"));
  CHECK_FALSE(is_failover_category("5xx"));
  CHECK(failover_categories().size() == 11);
}

TEST_CASE("breaker_verdict", "[failover][outcome]") {
  CHECK(breaker_verdict(Outcome::success) == BreakerVerdict::success);
  CHECK(breaker_verdict(Outcome::context_length) == BreakerVerdict::success);
  CHECK(breaker_verdict(Outcome::bad_request) == BreakerVerdict::success);
  CHECK(breaker_verdict(Outcome::http_5xx) == BreakerVerdict::failure);
  CHECK(breaker_verdict(Outcome::http_429) == BreakerVerdict::failure);
  CHECK(breaker_verdict(Outcome::timeout_first_token) == BreakerVerdict::failure);
  CHECK(breaker_verdict(Outcome::reset) == BreakerVerdict::failure);
  CHECK(breaker_verdict(Outcome::cancelled) == BreakerVerdict::none);
  CHECK(breaker_verdict(Outcome::circuit_open) == BreakerVerdict::none);
  CHECK(breaker_verdict(Outcome::queue_full) == BreakerVerdict::none);
}
