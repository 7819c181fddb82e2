#include "policies/failover/LatencyEwma.hpp"

#include <cmath>
#include <limits>

namespace hgw::failover {

LatencyEwma::LatencyEwma(double alpha)
    : alpha_((alpha > 0 && alpha <= 1) ? alpha : 0.3),
      value_(std::numeric_limits<double>::quiet_NaN()) {}

void LatencyEwma::observe(double s) {
  if (!std::isfinite(s) || s < 0) return;
  double old = value_.load(std::memory_order_relaxed);
  double next;
  do {
    next = std::isnan(old) ? s : old + alpha_ * (s - old);
  } while (!value_.compare_exchange_weak(old, next, std::memory_order_relaxed));
  count_.fetch_add(1, std::memory_order_relaxed);
}

double LatencyEwma::value() const {
  double v = value_.load(std::memory_order_relaxed);
  return std::isnan(v) ? 0.0 : v;
}

bool LatencyEwma::has_samples() const { return !std::isnan(value_.load(std::memory_order_relaxed)); }

}  // namespace hgw::failover
