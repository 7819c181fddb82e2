// next_step decision table, backoff bounds and larger_context.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "policies/failover/RetryPolicy.hpp"

using namespace hgw::failover;
using namespace std::chrono;
using Kind = NextStep::Kind;

namespace {

hgw::config::RouteConfig route() {
  hgw::config::RouteConfig r;
  r.name = "chat";
  r.retry.attempts = 2;
  r.retry.backoff_ms = 100;
  r.retry.max_backoff_ms = 2000;
  return r;  // failover.on = Config.hpp defaults (no content_policy)
}

AttemptContext ctx(Outcome o) {
  AttemptContext c;
  c.outcome = o;
  c.attempts_on_this_backend = 1;
  c.remaining_deadline = milliseconds(10'000);
  c.bytes_sent_to_client = false;
  c.retry_budget_allows = true;
  c.has_next_target = true;
  return c;
}

const std::function<double()> half = [] { return 0.5; };

struct Row {
  Outcome outcome;
  Kind first;            // attempts_on_this_backend = 1, next target exists
  const char* reason;
};

}  // namespace

TEST_CASE("next_step: decision table for every outcome", "[failover][retry]") {
  const auto r = route();
  const Row rows[] = {
      {Outcome::success, Kind::give_up, "success"},
      {Outcome::connect_error, Kind::retry_same, "retry_transient"},
      {Outcome::tls_error, Kind::next_target, "never_same_backend"},
      {Outcome::timeout_connect, Kind::next_target, "never_same_backend"},
      {Outcome::timeout_first_token, Kind::next_target, "never_same_backend"},
      {Outcome::timeout_idle, Kind::next_target, "never_same_backend"},
      {Outcome::timeout_total, Kind::next_target, "never_same_backend"},
      {Outcome::http_429, Kind::retry_same, "retry_transient"},
      {Outcome::http_5xx, Kind::retry_same, "retry_transient"},
      {Outcome::context_length, Kind::next_target, "never_same_backend"},
      {Outcome::content_policy, Kind::give_up, "not_in_failover_on"},
      {Outcome::bad_request, Kind::give_up, "bad_request"},
      {Outcome::reset, Kind::retry_same, "retry_transient"},
      {Outcome::malformed, Kind::retry_same, "retry_transient"},
      {Outcome::circuit_open, Kind::next_target, "never_same_backend"},
      {Outcome::queue_full, Kind::next_target, "never_same_backend"},
      {Outcome::cancelled, Kind::give_up, "cancelled"},
  };
  REQUIRE(std::size(rows) == std::size(kAllOutcomes));
  for (const auto& row : rows) {
    INFO(to_string(row.outcome));
    auto c = ctx(row.outcome);
    auto s = next_step(c, r, half);
    CHECK(s.kind == row.first);
    CHECK(s.reason == row.reason);
    if (s.kind == Kind::retry_same) {
      CHECK(s.delay == milliseconds(50));  // min(2000, 100·2^0) × 0.5
    } else {
      CHECK(s.delay == milliseconds(0));
    }

    // Retries used up: transient outcomes move on.
    c.attempts_on_this_backend = 2;
    s = next_step(c, r, half);
    if (row.first == Kind::retry_same) {
      CHECK(s.kind == Kind::next_target);
      CHECK(s.reason == "attempts_exhausted");
    } else {
      CHECK(s.kind == row.first);
    }

    // No further candidate: nothing but retry_same or give_up.
    c = ctx(row.outcome);
    c.has_next_target = false;
    s = next_step(c, r, half);
    if (row.first == Kind::next_target) {
      CHECK(s.kind == Kind::give_up);
      CHECK(s.reason == "no_next_target");
    } else {
      CHECK(s.kind == row.first);
    }
    c.attempts_on_this_backend = 2;
    CHECK(next_step(c, r, half).kind == Kind::give_up);

    // Retry budget exhausted: never retry_same.
    c = ctx(row.outcome);
    c.retry_budget_allows = false;
    s = next_step(c, r, half);
    if (row.first == Kind::retry_same) {
      CHECK(s.kind == Kind::next_target);
      CHECK(s.reason == "retry_budget_exhausted");
    } else {
      CHECK(s.kind == row.first);
    }
    c.has_next_target = false;
    CHECK(next_step(c, r, half).kind == Kind::give_up);

    // After the first byte reached the client: always give up.
    c = ctx(row.outcome);
    c.bytes_sent_to_client = true;
    s = next_step(c, r, half);
    CHECK(s.kind == Kind::give_up);
    if (row.outcome != Outcome::success && row.outcome != Outcome::cancelled)
      CHECK(s.reason == "bytes_sent");

    // Deadline gone: give up.
    c = ctx(row.outcome);
    c.remaining_deadline = milliseconds(0);
    CHECK(next_step(c, r, half).kind == Kind::give_up);
    c.remaining_deadline = milliseconds(-5);
    CHECK(next_step(c, r, half).kind == Kind::give_up);
  }
}

TEST_CASE("next_step: http_429 and Retry-After", "[failover][retry]") {
  const auto r = route();
  auto c = ctx(Outcome::http_429);

  SECTION("fits the deadline: wait exactly Retry-After") {
    c.retry_after = milliseconds(1500);
    auto s = next_step(c, r, half);
    CHECK(s.kind == Kind::retry_same);
    CHECK(s.delay == milliseconds(1500));
    CHECK(s.reason == "retry_after");
  }
  SECTION("Retry-After: 0 retries at once") {
    c.retry_after = milliseconds(0);
    auto s = next_step(c, r, half);
    CHECK(s.kind == Kind::retry_same);
    CHECK(s.delay == milliseconds(0));
  }
  SECTION("longer than the remaining deadline: fail over at once") {
    c.retry_after = milliseconds(5000);
    c.remaining_deadline = milliseconds(3000);
    auto s = next_step(c, r, half);
    CHECK(s.kind == Kind::next_target);
    CHECK(s.delay == milliseconds(0));
    CHECK(s.reason == "retry_after_exceeds_deadline");
    c.has_next_target = false;
    s = next_step(c, r, half);
    CHECK(s.kind == Kind::give_up);
    CHECK(s.reason == "no_next_target");
  }
  SECTION("equal to the remaining deadline: no time left to try, move on") {
    c.retry_after = milliseconds(3000);
    c.remaining_deadline = milliseconds(3000);
    CHECK(next_step(c, r, half).kind == Kind::next_target);
  }
  SECTION("long wait with a fallback available: fail over now; without one: wait") {
    c.retry_after = milliseconds(5000);  // > max_backoff_ms, < deadline
    auto s = next_step(c, r, half);
    CHECK(s.kind == Kind::next_target);
    CHECK(s.reason == "retry_after_too_long");
    c.has_next_target = false;
    s = next_step(c, r, half);
    CHECK(s.kind == Kind::retry_same);
    CHECK(s.delay == milliseconds(5000));
  }
  SECTION("attempts or budget exhausted: fail over even if Retry-After fits") {
    c.retry_after = milliseconds(100);
    c.attempts_on_this_backend = 2;
    CHECK(next_step(c, r, half).reason == "attempts_exhausted");
    c.attempts_on_this_backend = 1;
    c.retry_budget_allows = false;
    CHECK(next_step(c, r, half).reason == "retry_budget_exhausted");
  }
  SECTION("persistent 429 without Retry-After: bounded backoff, then fail over") {
    auto s = next_step(c, r, half);
    CHECK(s.kind == Kind::retry_same);
    CHECK(s.delay == milliseconds(50));
    c.attempts_on_this_backend = 2;
    CHECK(next_step(c, r, half).kind == Kind::next_target);
  }
  SECTION("http_429 not in failover.on: returned to the client") {
    auto r2 = r;
    r2.failover.on = {"http_5xx"};
    c.retry_after = milliseconds(100);
    auto s = next_step(c, r2, half);
    CHECK(s.kind == Kind::give_up);
    CHECK(s.reason == "not_in_failover_on");
  }
}

TEST_CASE("next_step: failover.on and content_policy", "[failover][retry]") {
  auto r = route();
  SECTION("content_policy listed: next target, never the same model") {
    r.failover.on.push_back("content_policy");
    auto c = ctx(Outcome::content_policy);
    auto s = next_step(c, r, half);
    CHECK(s.kind == Kind::next_target);
    c.has_next_target = false;
    CHECK(next_step(c, r, half).kind == Kind::give_up);
  }
  SECTION("http_5xx not listed: give up, no retry either") {
    r.failover.on = {"timeout"};
    auto s = next_step(ctx(Outcome::http_5xx), r, half);
    CHECK(s.kind == Kind::give_up);
    CHECK(s.reason == "not_in_failover_on");
    CHECK(next_step(ctx(Outcome::timeout_first_token), r, half).kind == Kind::next_target);
  }
  SECTION("attempts = 1: no retries, straight to the next target") {
    r.retry.attempts = 1;
    auto s = next_step(ctx(Outcome::http_5xx), r, half);
    CHECK(s.kind == Kind::next_target);
    CHECK(s.reason == "attempts_exhausted");
  }
}

TEST_CASE("next_step: backoff grows per attempt and never exceeds the deadline", "[failover][retry]") {
  auto r = route();
  r.retry.attempts = 6;
  const std::function<double()> almost_one = [] { return 0.999; };
  auto c = ctx(Outcome::reset);
  const long expected[] = {99, 199, 399, 799, 1598};  // floor(min(2000, 100·2^k) × 0.999)
  for (int k = 0; k < 5; ++k) {
    c.attempts_on_this_backend = k + 1;
    auto s = next_step(c, r, almost_one);
    REQUIRE(s.kind == Kind::retry_same);
    CHECK(s.delay.count() == expected[k]);
  }
  c.attempts_on_this_backend = 1;
  c.remaining_deadline = milliseconds(40);
  auto s = next_step(c, r, almost_one);  // 99 ms ≥ 40 ms left
  CHECK(s.kind == Kind::next_target);
  CHECK(s.reason == "backoff_exceeds_deadline");
  s = next_step(c, r, [] { return 0.1; });  // 10 ms < 40 ms
  CHECK(s.kind == Kind::retry_same);
  CHECK(s.delay == milliseconds(10));

  // Property: whatever the inputs, a delay is shorter than the remaining
  // deadline, and next_target / give_up carry no delay.
  std::mt19937 gen(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(std::size(kAllOutcomes)) - 1);
  std::uniform_int_distribution<int> ms(-10, 3000);
  for (int i = 0; i < 5000; ++i) {
    AttemptContext a;
    a.outcome = kAllOutcomes[pick(gen)];
    a.attempts_on_this_backend = 1 + static_cast<int>(gen() % 7);
    a.remaining_deadline = milliseconds(ms(gen));
    if (gen() % 2) a.retry_after = milliseconds(ms(gen));
    a.bytes_sent_to_client = gen() % 5 == 0;
    a.retry_budget_allows = gen() % 3 != 0;
    a.has_next_target = gen() % 2;
    auto st = next_step(a, r, [&] { return u(gen); });
    if (st.kind == Kind::retry_same) {
      CHECK(st.delay < a.remaining_deadline);
      CHECK(st.delay >= milliseconds(0));
      CHECK_FALSE(a.bytes_sent_to_client);
      CHECK(a.retry_budget_allows);
      CHECK(a.attempts_on_this_backend < static_cast<int>(r.retry.attempts));
      CHECK((a.outcome == Outcome::connect_error || a.outcome == Outcome::reset ||
             a.outcome == Outcome::http_5xx || a.outcome == Outcome::http_429 ||
             a.outcome == Outcome::malformed));
    } else {
      CHECK(st.delay == milliseconds(0));
    }
    if (st.kind == Kind::next_target) CHECK(a.has_next_target);
    if (a.bytes_sent_to_client) CHECK(st.kind == Kind::give_up);
  }
}

TEST_CASE("backoff_delay: full jitter within [0, cap]", "[failover][retry]") {
  hgw::config::RetryConfig rc;
  rc.backoff_ms = 100;
  rc.max_backoff_ms = 2000;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int k = 0; k < 12; ++k) {
    const long cap = std::min<long>(2000, 100L << k);
    INFO("k=" << k);
    CHECK(backoff_delay(rc, k, [] { return 0.0; }) == milliseconds(0));
    CHECK(backoff_delay(rc, k, [] { return 0.25; }).count() == cap / 4);
    for (double v : {0.999999, 1.0, 7.0, -1.0, nan}) {
      auto d = backoff_delay(rc, k, [v] { return v; }).count();
      CHECK(d >= 0);
      CHECK(d < cap);  // U < 1, so strictly below the cap
    }
    CHECK(backoff_delay(rc, k, nullptr).count() == cap);  // no rng: no jitter
  }
  CHECK(backoff_delay(rc, 1000, nullptr) == milliseconds(2000));  // no overflow
  CHECK(backoff_delay(rc, -3, nullptr) == milliseconds(100));

