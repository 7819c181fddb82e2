#include "gateway/pipeline/QuotaAdmission.hpp"

#include "policies/cost/Budget.hpp"
#include "policies/cost/Pricing.hpp"

#include "gateway/pipeline/CrossThread.hpp"

namespace hgw::pipeline {

namespace {

// A grant that came after the request stopped waiting for it holds a
// reservation and rate-limit tokens nobody will settle: give them back now
// rather than leave them to expire.
state::QuotaSettle give_back(const state::QuotaAsk& ask, const state::QuotaGrant& late) {
  state::QuotaSettle s;
  s.tenant = ask.tenant;
  s.config = ask.config;
  s.day_key = ask.day_key;
  s.month_key = ask.month_key;
  s.reservation = late.reservation;
  s.reserved_usd = late.reserved_usd;
  s.local = late.local;
  s.token_delta = -static_cast<std::int64_t>(std::min<std::uint64_t>(ask.estimate_tokens, INT64_MAX));
  return s;
}

// What the tenant asks for, noted in the call for settle_quota.
state::QuotaAsk ask_for(Call& call, double estimate_usd) {
  const auto now = std::chrono::system_clock::now();
  state::QuotaAsk ask;
  ask.tenant = call.tenant;
  ask.config = call.snap->config_ptr();
  ask.day_key = cost::day_key(now);
  ask.month_key = cost::month_key(now);
  ask.estimate_usd = estimate_usd;
  ask.estimate_tokens = cost::saturating_add(call.features.estimated_prompt_tokens,
                                             cost::estimated_output_tokens(call.features.max_tokens));
  ask.now = now;
  call.quota_day_key = ask.day_key;
  call.quota_month_key = ask.month_key;
  call.quota_tokens = ask.estimate_tokens;
  return ask;
}

}  // namespace

bool quota_decides_at_once(Services& services) { return services.quota().decides_at_once(); }

state::QuotaGrant admit_quota_at_once(Services& services, Call& call, double estimate_usd) {
  return services.quota().admit_locally(ask_for(call, estimate_usd));
}

awaitable<state::QuotaGrant> admit_quota(Services& services, Call& call, double estimate_usd) {
  const state::QuotaAsk ask = ask_for(call, estimate_usd);
  auto* store = &services.quota();
  auto start = [store, ask](std::function<void(state::QuotaGrant)> deliver) { store->admit(ask, std::move(deliver)); };
  std::function<void(state::QuotaGrant)> on_late = [store, ask](state::QuotaGrant late) {
    if (late.result == state::QuotaGrant::Result::admitted) store->settle(give_back(ask, late));
  };
  const auto timeout = std::chrono::milliseconds(call.config().state.redis_timeout_ms) * 2;
  auto grant = co_await await_from_thread<state::QuotaGrant>(timeout, std::move(start), std::move(on_late));
  if (grant) co_return std::move(*grant);
  co_return services.quota().admit_locally(ask);
}

void settle_quota(Services& services, const Call& call) {
  if (!call.tenant || !call.quota_taken) return;
  state::QuotaSettle s;
  s.tenant = call.tenant;
  s.config = call.snap->config_ptr();
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
