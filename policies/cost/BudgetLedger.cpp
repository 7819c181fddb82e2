#include "policies/cost/BudgetLedger.hpp"

namespace hgw::cost {

BudgetLedger::Reserved BudgetLedger::reserve(const config::TenantConfig& tenant, const std::string& day_key,
                                             const std::string& month_key, double spent_today, double spent_month,
                                             double estimate, std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  Reserved r;
  r.in_flight_today = reserved_locked(tenant.name, day_key);
  r.in_flight_month = reserved_locked(tenant.name, month_key);
  r.status = check_budget(tenant.budget, spent_today + r.in_flight_today, spent_month + r.in_flight_month,
                          estimate, now);
  if (r.status.exhausted) return r;
  r.reservation = next_++;
  open_.emplace(r.reservation, Entry{tenant.name, day_key, month_key, estimate});
  entry(reserved_, view_key(tenant.name, day_key)) += estimate;
  if (month_key != day_key) entry(reserved_, view_key(tenant.name, month_key)) += estimate;
  return r;
}

void BudgetLedger::release(std::uint64_t reservation) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(reservation);
  if (it == open_.end()) return;
  const Entry& e = it->second;
  auto give_back = [&](const std::string& window) {
    auto r = reserved_.find(view_key(e.tenant, window));
    if (r == reserved_.end()) return;
    r->second -= e.amount;
    if (r->second <= 1e-12) reserved_.erase(r);
  };
  give_back(e.day_key);
  if (e.month_key != e.day_key) give_back(e.month_key);  // reserved once when they are one window
  open_.erase(it);
}

double BudgetLedger::reserved(const std::string& tenant, const std::string& window_key) const {
  std::lock_guard lock(mutex_);
  return reserved_locked(tenant, window_key);
}

double BudgetLedger::reserved_locked(const std::string& tenant, const std::string& window_key) const {
  auto it = reserved_.find(view_key(tenant, window_key));
  return it == reserved_.end() ? 0.0 : it->second;
}

std::size_t BudgetLedger::open_reservations() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace hgw::cost