  // A real generator: every sample within bounds, spread over the range.
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::function<double()> rng = [&] { return u(gen); };
  double sum = 0;
  long lo = 2000, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    auto d = backoff_delay(rc, 5, rng).count();  // cap 2000
    REQUIRE(d >= 0);
    REQUIRE(d < 2000);
    sum += static_cast<double>(d);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(sum / 2000 == Approx(1000).margin(100));
  CHECK(lo < 100);
  CHECK(hi > 1900);

  hgw::config::RetryConfig zero;
  zero.backoff_ms = 0;
  CHECK(backoff_delay(zero, 3, rng) == milliseconds(0));
}

TEST_CASE("larger_context", "[failover][retry]") {
  hgw::config::BackendConfig a, b;
  a.name = "local-qwen";
  a.model = "Qwen/Qwen2.5-7B-Instruct";
  a.context_window = 32768;
  b.name = "openai-gpt4o";
  b.model = "gpt-4o";
  b.context_window = 128000;
  CHECK(larger_context(a, b));
  CHECK_FALSE(larger_context(b, a));
  CHECK_FALSE(larger_context(a, a));  // never the same backend

  auto same_size = b;
  same_size.context_window = 32768;
  CHECK_FALSE(larger_context(a, same_size));

  auto unknown = b;
  unknown.context_window = 0;  // unknown: not skipped
  CHECK(larger_context(a, unknown));
  auto failed_unknown = a;
  failed_unknown.context_window = 0;
  CHECK(larger_context(failed_unknown, b));

  auto replica = a;  // same model on another server
  replica.name = "local-qwen-2";
  CHECK_FALSE(larger_context(a, replica));
  replica.context_window = 0;
  CHECK_FALSE(larger_context(a, replica));  // same model, unknown window: same limit
  replica.context_window = 131072;          // served with a longer max-model-len
  CHECK(larger_context(a, replica));
}
