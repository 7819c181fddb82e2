#include "gateway/state/LocalQuota.hpp"

#include <tuple>

namespace hgw::state {

LocalQuota::LocalQuota(SpentFn spent) : spent_(std::move(spent)) {}

QuotaGrant LocalQuota::admit_locally(const QuotaAsk& ask) {
  const auto& t = *ask.tenant;
  QuotaGrant grant;
  const bool has_budget = t.budget.daily_usd || t.budget.monthly_usd;
  cost::BudgetLedger::Reserved reserved;
  double today = 0, month = 0;
  if (has_budget) {
    std::tie(today, month) = spent_(t.name, ask.day_key, ask.month_key);
    reserved = ledger_.reserve(t, ask.day_key, ask.month_key, today, month, ask.estimate_usd, ask.now);
    today += reserved.in_flight_today;
    month += reserved.in_flight_month;
    if (reserved.status.exhausted) {
      grant = budget_refusal(t, reserved.status, ask.now);
      grant.spent_today = today;
      grant.spent_month = month;
      if (grant.result != QuotaGrant::Result::admitted) return grant;  // reject: nothing charged
    }
  }
  const auto verdict = rates_.admit(t, ask.estimate_tokens, std::chrono::steady_clock::now());
  if (!verdict.allowed) {
    ledger_.release(reserved.reservation);
    return rate_refusal(verdict);
  }
  if (!grant.downgraded) grant.budget = reserved.status;
  grant.reservation = reserved.reservation;
  grant.reserved_usd = reserved.reservation ? ask.estimate_usd : 0.0;
  grant.spent_today = today;
  grant.spent_month = month;
  return grant;
}

void LocalQuota::settle(const QuotaSettle& s) {
  ledger_.release(s.reservation);
  if (s.token_delta != 0) rates_.correct(*s.tenant, s.token_delta, std::chrono::steady_clock::now());
  // The spend itself is counted by Accounting (which spent_ reads).
}

double LocalQuota::committed_spend(const std::string& tenant, const std::string& window_key) {
  return spent_(tenant, window_key, window_key).first + ledger_.reserved(tenant, window_key);
}

}  // namespace hgw::state
