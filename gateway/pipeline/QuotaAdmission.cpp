#include "gateway/pipeline/QuotaAdmission.hpp"

#include "policies/cost/Budget.hpp"
#include "policies/cost/Pricing.hpp"

#include <mutex>

namespace hgw::pipeline {

namespace {

// The answer of a store that may decide on another thread, handed to the
// waiting coroutine: set under the mutex, the waiter woken on its own executor.
struct Waiting {
  explicit Waiting(Executor ex) : executor(ex), timer(ex) {}
  Executor executor;
  Timer timer;
  std::mutex mutex;
  std::optional<state::QuotaGrant> grant;
  bool waiting = false;
  bool gave_up = false;  // decided locally: a late answer only gives back what it took
};

// A grant that came after the request stopped waiting for it holds a
// reservation and rate-limit tokens nobody will settle: give them back now
// rather than leave them to expire.
state::QuotaSettle give_back(const state::QuotaAsk& ask, const state::QuotaGrant& late) {
  state::QuotaSettle s;
  s.tenant = ask.tenant;
  s.day_key = ask.day_key;
  s.month_key = ask.month_key;
  s.reservation = late.reservation;
  s.reserved_usd = late.reserved_usd;
  s.local = late.local;
  s.token_delta = -static_cast<std::int64_t>(std::min<std::uint64_t>(ask.estimate_tokens, INT64_MAX));
  return s;
}

}  // namespace

awaitable<state::QuotaGrant> admit_quota(Services& services, Call& call, double estimate_usd) {
  const auto now = std::chrono::system_clock::now();
  state::QuotaAsk ask;
  ask.tenant = call.tenant;
  ask.day_key = cost::day_key(now);
  ask.month_key = cost::month_key(now);
  ask.estimate_usd = estimate_usd;
  ask.estimate_tokens = cost::saturating_add(call.features.estimated_prompt_tokens,
                                             cost::estimated_output_tokens(call.features.max_tokens));
  ask.now = now;
  call.quota_day_key = ask.day_key;
  call.quota_month_key = ask.month_key;
  call.quota_tokens = ask.estimate_tokens;

  const Executor ex = co_await net::this_coro::executor;
  auto w = std::make_shared<Waiting>(ex);
  auto* store = &services.quota();
  // The configuration keeps the tenant the ask points to alive until the store answers.
  services.quota().admit(ask, [w, store, ask, keep = call.snap->config_ptr()](state::QuotaGrant g) {
    std::lock_guard lock(w->mutex);
    if (w->gave_up) {
      if (g.result == state::QuotaGrant::Result::admitted) store->settle(give_back(ask, g));
      return;
    }
    w->grant = std::move(g);
    if (w->waiting) net::post(w->executor, [w] { w->timer.cancel(); });
  });
  {
    std::lock_guard lock(w->mutex);
    if (w->grant) co_return std::move(*w->grant);  // decided at once (in the process)
    w->waiting = true;
  }
  const auto timeout = std::chrono::milliseconds(call.config().state.redis_timeout_ms) * 2;
  w->timer.expires_after(timeout);
  co_await w->timer.async_wait(use_nothrow);
  {
    std::lock_guard lock(w->mutex);
    if (w->grant) co_return std::move(*w->grant);
    w->waiting = false;
    w->gave_up = true;
  }
  co_return services.quota().admit_locally(ask);
}

void settle_quota(Services& services, const Call& call) {
  if (!call.tenant || !call.quota_taken) return;
  state::QuotaSettle s;
  s.tenant = call.tenant;
  s.day_key = call.quota_day_key;
  s.month_key = call.quota_month_key;
  s.reservation = call.quota.reservation;
  s.reserved_usd = call.quota.reserved_usd;
  s.local = call.quota.local;
  s.actual_usd = call.usage.known ? call.cost_usd : 0.0;
  const std::uint64_t actual = call.usage.known ? cost::saturating_add(call.usage.input, call.usage.output) : 0;
  s.token_delta = static_cast<std::int64_t>(std::min<std::uint64_t>(actual, INT64_MAX)) -
                  static_cast<std::int64_t>(std::min<std::uint64_t>(call.quota_tokens, INT64_MAX));
  services.quota().settle(s);
}

}  // namespace hgw::pipeline
