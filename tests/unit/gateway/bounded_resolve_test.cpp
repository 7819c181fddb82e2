// Name resolution is bounded by the backend's connect_ms: a resolver that
// answers late (a slow DNS server) no longer holds the attempt.
#include <catch2/catch.hpp>

#include "gateway/upstream/BoundedResolve.hpp"

using namespace hgw;
using namespace std::chrono_literals;

namespace {

// Runs the coroutine on a fresh io_context and returns its result and how long it took.
std::pair<upstream::Resolution, Clock::duration> run(std::function<awaitable<upstream::Resolution>()> make) {
  net::io_context ioc;
  upstream::Resolution out;
  const auto start = Clock::now();
  auto took = Clock::duration{};
  net::co_spawn(ioc.get_executor(), [&]() -> awaitable<void> {
    out = co_await make();
    took = Clock::now() - start;
  }, net::detached);
  ioc.run();
  return {out, took};
}

}  // namespace

TEST_CASE("resolution: a late answer times out at the bound, an early one passes", "[upstream][dns]") {
  // A resolver that answers after 2 s, as a DNS server that drops the first query.
  std::shared_ptr<Timer> late;
  auto [slow, slow_took] = run([&]() -> awaitable<upstream::Resolution> {
    auto ex = co_await net::this_coro::executor;
    late = std::make_shared<Timer>(ex);
    co_return co_await upstream::resolve_within(150ms, [late](auto done) {
      late->expires_after(2s);
      late->async_wait([done](error_code) { done({}, {}); });
    });
  });
  CHECK(slow.ec == beast::error::timeout);
  CHECK(slow_took < 1s);

  auto [fast, fast_took] = run([]() -> awaitable<upstream::Resolution> {
    co_return co_await upstream::resolve_within(2s, "127.0.0.1", "80");
  });
  CHECK_FALSE(fast.ec);
  CHECK(fast.results.size() == 1);
  CHECK(fast_took < 1s);
}
