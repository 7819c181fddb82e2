// CircuitBreaker with injected time.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "policies/failover/CircuitBreaker.hpp"

using namespace hgw::failover;
using namespace std::chrono;
using State = CircuitBreaker::State;

namespace {
const steady_clock::time_point t0 = steady_clock::time_point{} + hours(1);

hgw::config::CircuitBreakerConfig cfg() {
  hgw::config::CircuitBreakerConfig c;
  c.consecutive_failures = 3;
  c.error_rate = 0.5;
  c.min_requests = 10;
  c.window_ms = 10'000;
  c.cooldown_ms = 1'000;
  c.max_cooldown_ms = 4'000;
  return c;
}

// Opens the breaker at `at` with three consecutive failures.
void trip(CircuitBreaker& cb, steady_clock::time_point at) {
  for (int i = 0; i < 3; ++i) {
    REQUIRE(cb.allow(at));
    cb.on_failure(at);
  }
  REQUIRE(cb.state(at) == State::open);
}
}  // namespace

TEST_CASE("circuit breaker: opens on consecutive failures", "[failover][breaker]") {
  CircuitBreaker cb(cfg());
  CHECK(cb.state(t0) == State::closed);
  CHECK(cb.state_gauge_value() == 0);
  cb.on_failure(t0);
  cb.on_failure(t0);
  CHECK(cb.state(t0) == State::closed);
  cb.on_success(t0);  // a success breaks the run
  cb.on_failure(t0);
  cb.on_failure(t0);
  CHECK(cb.state(t0) == State::closed);
  CHECK(cb.allow(t0));
  cb.on_failure(t0);
  CHECK(cb.state(t0) == State::open);
  CHECK(cb.state_gauge_value() == 1);
  CHECK_FALSE(cb.allow(t0));
  CHECK_FALSE(cb.allow(t0 + milliseconds(999)));
  auto snap = cb.snapshot(t0 + milliseconds(400));
  CHECK(snap.open_remaining == milliseconds(600));
  CHECK(snap.times_opened == 1);
}

TEST_CASE("circuit breaker: opens on error rate over the window", "[failover][breaker]") {
  auto c = cfg();
  c.consecutive_failures = 0;  // rate trigger only
  CircuitBreaker cb(c);
  auto t = t0;
  // S F S F S F S F: 4 failures in 8 requests — below min_requests.
  for (int i = 0; i < 4; ++i) {
    cb.on_success(t);
    cb.on_failure(t);
    t += milliseconds(100);
  }
  CHECK(cb.state(t) == State::closed);
  cb.on_success(t);  // 9 requests, 4 failures
  CHECK(cb.state(t) == State::closed);
  cb.on_failure(t);  // 10 requests, 5 failures = 0.5
  CHECK(cb.state(t) == State::open);
  CHECK_FALSE(cb.allow(t));
}

