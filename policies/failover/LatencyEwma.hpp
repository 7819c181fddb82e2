// Exponentially weighted moving average of a latency (seconds), for the
// `fastest` routing strategy and explain output. Lock-free (atomic CAS).
// The first sample sets the value; then value += alpha × (sample − value).
#pragma once

#include <atomic>
#include <cstdint>

namespace hgw::failover {

class LatencyEwma {
 public:
  explicit LatencyEwma(double alpha = 0.3);

  void observe(double seconds);  // negative, NaN and infinite samples are ignored
  double value() const;          // 0 when there is no sample yet
  bool has_samples() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double alpha() const { return alpha_; }

 private:
  const double alpha_;
  std::atomic<double> value_;
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace hgw::failover
