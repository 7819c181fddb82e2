#include "gateway/upstream/BoundedResolve.hpp"

#include <memory>

namespace hgw::upstream {

namespace {

// Shared by the waiting attempt and the resolution's handler, which may run
// after the attempt gave up.
struct Pending {
  explicit Pending(Executor ex) : timer(ex) {}
  Timer timer;
  bool done = false;
  Resolution result;
};

}  // namespace

awaitable<Resolution> resolve_within(Clock::duration timeout, StartResolve start) {
  // Plain statements around each co_await: GCC 12 mishandles temporaries in
  // awaited expressions.
  const Executor ex = co_await net::this_coro::executor;
  auto pending = std::make_shared<Pending>(ex);
  start([pending](error_code ec, Resolver::results_type results) {
    if (pending->done) return;
    pending->done = true;
    pending->result = {ec, std::move(results)};
    pending->timer.cancel();
  });
  if (!pending->done) {
    pending->timer.expires_after(timeout);
    co_await pending->timer.async_wait(use_nothrow);
  }
  Resolution out;
  if (!pending->done) {
    pending->done = true;  // a late answer is dropped
    out.ec = beast::error::timeout;
  } else {
    out = std::move(pending->result);
  }
  co_return out;
}

awaitable<Resolution> resolve_within(Clock::duration timeout, const std::string& host, const std::string& port) {
  const Executor ex = co_await net::this_coro::executor;
  auto resolver = std::make_shared<Resolver>(ex);
  StartResolve start = [resolver, host, port](std::function<void(error_code, Resolver::results_type)> done) {
    resolver->async_resolve(host, port, [resolver, done = std::move(done)](error_code ec, Resolver::results_type r) {
      done(ec, std::move(r));
    });
  };
  Resolution out = co_await resolve_within(timeout, std::move(start));
  co_return out;
}

}  // namespace hgw::upstream
