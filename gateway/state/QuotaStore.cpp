#include "gateway/state/QuotaStore.hpp"

namespace hgw::state {

QuotaGrant budget_refusal(const config::TenantConfig& tenant, const cost::BudgetStatus& status,
                          std::chrono::system_clock::time_point now) {
  QuotaGrant g;
  g.budget = status;
  if (tenant.budget.on_exhausted == config::BudgetAction::downgrade) {
    g.downgraded = true;
    return g;
  }
  g.result = QuotaGrant::Result::budget_exhausted;
  g.message = "Budget exhausted for tenant '" + tenant.name + "': " + status.message();
  g.retry_after_s = cost::seconds_until(status.resets_at, now);
  return g;
}

QuotaGrant rate_refusal(const cost::RateLimiter::Verdict& v) {
  QuotaGrant g;
  g.result = QuotaGrant::Result::rate_limited;
  g.limit = v.limit;
  g.retry_after_s = std::max<std::uint32_t>(1, v.retry_after_s);
  g.message = v.message;
  return g;
}

}  // namespace hgw::state
