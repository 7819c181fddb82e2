// Counters over a sliding time window, kept in a fixed ring of buckets (memory
// does not grow with traffic). The window covered is between (N-1)/N and N/N of
// `window`. Not thread-safe: owners (CircuitBreaker, RetryBudget) lock.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

namespace hgw::failover {

template <std::size_t Counters>
class SlidingWindow {
 public:
  using Clock = std::chrono::steady_clock;
  using Totals = std::array<std::uint64_t, Counters>;

  explicit SlidingWindow(std::chrono::milliseconds window, std::size_t buckets = 10)
      : buckets_(std::max<std::size_t>(buckets, 1)) {
    auto w = std::max<std::int64_t>(window.count(), 1);
    width_ = std::chrono::milliseconds(std::max<std::int64_t>(w / static_cast<std::int64_t>(buckets_.size()), 1));
  }

  void add(std::size_t counter, Clock::time_point now, std::uint64_t n = 1) {
    const std::int64_t e = epoch(now);
    Bucket& b = buckets_[index(e)];
    if (b.epoch != e) {
      b.epoch = e;
      b.counts.fill(0);
    }
    b.counts[counter] += n;
  }

  Totals totals(Clock::time_point now) const {
    Totals t{};
    const std::int64_t e = epoch(now);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    for (const auto& b : buckets_)
      if (b.epoch <= e && b.epoch > e - n)
        for (std::size_t i = 0; i < Counters; ++i) t[i] += b.counts[i];
    return t;
  }

  void clear() {
    for (auto& b : buckets_) {
      b.epoch = kNever;
      b.counts.fill(0);
    }
  }

 private:
  static constexpr std::int64_t kNever = INT64_MIN;
  struct Bucket {
    std::int64_t epoch = kNever;
    Totals counts{};
  };
  std::int64_t epoch(Clock::time_point now) const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    // floor division (steady_clock epochs may be negative in tests)
    std::int64_t q = ms / width_.count();
    if (ms % width_.count() < 0) --q;
    return q;
  }
  std::size_t index(std::int64_t e) const {
    const auto n = static_cast<std::int64_t>(buckets_.size());
    return static_cast<std::size_t>(((e % n) + n) % n);
  }

  std::vector<Bucket> buckets_;
  std::chrono::milliseconds width_{1};
};

}  // namespace hgw::failover
