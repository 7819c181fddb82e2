// The right to send one attempt to one backend, held for exactly as long as
// the attempt runs (RAII, Envoy-style): the circuit breaker's verdict (and
// its half-open probe), a concurrency slot (waiting in the backend's bounded
// queue when max_queue allows), the in-flight gauge. record() reports the
// attempt once — breaker, latency average; the destructor gives everything
// back on every path, exceptions included.
#pragma once

#include "gateway/pipeline/Call.hpp"

#include <optional>

namespace hgw::pipeline {

class BackendLease {
 public:
  // A lease, or the outcome that refused one (circuit_open, queue_full) with
  // the reason in `detail`. A backend with a queue (max_queue > 0) may make
  // the attempt wait for a slot, up to queue_timeout_ms and the deadline;
  // without one there is nothing to wait for, and no coroutine runs.
  struct Acquired;
  static bool may_wait(const Call& call, int backend);
  static Acquired acquire_now(Call& call, int backend);
  // The same for a call that belongs to no client request (shadow traffic).
  static Acquired acquire_now(const std::shared_ptr<Snapshot>& snap, int backend);
  static awaitable<Acquired> acquire_waiting(Call& call, int backend, Clock::time_point deadline);

  BackendLease(BackendLease&& other) noexcept;
  BackendLease& operator=(BackendLease&& other) noexcept;
  ~BackendLease();

  // The attempt's outcome and how long it took: once (later calls are ignored).
  void record(failover::Outcome outcome, Clock::duration latency);

 private:
  BackendLease(const std::shared_ptr<Snapshot>& snap, int backend, bool probe);
  void release();

  std::shared_ptr<Snapshot> snap_;  // the state objects live in the snapshot
  int backend_ = -1;
  bool probe_ = false;     // this attempt is the half-open probe
  bool recorded_ = false;
};

struct BackendLease::Acquired {
  std::optional<BackendLease> lease;
  failover::Outcome refused = failover::Outcome::success;
  std::string detail;
};

}  // namespace hgw::pipeline
