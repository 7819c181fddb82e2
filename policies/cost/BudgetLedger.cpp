#include "policies/cost/BudgetLedger.hpp"

namespace hgw::cost {

BudgetLedger::Reserved BudgetLedger::reserve(const config::TenantConfig& tenant, const std::string& day_key,
                                             const std::string& month_key, double spent_today, double spent_month,
                                             double estimate, std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  // One look-up per window: the entries are made (at 0) when missing and
  // erased again below when nothing is reserved after all.
  auto day = reserved_.try_emplace({tenant.name, day_key}, 0.0).first;
  auto month = reserved_.try_emplace({tenant.name, month_key}, 0.0).first;
  Reserved r;
  r.in_flight_today = day->second;
  r.in_flight_month = month->second;
  r.status = check_budget(tenant.budget, spent_today + r.in_flight_today, spent_month + r.in_flight_month,
                          estimate, now);
  if (r.status.exhausted) {
    if (day->second <= 1e-12) reserved_.erase(day);
    if (month != day && month->second <= 1e-12) reserved_.erase(month);
    return r;
  }
  r.reservation = next_++;
  open_[r.reservation] = {tenant.name, day_key, month_key, estimate};
  day->second += estimate;
  if (month != day) month->second += estimate;
  return r;
}

void BudgetLedger::release(std::uint64_t reservation) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(reservation);
  if (it == open_.end()) return;
  const Entry& e = it->second;
  for (const auto* window : {&e.day_key, &e.month_key}) {
    auto r = reserved_.find({e.tenant, *window});
    if (r == reserved_.end()) continue;
    r->second -= e.amount;
    if (r->second <= 1e-12) reserved_.erase(r);
  }
  open_.erase(it);
}

double BudgetLedger::reserved(const std::string& tenant, const std::string& window_key) const {
  std::lock_guard lock(mutex_);
  auto it = reserved_.find({tenant, window_key});
  return it == reserved_.end() ? 0.0 : it->second;
}

std::size_t BudgetLedger::open_reservations() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace hgw::cost
