#include "policies/failover/HealthState.hpp"

#include <algorithm>

namespace hgw::failover {

HealthState::HealthState(config::HealthCheckConfig cfg, bool initially_healthy)
    : enabled_(cfg.enabled),
      unhealthy_threshold_(std::max<std::uint32_t>(cfg.unhealthy_threshold, 1)),
      healthy_threshold_(std::max<std::uint32_t>(cfg.healthy_threshold, 1)),
      healthy_(cfg.enabled ? initially_healthy : true) {}

bool HealthState::on_check(bool ok) {
  if (!enabled_) return false;
  std::lock_guard lk(mu_);
  const bool before = healthy_.load(std::memory_order_relaxed);
  bool after = before;
  if (ok) {
    bad_ = 0;
    if (good_ < UINT32_MAX) ++good_;
    if (!before && good_ >= healthy_threshold_) after = true;
  } else {
    good_ = 0;
    if (bad_ < UINT32_MAX) ++bad_;
    if (before && bad_ >= unhealthy_threshold_) after = false;
  }
  healthy_.store(after, std::memory_order_relaxed);
  return after != before;
}

bool HealthState::healthy() const { return healthy_.load(std::memory_order_relaxed); }

std::uint32_t HealthState::consecutive_successes() const {
  std::lock_guard lk(mu_);
  return good_;
}

std::uint32_t HealthState::consecutive_failures() const {
  std::lock_guard lk(mu_);
  return bad_;
}

}  // namespace hgw::failover
