#include "policies/failover/RetryPolicy.hpp"

#include <algorithm>
#include <cmath>

namespace hgw::failover {

using std::chrono::milliseconds;

const char* to_string(NextStep::Kind k) {
  switch (k) {
    case NextStep::Kind::retry_same: return "retry_same";
    case NextStep::Kind::next_target: return "next_target";
    case NextStep::Kind::give_up: return "give_up";
  }
  return "unknown";
}

milliseconds backoff_delay(const config::RetryConfig& r, int k,
                           const std::function<double()>& uniform01) {
  k = std::clamp(k, 0, 40);
  double cap = static_cast<double>(r.backoff_ms) * std::ldexp(1.0, k);
  cap = std::min(cap, static_cast<double>(r.max_backoff_ms));
  if (cap <= 0) return milliseconds(0);
  double u = 1.0;
  if (uniform01) {
    u = uniform01();
    if (!(u >= 0.0)) u = 0.0;  // also NaN
    if (u >= 1.0) u = std::nextafter(1.0, 0.0);
  }
  return milliseconds(static_cast<std::int64_t>(std::floor(cap * u)));
}

NextStep next_step(const AttemptContext& c, const config::RouteConfig& route,
                   const std::function<double()>& uniform01) {
  using Kind = NextStep::Kind;
  auto give_up = [](const char* why) { return NextStep{Kind::give_up, milliseconds(0), why}; };
  auto move_on = [&](const char* why) {
    if (!c.has_next_target) return give_up("no_next_target");
    return NextStep{Kind::next_target, milliseconds(0), why};
  };

  switch (c.outcome) {
    case Outcome::success: return give_up("success");
    case Outcome::cancelled: return give_up("cancelled");
    default: break;
  }
  if (c.bytes_sent_to_client) return give_up("bytes_sent");
  if (c.remaining_deadline <= milliseconds(0)) return give_up("deadline_exceeded");
  if (c.outcome == Outcome::bad_request) return give_up("bad_request");
  if (!is_failover_trigger(c.outcome, route.failover)) return give_up("not_in_failover_on");

  switch (c.outcome) {
    case Outcome::connect_error:
    case Outcome::reset:
    case Outcome::http_5xx:
    case Outcome::http_429:
    case Outcome::malformed:
      break;  // transient: below
    default:
      return move_on("never_same_backend");
  }

  const auto max_attempts = static_cast<int>(route.retry.attempts);
  if (c.outcome == Outcome::http_429 && c.retry_after) {
    const milliseconds wait = std::max(*c.retry_after, milliseconds(0));
    if (wait >= c.remaining_deadline) return move_on("retry_after_exceeds_deadline");
    if (c.has_next_target && wait > milliseconds(route.retry.max_backoff_ms))
      return move_on("retry_after_too_long");
    if (c.attempts_on_this_backend >= max_attempts) return move_on("attempts_exhausted");
    if (!c.retry_budget_allows) return move_on("retry_budget_exhausted");
    return NextStep{Kind::retry_same, wait, "retry_after"};
  }
  if (c.attempts_on_this_backend >= max_attempts) return move_on("attempts_exhausted");
  if (!c.retry_budget_allows) return move_on("retry_budget_exhausted");
  const milliseconds delay =
      backoff_delay(route.retry, std::max(0, c.attempts_on_this_backend - 1), uniform01);
  if (delay >= c.remaining_deadline) return move_on("backoff_exceeds_deadline");
  return NextStep{Kind::retry_same, delay, "retry_transient"};
}

bool larger_context(const config::BackendConfig& failed, const config::BackendConfig& candidate) {
  if (candidate.name == failed.name) return false;
  if (candidate.context_window != 0 && failed.context_window != 0)
    return candidate.context_window > failed.context_window;
  if (candidate.model == failed.model) return false;
  return true;
}

}  // namespace hgw::failover
