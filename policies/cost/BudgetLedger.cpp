#include "policies/cost/BudgetLedger.hpp"

namespace hgw::cost {

std::pair<BudgetLedger::Window*, BudgetLedger::Window*> BudgetLedger::windows_locked(const std::string& tenant,
                                                                                     const std::string& day_key,
                                                                                     const std::string& month_key) {
  auto day = windows_.find(view_key(tenant, day_key));
  auto month = month_key == day_key ? day : windows_.find(view_key(tenant, month_key));
  if (day == windows_.end() || month == windows_.end()) {
    // A new window (a new day, a new tenant): the idle ones go first, and
    // then both are looked up again, since either may have been idle.
    for (auto w = windows_.begin(); w != windows_.end();) w = w->second.open == 0 ? windows_.erase(w) : std::next(w);
    day = windows_.try_emplace(std::make_tuple(tenant, day_key)).first;
    month = month_key == day_key ? day : windows_.try_emplace(std::make_tuple(tenant, month_key)).first;
  }
  return {&day->second, &month->second};
}

BudgetLedger::Reserved BudgetLedger::reserve(const config::TenantConfig& tenant, const std::string& day_key,
                                             const std::string& month_key, double spent_today, double spent_month,
                                             double estimate, std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [day_window, month_window] = windows_locked(tenant.name, day_key, month_key);
  Window& day = *day_window;
  Window& month = *month_window;
  Reserved r;
  r.in_flight_today = day.usd;
  r.in_flight_month = month.usd;
  r.status = check_budget(tenant.budget, spent_today + r.in_flight_today, spent_month + r.in_flight_month,
                          estimate, now);
  if (r.status.exhausted) return r;
  std::uint32_t index;
  if (free_slots_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  if (++serial_ == 0) serial_ = 1;
  r.reservation = (static_cast<std::uint64_t>(serial_) << 32) | (static_cast<std::uint64_t>(index) + 1);
  slots_[index] = Slot{r.reservation, &day, &month, estimate};
  day.usd += estimate;
  ++day.open;
  if (&month != &day) {
    month.usd += estimate;
    ++month.open;
  }
  return r;
}

void BudgetLedger::give_back_locked(Window& w, double amount) {
  // The last reservation out leaves exactly zero, not a rounding residue.
  w.usd = --w.open == 0 ? 0.0 : w.usd - amount;
}

void BudgetLedger::release(std::uint64_t reservation) {
  const std::uint64_t index = (reservation & 0xffffffffu) - 1;  // an id of 0 wraps to a slot that does not exist
  std::lock_guard lock(mutex_);
  if (index >= slots_.size() || slots_[index].id != reservation) return;
  Slot& s = slots_[index];
  give_back_locked(*s.day, s.amount);
  if (s.month != s.day) give_back_locked(*s.month, s.amount);  // reserved once when they are one window
  s = Slot{};
  free_slots_.push_back(static_cast<std::uint32_t>(index));
}

double BudgetLedger::reserved(const std::string& tenant, const std::string& window_key) const {
  std::lock_guard lock(mutex_);
  auto it = windows_.find(view_key(tenant, window_key));
  return it == windows_.end() ? 0.0 : it->second.usd;
}

std::size_t BudgetLedger::open_reservations() const {
  std::lock_guard lock(mutex_);
  return slots_.size() - free_slots_.size();  // every slot is open or on the free list
}

std::size_t BudgetLedger::windows() const {
  std::lock_guard lock(mutex_);
  return windows_.size();
}

}  // namespace hgw::cost
