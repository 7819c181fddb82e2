// The outcome of one upstream attempt, the failover categories an outcome
// belongs to, and what it says about the backend's health. Pure. Outcome names are metric label values
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
