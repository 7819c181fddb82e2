// Per-backend retry budget against retry storms: over a sliding window,
// retries ≤ min_retries + ratio × requests. Thread-safe (mutex); time injected.
//
// Count with on_request() every request that gets a first attempt on this
// backend (failovers from another backend included), and call
// try_acquire_retry() only for a retry that will really be sent (see
// AttemptContext::retry_budget_allows). Retries are not requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "gateway/config/Config.hpp"
#include "policies/failover/SlidingWindow.hpp"

namespace hgw::failover {

class RetryBudget {
 public:
  using Clock = std::chrono::steady_clock;

  RetryBudget(double ratio, std::chrono::milliseconds window, std::uint32_t min_retries);
  explicit RetryBudget(const config::RetryConfig& r)
      : RetryBudget(r.budget_ratio, std::chrono::milliseconds(r.budget_window_ms),
                    r.budget_min_retries) {}

  void on_request(Clock::time_point now);
  bool try_acquire_retry(Clock::time_point now);  // true: counted as spent

  struct Snapshot {
    std::uint64_t requests;
    std::uint64_t retries;
    double allowed;  // min_retries + ratio × requests
  };
  Snapshot snapshot(Clock::time_point now) const;

 private:
  const double ratio_;
  const std::uint32_t min_retries_;
  mutable std::mutex mu_;
  SlidingWindow<2> window_;  // [0] requests, [1] retries
};

}  // namespace hgw::failover