TEST_CASE("circuit breaker: error rate forgets failures outside the window", "[failover][breaker]") {
  auto c = cfg();
  c.consecutive_failures = 0;
  CircuitBreaker cb(c);
  for (int i = 0; i < 9; ++i) cb.on_failure(t0);  // 9 requests, all failed, < min_requests
  CHECK(cb.state(t0) == State::closed);
  auto later = t0 + milliseconds(11'000);  // the window has slid past them
  for (int i = 0; i < 8; ++i) cb.on_success(later);
  cb.on_failure(later);
  cb.on_failure(later);  // 10 requests in window, 2 failures
  CHECK(cb.state(later) == State::closed);
  auto snap = cb.snapshot(later);
  CHECK(snap.window_requests == 10);
  CHECK(snap.window_failures == 2);
}

TEST_CASE("circuit breaker: half-open lets exactly one probe through", "[failover][breaker]") {
  CircuitBreaker cb(cfg());
  trip(cb, t0);
  const auto after = t0 + milliseconds(1000);
  CHECK(cb.state(after) == State::half_open);  // as traffic would see it
  CHECK(cb.state_gauge_value() == 1);          // nothing probed yet
  CHECK(cb.allow(after));                      // the probe
  CHECK(cb.state_gauge_value() == 2);
  CHECK(cb.snapshot(after).probe_in_flight);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(cb.allow(after + milliseconds(i * 100)));
  CHECK(cb.state(after) == State::half_open);

  SECTION("success closes") {
    cb.on_success(after + milliseconds(50));
    CHECK(cb.state(after) == State::closed);
    CHECK(cb.state_gauge_value() == 0);
    CHECK(cb.allow(after + milliseconds(60)));
    CHECK(cb.allow(after + milliseconds(60)));
    // The cool-down is back to its base value.
    trip(cb, after + milliseconds(100));
    CHECK(cb.snapshot(after + milliseconds(100)).cooldown == milliseconds(1000));
  }
  SECTION("abandoned probe: the next allow() sends a new one") {
    cb.on_probe_abandoned(after + milliseconds(10));
    CHECK(cb.state(after) == State::half_open);
    CHECK(cb.allow(after + milliseconds(20)));
    CHECK_FALSE(cb.allow(after + milliseconds(20)));
    cb.on_success(after + milliseconds(30));
    CHECK(cb.state(after) == State::closed);
  }
  SECTION("lost probe: after the lease another probe goes out") {
    CHECK_FALSE(cb.allow(after + milliseconds(3999)));
    CHECK(cb.allow(after + milliseconds(4000)));  // lease = max_cooldown_ms
    CHECK_FALSE(cb.allow(after + milliseconds(4001)));
  }
}

TEST_CASE("circuit breaker: failed probe reopens with a doubled cool-down up to max", "[failover][breaker]") {
  CircuitBreaker cb(cfg());
  trip(cb, t0);
  auto t = t0;
  const long expected[] = {2000, 4000, 4000, 4000};
  t += milliseconds(1000);
  for (long cooldown : expected) {
    INFO("cool-down " << cooldown);
    REQUIRE(cb.allow(t));  // probe
    cb.on_failure(t);
    CHECK(cb.state(t) == State::open);
    CHECK(cb.snapshot(t).cooldown == milliseconds(cooldown));
    CHECK_FALSE(cb.allow(t + milliseconds(cooldown - 1)));
    t += milliseconds(cooldown);
  }
  REQUIRE(cb.allow(t));
  cb.on_success(t);
  CHECK(cb.state(t) == State::closed);
  CHECK(cb.snapshot(t).cooldown == milliseconds(1000));
  CHECK(cb.snapshot(t).times_opened == 5);
}

TEST_CASE("circuit breaker: late results while open are ignored", "[failover][breaker]") {
  CircuitBreaker cb(cfg());
  trip(cb, t0);
  cb.on_success(t0 + milliseconds(10));
  CHECK(cb.state(t0 + milliseconds(10)) == State::open);
  cb.on_failure(t0 + milliseconds(500));  // does not extend the open period
  CHECK(cb.allow(t0 + milliseconds(1000)));
}

TEST_CASE("circuit breaker: a stuck-closed config never opens", "[failover][breaker]") {
  auto c = cfg();
  c.consecutive_failures = 0;
  c.error_rate = 0;
  CircuitBreaker cb(c);
  for (int i = 0; i < 1000; ++i) cb.on_failure(t0);
  CHECK(cb.allow(t0));
}

TEST_CASE("circuit breaker: concurrent callers get exactly one probe", "[failover][breaker]") {
  CircuitBreaker cb(cfg());
  trip(cb, t0);
  const auto after = t0 + milliseconds(1000);
  std::atomic<int> granted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (int k = 0; k < 1000; ++k)
        if (cb.allow(after)) granted.fetch_add(1);
    });
  go = true;
  for (auto& th : threads) th.join();
  CHECK(granted.load() == 1);
}
