#include "gateway/pipeline/AttemptLoop.hpp"

#include "gateway/pipeline/BackendLease.hpp"
#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/StreamContinuation.hpp"
#include "gateway/pipeline/StreamRelay.hpp"
#include "gateway/pipeline/UpstreamAttempt.hpp"
#include "policies/failover/Deadline.hpp"
#include "policies/failover/RetryPolicy.hpp"

#include <random>

namespace hgw::pipeline {

using failover::Outcome;

namespace {

double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// What the policy says after a failed attempt; a retry spends the backend's
// retry budget only when it really happens.
failover::NextStep next_step(const Call& call, BackendState& state, const AttemptResult& last, int attempts_here,
                             bool has_next, Clock::time_point deadline) {
  failover::AttemptContext ctx;
  ctx.outcome = last.outcome;
  ctx.attempts_on_this_backend = attempts_here;
  ctx.retry_after = last.retry_after;
  ctx.remaining_deadline = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  ctx.bytes_sent_to_client = false;
  ctx.has_next_target = has_next;
  ctx.retry_budget_allows = true;
  auto step = failover::next_step(ctx, *call.route, uniform01);
  if (step.kind == failover::NextStep::Kind::retry_same && !state.retry_budget.try_acquire_retry(Clock::now())) {
    ctx.retry_budget_allows = false;
    step = failover::next_step(ctx, *call.route, uniform01);
  }
  return step;
}

// The request ended on this attempt (served, committed, or the client left).
bool final_attempt(Call& call, const AttemptResult& r) {
  if (r.outcome != Outcome::success && !r.bytes_sent && r.outcome != Outcome::cancelled) return false;
  if (r.outcome == Outcome::cancelled) {
    // 499 is nginx's "client closed request"; a stream the client left keeps
    // the 200 it already received.
    if (!r.bytes_sent) call.status = 499;
    call.outcome = "client_closed";
  }
  return true;
}

// One attempt on backend b, its lease taken and given back around it.
awaitable<void> attempt_on(Services& services, upstream::PoolSet& pools, Call& call, int b,
                           Clock::time_point deadline, AttemptResult& r) {
  ++call.attempts;
  call.backend = b;
  // Two statements, not a conditional around the co_await: GCC 12 miscompiles that.
  BackendLease::Acquired acquired;
  if (BackendLease::may_wait(call, b))
    acquired = co_await BackendLease::acquire_waiting(call, b, deadline);
  else
    acquired = BackendLease::acquire_now(call, b);
  if (!acquired.lease) {
    r.outcome = acquired.refused;
    r.detail = std::move(acquired.detail);
  } else {
    const auto start = Clock::now();
    co_await run_attempt(services, pools, call, b, deadline, r);
    const auto took = Clock::now() - start;
    call.upstream_time += took;
    acquired.lease->record(r.outcome, took);
  }
  acquired.lease.reset();
  call.snap->metrics().attempts(b, failover::to_string(r.outcome)).Increment();
}

// A committed stream broke and stays open (call.continuation): the next
// targets of the plan that may continue it are asked, one after the other,
// until one finishes the answer; none left, the stream ends with its error.
awaitable<void> continue_stream(Services& services, upstream::PoolSet& pools, Call& call, std::size_t pos,
                                Clock::time_point deadline) {
  auto& c = *call.continuation;
  auto& metrics = call.snap->metrics();
  for (int next = next_continuation(call, pos, c.from, c.pipeline->answer_text()); next >= 0;
       next = next_continuation(call, static_cast<std::size_t>(next), c.from, c.pipeline->answer_text())) {
    const int b = call.decision.order[static_cast<std::size_t>(next)];
    const char* reason = failover::to_string(c.reason);
    metrics.stream_continuations(call.route_index, c.from, b, reason).Increment();
    if (!call.continued.empty()) call.continued += ',';
    call.continued += call.config().backends[c.from].name + ">" + call.config().backends[b].name + ":" + reason;
    AttemptResult r;
    co_await attempt_on(services, pools, call, b, deadline, r);
    if (!r.continuable) {
      // Finished, the client left, or the attempt failed before its stream
      // began (it sent nothing): the last two end here or try the next.
      if (r.outcome == Outcome::success || r.outcome == Outcome::cancelled) {
        final_attempt(call, r);
        co_return;
      }
    }
  }
  co_await end_broken_stream(call, *c.pipeline, c.from, c.reason, c.message);
  call.usage = carried_usage(call);
}

}  // namespace

awaitable<void> run_attempts(Services& services, upstream::PoolSet& pools, Call& call) {
  const auto& cfg = call.config();
  const auto& route = *call.route;
  auto& metrics = call.snap->metrics();
  const auto& order = call.decision.order;
  const auto deadline = call.received_at + failover::request_deadline(route, cfg, order);

  AttemptResult last;
  bool have_last = false;
  int context_failed_on = -1;
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const int b = order[pos];
    auto& state = call.snap->backend(b);
    if (context_failed_on >= 0 && !failover::larger_context(cfg.backends[context_failed_on], cfg.backends[b]))
      continue;  // the same prompt would not fit here either
    if (!protocol::backend_codec(cfg.backends[b].protocol).serves(call.endpoint)) continue;
    int attempts_here = 0;
    state.retry_budget.on_request(Clock::now());
    for (;;) {
      AttemptResult r;
      ++attempts_here;
      co_await attempt_on(services, pools, call, b, deadline, r);
      if (r.continuable) {
        co_await continue_stream(services, pools, call, pos, deadline);
        co_return;
      }
      if (final_attempt(call, r)) co_return;
      last = std::move(r);
      have_last = true;

      const bool has_next = pos + 1 < order.size();
      const auto step = next_step(call, state, last, attempts_here, has_next, deadline);
      if (step.kind == failover::NextStep::Kind::retry_same) {
        if (step.delay.count() > 0) {
          Timer timer(co_await net::this_coro::executor);
          timer.expires_after(step.delay);
          co_await timer.async_wait(use_nothrow);
        }
        continue;
      }
      if (step.kind == failover::NextStep::Kind::next_target) {
        if (last.outcome == Outcome::context_length) context_failed_on = b;
        if (has_next)
          metrics.failovers(call.route_index, b, order[pos + 1], failover::to_string(last.outcome)).Increment();
        break;
      }
      co_await reply_upstream_failure(call, last);
      co_return;
    }
  }
  if (have_last)
    co_await reply_upstream_failure(call, last);
  else if (context_failed_on >= 0)
    co_await reply_error(call, 400,
                         "no target of route " + route.name +
                             " has a larger context window than the one that rejected the prompt",
                         "invalid_request_error", "context_length_exceeded");
  else
    co_await reply_error(call, 400,
                         "no target of route " + route.name + " serves " + call.path +
                             " (Anthropic backends serve chat completions only)",
                         "invalid_request_error", "unsupported_endpoint");
}

}  // namespace hgw::pipeline
