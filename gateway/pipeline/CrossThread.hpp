// Awaiting, on an io thread, an answer another thread produces (a store's own
// thread): the coroutine waits on a timer of its executor, never blocking the
// thread; the answer cancels the timer from a handler posted to that
// executor. An answer that comes after the wait gave up goes to `on_late`
// (to give back what it took), on the thread that produced it.
#pragma once

#include "gateway/Asio.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace hgw::pipeline {

namespace detail {
template <class T>
struct CrossThreadWait {
  explicit CrossThreadWait(Executor ex) : executor(ex), timer(ex) {}
  Executor executor;
  Timer timer;
  std::mutex mutex;
  std::optional<T> value;
  bool waiting = false;
  bool gave_up = false;
  std::function<void(T)> on_late;
};
}  // namespace detail

// `start(deliver)` begins the work and arranges for deliver(T) to be called
// exactly once, on any thread (also at once, inside start). nullopt: no
// answer within `timeout`.
template <class T, class Start>
awaitable<std::optional<T>> await_from_thread(std::chrono::milliseconds timeout, Start start,
                                              std::function<void(T)> on_late = {}) {
  const Executor ex = co_await net::this_coro::executor;
  auto w = std::make_shared<detail::CrossThreadWait<T>>(ex);
  w->on_late = std::move(on_late);
  std::function<void(T)> deliver = [w](T v) {
    std::unique_lock lock(w->mutex);
    if (w->gave_up) {
      lock.unlock();
      if (w->on_late) w->on_late(std::move(v));
      return;
    }
    w->value = std::move(v);
    if (w->waiting) net::post(w->executor, [w] { w->timer.cancel(); });
  };
  start(std::move(deliver));
  {
    std::lock_guard lock(w->mutex);
    if (w->value) co_return std::move(w->value);  // answered at once
    w->waiting = true;
  }
  w->timer.expires_after(timeout);
  co_await w->timer.async_wait(use_nothrow);
  std::lock_guard lock(w->mutex);
  if (w->value) co_return std::move(w->value);
  w->waiting = false;
  w->gave_up = true;
  co_return std::nullopt;
}

}  // namespace hgw::pipeline
