// Active health of one backend from the results of its periodic checks
// (the checker itself lives in the gateway): unhealthy_threshold consecutive
// failed checks → down, healthy_threshold consecutive good checks → up.
// Pure state machine behind a mutex; healthy() is read on every request, so
// it reads an atomic copy without the lock. hybridgw_backend_healthy{backend}.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "gateway/config/Config.hpp"

namespace hgw::failover {

class HealthState {
 public:
  // Backends start healthy (traffic flows at start-up; the circuit breaker
  // covers the gap until the first checks). With checks disabled it stays so.
  explicit HealthState(config::HealthCheckConfig cfg, bool initially_healthy = true);

  // Records one check result; returns true when healthy() changed.
  bool on_check(bool ok);
  bool healthy() const;
  int gauge_value() const { return healthy() ? 1 : 0; }
  std::uint32_t consecutive_successes() const;
  std::uint32_t consecutive_failures() const;

 private:
  const bool enabled_;
  const std::uint32_t unhealthy_threshold_;
  const std::uint32_t healthy_threshold_;
  mutable std::mutex mu_;
  std::atomic<bool> healthy_;  // written under mu_
  std::uint32_t good_ = 0;
  std::uint32_t bad_ = 0;
};

}  // namespace hgw::failover
