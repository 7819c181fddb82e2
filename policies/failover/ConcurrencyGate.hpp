// Per-backend concurrency limit with a bounded FIFO wait queue (no unbounded
// queue anywhere): at most max_concurrency requests in flight, at most
// max_queue waiting for a slot; beyond that, try_enter() says `full` at once.
// The gate only keeps counts and callbacks; waiting (with queue_timeout_ms) is
// the caller's, e.g. an Asio timer raced against the on_granted callback.
// Thread-safe; callbacks run outside the lock. inflight() (read by routing
// on every request) reads the count, an atomic, without taking the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "gateway/config/Config.hpp"

namespace hgw::failover {

class ConcurrencyGate {
 public:
  enum class Result { entered, queued, full };
  using Ticket = std::uint64_t;
  struct Admission {
    Result result;
    Ticket ticket = 0;  // queued only
  };

  // max_concurrency 0 = unlimited (everyone enters; inflight is still counted).
  ConcurrencyGate(std::uint32_t max_concurrency, std::uint32_t max_queue);
  explicit ConcurrencyGate(const config::BackendConfig& b)
      : ConcurrencyGate(b.max_concurrency, b.max_queue) {}

  // entered: the caller holds a slot and must leave() exactly once.
  // queued:  on_granted runs exactly once, when a leave() hands this waiter the
  //          slot (oldest waiter first), unless cancel(ticket) returned true
  //          before. After on_granted the caller holds a slot. It runs on the
  //          thread calling leave()/set_limits(): post to your own executor.
  // full:    max_queue waiters already; fail over or answer 503.
  Admission try_enter(std::function<void()> on_granted);

  // Queue timeout or client gone. true: removed, no slot was granted, nothing
  // more will happen. false: the slot was already granted (on_granted ran or is
  // running) — the caller owns it and must leave().
  bool cancel(Ticket);

  // Releases a slot: hands it to the oldest waiter if any, else frees it.
  void leave();

  // Config reload: new limits apply to later calls; raising max_concurrency
  // grants waiters at once. Waiters beyond a lowered max_queue stay (they time out).
  void set_limits(std::uint32_t max_concurrency, std::uint32_t max_queue);

  std::uint32_t inflight() const;  // hybridgw_backend_inflight{backend}
  std::uint32_t queued() const;

 private:
  struct Waiter {
    Ticket ticket;
    std::function<void()> on_granted;
  };
  bool has_room_locked() const { return max_concurrency_ == 0 || inflight_ < max_concurrency_; }

  mutable std::mutex mu_;
  std::uint32_t max_concurrency_;
  std::uint32_t max_queue_;
  std::atomic<std::uint32_t> inflight_{0};  // changed under mu_ only
  Ticket next_ticket_ = 1;
  std::deque<Waiter> waiters_;
};

}  // namespace hgw::failover
