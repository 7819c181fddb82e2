#include "policies/failover/ConcurrencyGate.hpp"

#include <algorithm>

namespace hgw::failover {

ConcurrencyGate::ConcurrencyGate(std::uint32_t max_concurrency, std::uint32_t max_queue)
    : max_concurrency_(max_concurrency), max_queue_(max_queue) {}

ConcurrencyGate::Admission ConcurrencyGate::try_enter(std::function<void()> on_granted) {
  std::lock_guard lk(mu_);
  if (has_room_locked() && waiters_.empty()) {
    ++inflight_;
    return {Result::entered, 0};
  }
  if (waiters_.size() >= max_queue_ || !on_granted) return {Result::full, 0};
  const Ticket t = next_ticket_++;
  waiters_.push_back(Waiter{t, std::move(on_granted)});
  return {Result::queued, t};
}

bool ConcurrencyGate::cancel(Ticket t) {
  std::lock_guard lk(mu_);
  auto it = std::find_if(waiters_.begin(), waiters_.end(),
                         [t](const Waiter& w) { return w.ticket == t; });
  if (it == waiters_.end()) return false;
  waiters_.erase(it);
  return true;
}

void ConcurrencyGate::leave() {
  std::function<void()> grant;
  {
    std::lock_guard lk(mu_);
    if (inflight_ == 0) return;  // unbalanced leave(): ignore rather than wrap
    if (!waiters_.empty() && (max_concurrency_ == 0 || inflight_ <= max_concurrency_)) {
      grant = std::move(waiters_.front().on_granted);  // the slot passes on; inflight unchanged
      waiters_.pop_front();
    } else {
      --inflight_;
    }
  }
  if (grant) grant();
}

void ConcurrencyGate::set_limits(std::uint32_t max_concurrency, std::uint32_t max_queue) {
  std::vector<std::function<void()>> grants;
  {
    std::lock_guard lk(mu_);
    max_concurrency_ = max_concurrency;
    max_queue_ = max_queue;
    while (!waiters_.empty() && has_room_locked()) {
      ++inflight_;
      grants.push_back(std::move(waiters_.front().on_granted));
      waiters_.pop_front();
    }
  }
  for (auto& g : grants) g();
}

std::uint32_t ConcurrencyGate::inflight() const { return inflight_.load(std::memory_order_relaxed); }

std::uint32_t ConcurrencyGate::queued() const {
  std::lock_guard lk(mu_);
  return waiters_.size();
}

}  // namespace hgw::failover
