// RetryBudget, HealthState, ConcurrencyGate and LatencyEwma.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "policies/failover/ConcurrencyGate.hpp"
#include "policies/failover/HealthState.hpp"
#include "policies/failover/LatencyEwma.hpp"
#include "policies/failover/RetryBudget.hpp"

using namespace hgw::failover;
using namespace std::chrono;

namespace {
const steady_clock::time_point t0 = steady_clock::time_point{} + hours(1);
}

// ---- RetryBudget ---------------------------------------------------------------

TEST_CASE("retry budget: min retries, then a share of requests", "[failover][budget]") {
  RetryBudget b(0.2, milliseconds(10'000), 3);
  // No traffic yet: the floor of 3 retries per window.
  CHECK(b.try_acquire_retry(t0));
  CHECK(b.try_acquire_retry(t0));
  CHECK(b.try_acquire_retry(t0));
  CHECK_FALSE(b.try_acquire_retry(t0));
  // 10 requests → 3 + 0.2 × 10 = 5 retries in the window.
  for (int i = 0; i < 10; ++i) b.on_request(t0 + milliseconds(100));
  CHECK(b.try_acquire_retry(t0 + milliseconds(200)));
  CHECK(b.try_acquire_retry(t0 + milliseconds(200)));
  CHECK_FALSE(b.try_acquire_retry(t0 + milliseconds(200)));
  auto s = b.snapshot(t0 + milliseconds(200));
  CHECK(s.requests == 10);
  CHECK(s.retries == 5);
  CHECK(s.allowed == Approx(5.0));
}

TEST_CASE("retry budget: the window slides", "[failover][budget]") {
  RetryBudget b(0.5, milliseconds(10'000), 0);
  for (int i = 0; i < 4; ++i) b.on_request(t0);
  CHECK(b.try_acquire_retry(t0));
  CHECK(b.try_acquire_retry(t0));
  CHECK_FALSE(b.try_acquire_retry(t0));
  // 6 s later: the old requests and retries are still in the window.
  const auto t6 = t0 + milliseconds(6'000);
  for (int i = 0; i < 2; ++i) b.on_request(t6);
  CHECK(b.try_acquire_retry(t6));  // 6 requests → 3 retries
  CHECK_FALSE(b.try_acquire_retry(t6));
  // 11 s after t0: only the t6 traffic is left (2 requests, 1 retry).
  const auto t11 = t0 + milliseconds(11'000);
  auto s = b.snapshot(t11);
  CHECK(s.requests == 2);
  CHECK(s.retries == 1);
  CHECK_FALSE(b.try_acquire_retry(t11));  // 1 ≥ 0.5 × 2
  // 17 s: everything gone.
  const auto t17 = t0 + milliseconds(17'000);
  CHECK(b.snapshot(t17).requests == 0);
  CHECK_FALSE(b.try_acquire_retry(t17));  // no requests, no floor
  b.on_request(t17);
  b.on_request(t17);
  CHECK(b.try_acquire_retry(t17));
}

TEST_CASE("retry budget: amplification stays bounded under a storm", "[failover][budget]") {
  hgw::config::RetryConfig rc;  // 0.2 over 10 s, min 3
  RetryBudget b(rc);
  auto t = t0;
  int requests = 0, retries = 0;
  for (int i = 0; i < 10'000; ++i) {  // 1000 rps for 10 s, every request wants 3 retries
    t += milliseconds(1);
    b.on_request(t);
    ++requests;
    for (int k = 0; k < 3; ++k)
      if (b.try_acquire_retry(t)) ++retries;
  }
  CHECK(static_cast<double>(retries) / requests <= 0.2 + 0.01);
  CHECK(retries > 0);
}

// ---- HealthState -----------------------------------------------------------------

TEST_CASE("health state: thresholds", "[failover][health]") {
  hgw::config::HealthCheckConfig hc;
  hc.unhealthy_threshold = 2;
  hc.healthy_threshold = 3;
  HealthState h(hc);
  CHECK(h.healthy());
  CHECK(h.gauge_value() == 1);
  CHECK_FALSE(h.on_check(false));
  CHECK(h.healthy());
  CHECK(h.on_check(false));  // second failure in a row: down
  CHECK_FALSE(h.healthy());
  CHECK(h.gauge_value() == 0);
  CHECK_FALSE(h.on_check(true));
  CHECK_FALSE(h.on_check(true));
  CHECK_FALSE(h.on_check(false));  // the run of good checks starts over
  CHECK(h.consecutive_successes() == 0);
  CHECK_FALSE(h.on_check(true));
  CHECK_FALSE(h.on_check(true));
  CHECK(h.consecutive_successes() == 2);
  CHECK(h.on_check(true));  // third in a row: up
  CHECK(h.healthy());
  CHECK_FALSE(h.on_check(false));  // one blip does not take it down
  CHECK(h.consecutive_failures() == 1);
  CHECK(h.healthy());
}

TEST_CASE("health state: start state and disabled checks", "[failover][health]") {
  hgw::config::HealthCheckConfig hc;  // unhealthy 2, healthy 1
  HealthState down(hc, /*initially_healthy=*/false);
  CHECK_FALSE(down.healthy());
  CHECK(down.on_check(true));
  CHECK(down.healthy());

  hc.enabled = false;
  HealthState off(hc, false);
  CHECK(off.healthy());
  for (int i = 0; i < 10; ++i) CHECK_FALSE(off.on_check(false));
  CHECK(off.healthy());

  hgw::config::HealthCheckConfig zero;
  zero.unhealthy_threshold = 0;  // treated as 1
  HealthState z(zero);
  CHECK(z.on_check(false));
  CHECK_FALSE(z.healthy());
}

// ---- ConcurrencyGate -------------------------------------------------------------

TEST_CASE("concurrency gate: bounded queue and FIFO hand-off", "[failover][gate]") {
  ConcurrencyGate g(2, 2);
  std::vector<int> granted;
  CHECK(g.try_enter([] {}).result == ConcurrencyGate::Result::entered);
  CHECK(g.try_enter([] {}).result == ConcurrencyGate::Result::entered);
  auto a = g.try_enter([&] { granted.push_back(1); });
  auto b = g.try_enter([&] { granted.push_back(2); });
  CHECK(a.result == ConcurrencyGate::Result::queued);
  CHECK(b.result == ConcurrencyGate::Result::queued);
  CHECK(a.ticket != b.ticket);
  CHECK(g.try_enter([&] { granted.push_back(3); }).result == ConcurrencyGate::Result::full);
  CHECK(g.inflight() == 2);
  CHECK(g.queued() == 2);

  g.leave();  // slot passes to the oldest waiter
  CHECK(granted == std::vector<int>{1});
  CHECK(g.inflight() == 2);
  CHECK(g.queued() == 1);
  CHECK_FALSE(g.cancel(a.ticket));  // already granted: the caller owns a slot

  // A newcomer does not jump the queue.
  CHECK(g.try_enter([&] { granted.push_back(4); }).result == ConcurrencyGate::Result::queued);
  g.leave();
  CHECK(granted == std::vector<int>{1, 2});
  g.leave();
  CHECK(granted == std::vector<int>{1, 2, 4});
  g.leave();
  g.leave();
  CHECK(g.inflight() == 0);
  CHECK(g.queued() == 0);
  g.leave();  // unbalanced: ignored
  CHECK(g.inflight() == 0);
}

TEST_CASE("concurrency gate: cancelled waiters are skipped", "[failover][gate]") {
  ConcurrencyGate g(1, 3);
  std::vector<int> granted;
  REQUIRE(g.try_enter({}).result == ConcurrencyGate::Result::entered);
  auto a = g.try_enter([&] { granted.push_back(1); });
  auto b = g.try_enter([&] { granted.push_back(2); });
  CHECK(g.cancel(a.ticket));  // queue timeout
  CHECK_FALSE(g.cancel(a.ticket));
  CHECK(g.queued() == 1);
  g.leave();
  CHECK(granted == std::vector<int>{2});
  g.leave();
  CHECK(g.inflight() == 0);
  (void)b;
}

TEST_CASE("concurrency gate: no queue, unlimited, reload", "[failover][gate]") {
  ConcurrencyGate noq(1, 0);
  CHECK(noq.try_enter([] {}).result == ConcurrencyGate::Result::entered);
  CHECK(noq.try_enter([] {}).result == ConcurrencyGate::Result::full);

  ConcurrencyGate unlimited(0, 0);
  for (int i = 0; i < 1000; ++i)
    CHECK(unlimited.try_enter({}).result == ConcurrencyGate::Result::entered);
  CHECK(unlimited.inflight() == 1000);

  hgw::config::BackendConfig bc;
  bc.max_concurrency = 1;
  bc.max_queue = 2;
  ConcurrencyGate g(bc);
  int granted = 0;
  REQUIRE(g.try_enter({}).result == ConcurrencyGate::Result::entered);
  REQUIRE(g.try_enter([&] { ++granted; }).result == ConcurrencyGate::Result::queued);
  REQUIRE(g.try_enter([&] { ++granted; }).result == ConcurrencyGate::Result::queued);
  CHECK(g.try_enter([] {}).result == ConcurrencyGate::Result::full);
  g.set_limits(3, 2);  // raised: both waiters enter at once
  CHECK(granted == 2);
  CHECK(g.inflight() == 3);
  g.set_limits(1, 0);  // lowered: leaving frees slots until under the limit
  CHECK(g.try_enter([] {}).result == ConcurrencyGate::Result::full);
  g.leave();
  g.leave();
  CHECK(g.inflight() == 1);
  CHECK(g.try_enter([] {}).result == ConcurrencyGate::Result::full);
  g.leave();
  CHECK(g.try_enter([] {}).result == ConcurrencyGate::Result::entered);
}

TEST_CASE("concurrency gate: never more than max in flight under contention", "[failover][gate]") {
  constexpr std::uint32_t kMax = 3;
  ConcurrencyGate g(kMax, 4);
  std::atomic<int> inside{0}, peak{0}, full{0}, done{0};
  auto work = [&] {
    int now = inside.fetch_add(1) + 1;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {}
    std::this_thread::yield();
    inside.fetch_sub(1);
    done.fetch_add(1);
    g.leave();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto granted = std::make_shared<std::atomic<bool>>(false);
        auto adm = g.try_enter([granted] { granted->store(true); });
        if (adm.result == ConcurrencyGate::Result::full) {
          full.fetch_add(1);
          continue;
        }
        if (adm.result == ConcurrencyGate::Result::queued)
          while (!granted->load()) std::this_thread::yield();
        work();
      }
    });
  for (auto& th : threads) th.join();
  CHECK(peak.load() <= static_cast<int>(kMax));
  CHECK(done.load() + full.load() == 6 * 2000);
  CHECK(g.inflight() == 0);
  CHECK(g.queued() == 0);
}

// ---- LatencyEwma -----------------------------------------------------------------

TEST_CASE("latency EWMA", "[failover][ewma]") {
  LatencyEwma e(0.5);
  CHECK_FALSE(e.has_samples());
  CHECK(e.value() == 0.0);
  e.observe(1.0);
  CHECK(e.has_samples());
  CHECK(e.value() == Approx(1.0));  // the first sample sets it
  e.observe(3.0);
  CHECK(e.value() == Approx(2.0));
  e.observe(-1.0);
  e.observe(std::numeric_limits<double>::quiet_NaN());
  e.observe(std::numeric_limits<double>::infinity());
  CHECK(e.value() == Approx(2.0));
  CHECK(e.count() == 2);
  for (int i = 0; i < 50; ++i) e.observe(0.2);
  CHECK(e.value() == Approx(0.2).margin(1e-9));

  LatencyEwma bad_alpha(7.0);
  CHECK(bad_alpha.alpha() == Approx(0.3));

  LatencyEwma shared(0.1);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) shared.observe(0.5);
    });
  for (auto& th : ts) th.join();
  CHECK(shared.count() == 40'000);
  CHECK(shared.value() == Approx(0.5));
}
