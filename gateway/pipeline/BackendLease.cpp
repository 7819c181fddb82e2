#include "gateway/pipeline/BackendLease.hpp"

namespace hgw::pipeline {

namespace {

// A slot of a backend with a queue (max_queue > 0), waiting up to
// queue_timeout_ms and never past the request's deadline.
awaitable<bool> wait_for_slot(BackendState& state, const config::BackendConfig& backend,
                              Clock::time_point deadline) {
  auto ex = co_await net::this_coro::executor;
  auto timer = std::make_shared<Timer>(ex);
  auto granted = std::make_shared<bool>(false);
  const auto admission = state.gate.try_enter([ex, timer, granted] {
    // Runs on the thread that released the slot: hop to ours.
    net::post(ex, [timer, granted] {
      *granted = true;
      timer->cancel();
    });
  });
  if (admission.result == failover::ConcurrencyGate::Result::entered) co_return true;
  if (admission.result == failover::ConcurrencyGate::Result::full) co_return false;
  const auto wait =
      std::min<Clock::duration>(std::chrono::milliseconds(backend.queue_timeout_ms), deadline - Clock::now());
  timer->expires_after(wait);
  co_await timer->async_wait(use_nothrow);
  if (*granted) co_return true;
  if (state.gate.cancel(admission.ticket)) co_return false;
  // The slot was granted while we timed out: wait for the hop, then use it.
  while (!*granted) {
    timer->expires_after(std::chrono::milliseconds(1));
    co_await timer->async_wait(use_nothrow);
  }
  co_return true;
}

}  // namespace

namespace {

// The breaker's verdict first: an open circuit is not even queued for.
bool refused_by_breaker(const Snapshot& snap, int b, BackendLease::Acquired& a, bool& probe) {
  auto& state = snap.backend(b);
  const auto now = Clock::now();
  if (!state.breaker.allow(now)) {
    a.refused = failover::Outcome::circuit_open;
    a.detail = "circuit breaker of backend " + snap.config().backends[b].name + " is open";
    return true;
  }
  probe = state.breaker.state(now) == failover::CircuitBreaker::State::half_open;
  return false;
}

void refuse_full(const Snapshot& snap, int b, bool probe, BackendLease::Acquired& a) {
  if (probe) snap.backend(b).breaker.on_probe_abandoned(Clock::now());
  a.refused = failover::Outcome::queue_full;
  a.detail = "backend " + snap.config().backends[b].name + " is at max_concurrency and its queue is full";
}

}  // namespace

bool BackendLease::may_wait(const Call& call, int b) { return call.config().backends[b].max_queue > 0; }

BackendLease::Acquired BackendLease::acquire_now(Call& call, int b) { return acquire_now(call.snap, b); }

BackendLease::Acquired BackendLease::acquire_now(const std::shared_ptr<Snapshot>& snap, int b) {
  Acquired a;
  bool probe = false;
  if (refused_by_breaker(*snap, b, a, probe)) return a;
  if (snap->backend(b).gate.try_enter({}).result != failover::ConcurrencyGate::Result::entered)
    refuse_full(*snap, b, probe, a);
  else
    a.lease.emplace(BackendLease(snap, b, probe));
  return a;
}

awaitable<BackendLease::Acquired> BackendLease::acquire_waiting(Call& call, int b, Clock::time_point deadline) {
  Acquired a;
  bool probe = false;
  if (refused_by_breaker(*call.snap, b, a, probe)) co_return a;
  const bool entered = co_await wait_for_slot(call.snap->backend(b), call.config().backends[b], deadline);
  if (!entered)
    refuse_full(*call.snap, b, probe, a);
  else
    a.lease.emplace(BackendLease(call.snap, b, probe));
  co_return a;
}

BackendLease::BackendLease(const std::shared_ptr<Snapshot>& snap, int backend, bool probe)
    : snap_(snap), backend_(backend), probe_(probe) {
  snap_->metrics().inflight(backend_).Set(snap_->backend(backend_).gate.inflight());
}

BackendLease::BackendLease(BackendLease&& other) noexcept
    : snap_(std::move(other.snap_)), backend_(other.backend_), probe_(other.probe_), recorded_(other.recorded_) {
  other.backend_ = -1;
}

BackendLease& BackendLease::operator=(BackendLease&& other) noexcept {
  if (this != &other) {
    release();
    snap_ = std::move(other.snap_);
    backend_ = other.backend_;
    probe_ = other.probe_;
    recorded_ = other.recorded_;
    other.backend_ = -1;
  }
  return *this;
}

BackendLease::~BackendLease() { release(); }

void BackendLease::record(failover::Outcome outcome, Clock::duration latency) {
  if (recorded_ || backend_ < 0) return;
  recorded_ = true;
  auto& state = snap_->backend(backend_);
  const auto end = Clock::now();
  switch (failover::breaker_verdict(outcome)) {
    case failover::BreakerVerdict::success: state.breaker.on_success(end); break;
    case failover::BreakerVerdict::failure: state.breaker.on_failure(end); break;
    case failover::BreakerVerdict::none: state.breaker.on_probe_abandoned(end); break;
  }
  snap_->metrics().circuit(backend_).Set(state.breaker.state_gauge_value());
  if (outcome == failover::Outcome::success) state.latency.observe(std::chrono::duration<double>(latency).count());
}

void BackendLease::release() {
  if (backend_ < 0) return;
  auto& state = snap_->backend(backend_);
  // An attempt that ended without a verdict (an exception, say) gives its
  // probe back, so the breaker can send another.
  if (!recorded_ && probe_) state.breaker.on_probe_abandoned(Clock::now());
  state.gate.leave();
  snap_->metrics().inflight(backend_).Set(state.gate.inflight());
  backend_ = -1;
}

}  // namespace hgw::pipeline
