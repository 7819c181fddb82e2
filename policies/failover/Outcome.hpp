// The outcome of one upstream attempt, and how an upstream error reply maps to
// one. Pure: the gateway hands in what it saw (status, body, headers, time);
// nothing here does I/O. Outcome names are metric label values
// (hybridgw_attempts_total{outcome}) and decision-trace reasons: a contract.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

#include "gateway/config/Config.hpp"

namespace hgw::failover {

enum class Outcome {
  success,
  connect_error,        // TCP connect refused / unreachable / DNS failure
  tls_error,            // handshake or certificate verification failed
  timeout_connect,      // timeouts.connect_ms
  timeout_first_token,  // timeouts.first_token_ms (headers or first chunk never came)
  timeout_idle,         // timeouts.idle_ms (the body / stream stalled)
  timeout_total,        // timeouts.total_ms for this attempt
  http_429,
  http_5xx,
  context_length,       // the prompt does not fit this model's context window
  content_policy,       // the provider refused the content
  bad_request,          // any other 4xx: the request's fault, returned as is
  reset,                // connection reset / closed before a complete response
  malformed,            // unparseable response, bad chunk, unexpected status
  circuit_open,         // not attempted: the backend's circuit is open
  queue_full,           // not attempted: max_concurrency + max_queue exhausted (or queue timeout)
  cancelled,            // the client went away
};

inline constexpr Outcome kAllOutcomes[] = {
    Outcome::success,        Outcome::connect_error,  Outcome::tls_error,
    Outcome::timeout_connect, Outcome::timeout_first_token, Outcome::timeout_idle,
    Outcome::timeout_total,  Outcome::http_429,       Outcome::http_5xx,
    Outcome::context_length, Outcome::content_policy, Outcome::bad_request,
    Outcome::reset,          Outcome::malformed,      Outcome::circuit_open,
    Outcome::queue_full,     Outcome::cancelled,
};

// snake_case name, equal to the enumerator's name.
const char* to_string(Outcome);
std::optional<Outcome> outcome_from_string(std::string_view);

// Classifies an upstream HTTP error reply from its status and body (any
// provider: OpenAI, Azure OpenAI, Anthropic, vLLM, TGI, llama.cpp, SGLang,
// Ollama). Only the first 64 KiB of the body are looked at.
//   429                         → http_429
//   5xx                         → http_5xx (whatever the body says)
//   408                         → timeout_first_token: the upstream itself gave
//                                 up before producing anything; like a silent
//                                 server, it is failed over, not retried
//   other 4xx, context overflow → context_length (OpenAI/Azure code
//                                 context_length_exceeded, Anthropic "prompt is
//                                 too long", vLLM/SGLang/TGI/llama.cpp messages)
//   other 4xx, content refusal  → content_policy (OpenAI
//                                 content_policy_violation / usage policy, Azure
//                                 content_filter / ResponsibleAIPolicyViolation,
//                                 Anthropic "content filtering policy")
//   other 4xx                   → bad_request
//   anything < 400              → malformed (the caller should not pass a
//                                 success here; 1xx/3xx are not followed)
Outcome classify_http_error(int status, std::string_view body);

// Retry-After: delta-seconds (decimals tolerated) or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime), relative to `now`; a date in the past gives 0. The
// OpenAI/Azure `retry-after-ms` header, when valid, wins (it is more precise).
// Empty, negative or unparseable values give nullopt. Values are capped at 24 h.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after, std::string_view retry_after_ms,
    std::chrono::system_clock::time_point now);

// The category names accepted in routes[].failover.on. Each outcome belongs to
// the categories below; an outcome triggers a move when one of them is listed.
//   connect        connect_error, timeout_connect
//   tls            tls_error
//   timeout        timeout_connect, timeout_first_token, timeout_idle, timeout_total
//   http_429       http_429
//   http_5xx       http_5xx
//   reset          reset
//   malformed      malformed
//   context_length context_length
//   content_policy content_policy
//   circuit_open   circuit_open, queue_full (nothing was sent upstream)
//   queue_full     queue_full
// success, bad_request and cancelled never trigger anything.
std::span<const std::string_view> failover_categories();
bool is_failover_category(std::string_view name);
bool is_failover_trigger(Outcome, const config::FailoverConfig&);

// What an outcome says about the backend's health, for CircuitBreaker:
// failure (it broke or is overloaded: connect/tls/timeouts/429/5xx/reset/
// malformed), success (it answered, even if it refused the request: success,
// context_length, content_policy, bad_request), or none (no verdict: the
// attempt never reached it or the client left: circuit_open, queue_full,
// cancelled — for a half-open probe, call CircuitBreaker::on_probe_abandoned).
enum class BreakerVerdict { success, failure, none };
BreakerVerdict breaker_verdict(Outcome);

}  // namespace hgw::failover
