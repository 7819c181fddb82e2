#include "policies/failover/RetryBudget.hpp"

#include <algorithm>

namespace hgw::failover {

RetryBudget::RetryBudget(double ratio, std::chrono::milliseconds window, std::uint32_t min_retries)
    : ratio_(ratio > 0 ? ratio : 0.0),
      min_retries_(min_retries),
      window_(std::max(window, std::chrono::milliseconds(1))) {}

void RetryBudget::on_request(Clock::time_point now) {
  std::lock_guard lk(mu_);
  window_.add(0, now);
}

bool RetryBudget::try_acquire_retry(Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto t = window_.totals(now);
  const double allowed = static_cast<double>(min_retries_) + ratio_ * static_cast<double>(t[0]);
  if (static_cast<double>(t[1]) + 1.0 > allowed + 1e-9) return false;
  window_.add(1, now);
  return true;
}

RetryBudget::Snapshot RetryBudget::snapshot(Clock::time_point now) const {
  std::lock_guard lk(mu_);
  auto t = window_.totals(now);
  return {t[0], t[1], static_cast<double>(min_retries_) + ratio_ * static_cast<double>(t[0])};
}

}  // namespace hgw::failover
