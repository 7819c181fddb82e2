// Per-backend circuit breaker. Pure in-memory state behind a mutex; time is
// passed in (steady_clock), so tests drive it without sleeping. Every request
// asks allow() and state(): while closed (nearly always) they read an atomic
// copy of the state and take no lock.
//
//   closed ──(consecutive_failures in a row, or error_rate ≥ rate over window_ms
//             with ≥ min_requests)──▶ open
//   open ──(cool-down passed; the next allow() lets ONE probe through)──▶ half_open
//   half_open ──probe success──▶ closed (cool-down back to cooldown_ms)
//   half_open ──probe failure──▶ open, cool-down doubled (≤ max_cooldown_ms)
//   half_open ──probe abandoned (client left, no verdict)──▶ half_open, the
//             next allow() sends a new probe
//
// A probe that never reports anything (a bug elsewhere) cannot wedge the
// breaker: after the probe lease (default max(cooldown_ms, max_cooldown_ms))
// the next allow() sends another probe.
//
// Which outcomes are failures: breaker_verdict() in Outcome.hpp. Report the
// verdict as soon as it is known (headers + first byte for a stream), not at
// the end of a long stream. Results that arrive while open (requests admitted
// before it opened) are ignored. Setting consecutive_failures = 0 disables that
// trigger; error_rate ≤ 0 disables the rate trigger.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "gateway/config/Config.hpp"
#include "policies/failover/SlidingWindow.hpp"

namespace hgw::failover {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, open, half_open };

  explicit CircuitBreaker(config::CircuitBreakerConfig cfg,
                          std::chrono::milliseconds probe_lease = std::chrono::milliseconds(0));

  // May a request go to this backend now? In half_open, true means "you are the
  // probe": report its verdict with on_success / on_failure / on_probe_abandoned.
  bool allow(Clock::time_point now);
  void on_success(Clock::time_point now);
  void on_failure(Clock::time_point now);
  void on_probe_abandoned(Clock::time_point now);

  // The state as traffic would see it: open whose cool-down has passed is
  // reported as half_open (the next allow() probes).
  State state(Clock::time_point now) const;
  // hybridgw_circuit_state{backend}: 0 closed, 1 open, 2 half_open (the state as
  // last changed by allow()/on_*; no clock needed).
  int state_gauge_value() const;

  struct Snapshot {
    State state;
    std::uint32_t consecutive_failures;
    std::uint64_t window_requests;
    std::uint64_t window_failures;
    std::chrono::milliseconds cooldown;       // current (next) open period
    std::chrono::milliseconds open_remaining; // 0 unless open
    bool probe_in_flight;
    std::uint64_t times_opened;
  };
  Snapshot snapshot(Clock::time_point now) const;

 private:
  void trip(Clock::time_point now);  // → open with the current cool-down
  void set_state(State s) {          // under mu_
    state_ = s;
    published_.store(s, std::memory_order_release);
  }

  const config::CircuitBreakerConfig cfg_;
  const std::chrono::milliseconds base_cooldown_;
  const std::chrono::milliseconds max_cooldown_;
  const std::chrono::milliseconds probe_lease_;

  mutable std::mutex mu_;
  State state_ = State::closed;
  std::atomic<State> published_{State::closed};  // state_, readable without mu_
  std::uint32_t consecutive_ = 0;
  SlidingWindow<2> window_;  // [0] requests, [1] failures
  std::chrono::milliseconds cooldown_;
  Clock::time_point open_until_{};
  bool probe_out_ = false;
  Clock::time_point probe_started_{};
  std::uint64_t times_opened_ = 0;
};

const char* to_string(CircuitBreaker::State);

}  // namespace hgw::failover
