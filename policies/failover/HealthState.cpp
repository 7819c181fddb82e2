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
  const bool before = healthy_;
  if (ok) {
    bad_ = 0;
    if (good_ < UINT32_MAX) ++good_;
    if (!healthy_ && good_ >= healthy_threshold_) healthy_ = true;
  } else {
    good_ = 0;
    if (bad_ < UINT32_MAX) ++bad_;
    if (healthy_ && bad_ >= unhealthy_threshold_) healthy_ = false;
  }
  return healthy_ != before;
}

bool HealthState::healthy() const {
  std::lock_guard lk(mu_);
  return healthy_;
}

std::uint32_t HealthState::consecutive_successes() const {
  std::lock_guard lk(mu_);
  return good_;
}

std::uint32_t HealthState::consecutive_failures() const {
  std::lock_guard lk(mu_);
  return bad_;
}

}  // namespace hgw::failover
