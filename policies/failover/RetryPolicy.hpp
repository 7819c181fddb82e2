// What to do after an attempt failed: retry the same backend (after a delay),
// move to the next target, or give up. Pure decision table; the gateway owns
// the timers, the candidate list and the retry budgets, and reports the facts
// in AttemptContext. The same code path serves `hybridgw explain`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "gateway/config/Config.hpp"
#include "policies/failover/Outcome.hpp"

namespace hgw::failover {

struct NextStep {
  enum class Kind { retry_same, next_target, give_up } kind;
  std::chrono::milliseconds delay{0};  // retry_same only; always < remaining_deadline
  // The rule that decided, a stable snake_case token (decision trace, logs):
  //   success, cancelled, bytes_sent, deadline_exceeded, bad_request,
  //   not_in_failover_on, no_next_target, never_same_backend, retry_after,
  //   retry_after_exceeds_deadline, retry_after_too_long, retry_transient,
  //   attempts_exhausted, retry_budget_exhausted, backoff_exceeds_deadline
  std::string reason;
};

const char* to_string(NextStep::Kind);

struct AttemptContext {
  Outcome outcome = Outcome::success;
  int attempts_on_this_backend = 1;  // including the one that just failed
  std::optional<std::chrono::milliseconds> retry_after;  // parse_retry_after of the reply
  std::chrono::milliseconds remaining_deadline{0};       // until the request's overall deadline
  bool bytes_sent_to_client = false;  // after the first byte: always give_up
  // RetryBudget::try_acquire_retry. To spend a budget token only on a retry
  // that really happens: decide with true; if the answer is retry_same, call
  // try_acquire_retry(); if that fails, decide again with false.
  bool retry_budget_allows = true;
  bool has_next_target = false;       // a further candidate exists
};

// The decision table, in order (first match wins):
//  1. success → give_up(success); cancelled → give_up(cancelled)
//  2. bytes already sent to the client → give_up(bytes_sent) — the gateway ends
//     the stream with an SSE error event, never a retry
//  3. remaining_deadline ≤ 0 → give_up(deadline_exceeded)
//  4. bad_request → give_up(bad_request): the upstream's reply goes back as is
//  5. outcome not in route.failover.on (see is_failover_trigger) → give_up
//     (not_in_failover_on); this includes content_policy unless listed
//  6. never the same backend again → next_target(never_same_backend):
//     timeout_connect, timeout_first_token, timeout_idle, timeout_total
//     (waiting twice for a silent server only doubles the wait), tls_error (not
//     transient), context_length (the gateway skips candidates for which
//     larger_context() is false), content_policy, circuit_open, queue_full
//  7. transient (connect_error, reset, http_5xx, http_429, malformed):
//     a. http_429 with Retry-After: if it is not shorter than the remaining
//        deadline → next_target at once (retry_after_exceeds_deadline); if a
//        next target exists and Retry-After is longer than retry.max_backoff_ms
//        → next_target at once (retry_after_too_long: a fallback now beats a
//        long wait); else, if attempts and budget allow, retry_same after
//        exactly Retry-After (retry_after)
//     b. attempts_on_this_backend ≥ retry.attempts → next_target (attempts_exhausted)
//     c. !retry_budget_allows → next_target (retry_budget_exhausted)
//     d. delay = backoff_delay(...); delay ≥ remaining_deadline → next_target
//        (backoff_exceeds_deadline); else retry_same(retry_transient)
// Wherever next_target is chosen but has_next_target is false: give_up
// (no_next_target). next_target never carries a delay.
NextStep next_step(const AttemptContext&, const config::RouteConfig&,
                   const std::function<double()>& uniform01);

// Full-jitter exponential backoff for retry number k (0 = the first retry):
// min(max_backoff_ms, backoff_ms × 2^k) × U where U = uniform01() ∈ [0, 1)
// (clamped). An empty uniform01 means no jitter (the cap itself).
std::chrono::milliseconds backoff_delay(const config::RetryConfig&, int k,
                                        const std::function<double()>& uniform01);

// After a context_length failure on `failed`: may `candidate` take the request?
// Never the same backend; a known larger context_window → yes; both windows
// known and not larger → no; an unknown window (0) → yes unless it is the same
// model id (the same model has the same window).
bool larger_context(const config::BackendConfig& failed, const config::BackendConfig& candidate);

}  // namespace hgw::failover
