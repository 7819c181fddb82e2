#include "policies/failover/CircuitBreaker.hpp"

#include <algorithm>

namespace hgw::failover {

using std::chrono::milliseconds;

const char* to_string(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(config::CircuitBreakerConfig cfg, milliseconds probe_lease)
    : cfg_(cfg),
      base_cooldown_(milliseconds(std::max<std::uint32_t>(cfg.cooldown_ms, 1))),
      max_cooldown_(std::max(base_cooldown_, milliseconds(cfg.max_cooldown_ms))),
      probe_lease_(probe_lease.count() > 0 ? probe_lease : max_cooldown_),
      window_(milliseconds(std::max<std::uint32_t>(cfg.window_ms, 1))),
      cooldown_(base_cooldown_) {}

void CircuitBreaker::trip(Clock::time_point now) {
  set_state(State::open);
  open_until_ = now + cooldown_;
  probe_out_ = false;
  consecutive_ = 0;
  window_.clear();
  ++times_opened_;
}

bool CircuitBreaker::allow(Clock::time_point now) {
  // Closed lets everything through: no lock. A request that reads "closed"
  // while another thread trips the breaker is one that came just before.
  if (published_.load(std::memory_order_acquire) == State::closed) return true;
  std::lock_guard lk(mu_);
  switch (state_) {
    case State::closed:
      return true;
    case State::open:
      if (now < open_until_) return false;
      set_state(State::half_open);
      probe_out_ = true;
      probe_started_ = now;
      return true;
    case State::half_open:
      if (probe_out_ && now - probe_started_ < probe_lease_) return false;
      probe_out_ = true;  // no probe out, or the last one was lost: send one
      probe_started_ = now;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success(Clock::time_point now) {
  std::lock_guard lk(mu_);
  switch (state_) {
    case State::closed:
      consecutive_ = 0;
      window_.add(0, now);
      break;
    case State::half_open:
      set_state(State::closed);
      cooldown_ = base_cooldown_;
      probe_out_ = false;
      consecutive_ = 0;
      window_.clear();
      break;
    case State::open:
      break;  // a late result from before it opened
  }
}

void CircuitBreaker::on_failure(Clock::time_point now) {
  std::lock_guard lk(mu_);
  switch (state_) {
    case State::closed: {
      ++consecutive_;
      window_.add(0, now);
      window_.add(1, now);
      if (cfg_.consecutive_failures > 0 && consecutive_ >= cfg_.consecutive_failures) {
        trip(now);
        break;
      }
      if (cfg_.error_rate > 0) {
        auto t = window_.totals(now);
        const std::uint64_t min_req = std::max<std::uint32_t>(cfg_.min_requests, 1);
        if (t[0] >= min_req &&
            static_cast<double>(t[1]) >= cfg_.error_rate * static_cast<double>(t[0]))
          trip(now);
      }
      break;
    }
    case State::half_open:
      cooldown_ = std::min(cooldown_ * 2, max_cooldown_);
      trip(now);
      break;
    case State::open:
      break;
  }
}

void CircuitBreaker::on_probe_abandoned(Clock::time_point) {
  std::lock_guard lk(mu_);
  if (state_ == State::half_open) probe_out_ = false;
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
  if (published_.load(std::memory_order_acquire) == State::closed) return State::closed;
  std::lock_guard lk(mu_);
  if (state_ == State::open && now >= open_until_) return State::half_open;
  return state_;
}

int CircuitBreaker::state_gauge_value() const {
  switch (published_.load(std::memory_order_acquire)) {
    case State::closed: return 0;
    case State::open: return 1;
    case State::half_open: return 2;
  }
  return 0;
}

CircuitBreaker::Snapshot CircuitBreaker::snapshot(Clock::time_point now) const {
  std::lock_guard lk(mu_);
  auto t = window_.totals(now);
  Snapshot s{};
  s.state = (state_ == State::open && now >= open_until_) ? State::half_open : state_;
  s.consecutive_failures = consecutive_;
  s.window_requests = t[0];
  s.window_failures = t[1];
  s.cooldown = cooldown_;
  s.open_remaining = (state_ == State::open && now < open_until_)
                         ? std::chrono::duration_cast<milliseconds>(open_until_ - now)
                         : milliseconds(0);
  s.probe_in_flight = state_ == State::half_open && probe_out_;
  s.times_opened = times_opened_;
  return s;
}

}  // namespace hgw::failover
