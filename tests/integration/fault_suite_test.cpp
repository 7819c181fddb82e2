// The fault-injection suite of issue 5 (failover and resilience), against the
// in-process simulator. For every fault: the wall time is bounded, the attempts
// the simulators saw are within bounds, no truncated answer passes for a
// success, and the gateway serves normally afterwards. The last test case
// prints the summary line over every scenario that ran before it (Catch2 runs
// test cases in declaration order).
#include "tests/integration/FaultSuite.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <future>
#include <thread>

using namespace hgw;
using namespace hgw::test;
using namespace hgw::test::faults;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

json::object parse_object(const std::string& s) {
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

std::string error_code_of(const std::string& body) {
  auto o = parse_object(body);
  if (auto* e = o.if_contains("error"); e && e->is_object())
    if (auto* c = e->as_object().if_contains("code"); c && c->is_string()) return std::string(c->as_string());
  return {};
}

std::string model_of(const std::string& body) {
  auto o = parse_object(body);
  if (auto* m = o.if_contains("model"); m && m->is_string()) return std::string(m->as_string());
  return {};
}

bool stream_ends_with_error(const StreamResult& s) {
  auto events = parse_sse(s.body);
  if (events.empty() || events.back().event != "error") return false;
  for (const auto& e : events)
    if (e.data == "[DONE]") return false;
  return true;
}

bool stream_ends_with_done(const StreamResult& s) {
  auto events = parse_sse(s.body);
  return !events.empty() && events.back().data == "[DONE]";
}

const std::string kPrimaryCost = "    cost: { input_per_mtok: 1.0, output_per_mtok: 2.0 }\n";
const std::string kFallbackCost = "    cost: { input_per_mtok: 2.5, output_per_mtok: 10.0 }\n";

// primary (local) → fallback (remote), short timeouts on both.
std::string pair_config(unsigned short primary, unsigned short fallback, const std::string& primary_extra = {},
                        const std::string& route_extra = {}, const std::string& fallback_extra = {}) {
  return gateway_config({{"primary", primary, "local", "", kFastTimeouts + kPrimaryCost + primary_extra},
                         {"fallback", fallback, "remote", "", kFastTimeouts + kFallbackCost + fallback_extra}},
                        {"primary", "fallback"}, route_extra);
}

// The cast of most scenarios: a primary and a fallback simulator behind
// pair_config(), and the Scenario that injects faults into them.
struct Pair {
  explicit Pair(sim::SimOptions primary_options = {})
      : primary(start_sim("primary", std::move(primary_options))),
        fallback(start_sim("fallback")),
        gw(pair_config(primary->port(), fallback->port())),
        sc{primary.get(), fallback.get()} {}
  std::unique_ptr<sim::Simulator> primary, fallback;
  TestGateway gw;
  Scenario sc;
};

}  // namespace

// ---------------------------------------------------------------------------
// 429

TEST_CASE("faults: 429 with a short Retry-After is waited for, then retried on the same backend", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "status=429,retry_after=1", 1);

  auto t = sc.post(gw, kChat, 3s);
  REQUIRE(t.r.status == 200);
  CHECK(t.r.header("x-hybridgw-backend") == "primary");
  CHECK(t.r.header("x-hybridgw-attempts") == "2");
  CHECK(t.wall >= 900ms);  // Retry-After: 1 honoured
  CHECK(t.wall < 2500ms);
  CHECK(posts(*primary) == 2);
  CHECK(posts(*fallback) == 0);
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"http_429\""}) == 1);
  sc.serves_normally(gw);
}

TEST_CASE("faults: 429 with a long Retry-After fails over at once", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "status=429,retry_after=30");

  auto t = sc.post(gw, kChat, 1s);
  REQUIRE(t.r.status == 200);
  CHECK(t.r.header("x-hybridgw-backend") == "fallback");
  CHECK(t.wall < 500ms);
  CHECK(posts(*primary) == 1);
  CHECK(posts(*fallback) == 1);
  CHECK(gw.metric("hybridgw_failovers_total", {"from=\"primary\"", "to=\"fallback\"", "reason=\"http_429\""}) == 1);
  sc.serves_normally(gw);
}

TEST_CASE("faults: persistent 429 without Retry-After: bounded retries, fallback, retry budget caps amplification",
          "[faults]") {
  auto primary = start_sim("primary");
  auto fallback = start_sim("fallback");
  // The circuit breaker is kept out of the way (it would cut the primary out
  // and hide the budget): only the retry budget limits the retries here.
  const std::string breaker =
      "    circuit_breaker: { consecutive_failures: 1000, error_rate: 1.0, min_requests: 1000 }\n";
  const std::string route =
      "    retry: { attempts: 3, backoff_ms: 5, max_backoff_ms: 20, budget_ratio: 0.2, "
      "budget_window_ms: 10000, budget_min_retries: 2 }\n"
      "    deadline_ms: 5000\n";
  TestGateway gw(pair_config(primary->port(), fallback->port(), breaker, route));
  Scenario sc{primary.get(), fallback.get()};
  sc.inject(*primary, "status=429");

  // The first request: attempts (3) on the primary, then the fallback.
  auto first = sc.post(gw, kChat, 1s);
  REQUIRE(first.r.status == 200);
  CHECK(first.r.header("x-hybridgw-backend") == "fallback");
  CHECK(posts(*primary) == 3);
  CHECK(posts(*fallback) == 1);

  // Many more: the budget (2 + 20 % of the requests) stops the retries.
  const int n = 30;
  for (int i = 0; i < n; ++i) {
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
  }
  const int requests = n + 1;
  const auto on_primary = posts(*primary);
  // Without a budget: 3 × 31 = 93 attempts on the primary.
  CHECK(on_primary <= static_cast<std::size_t>(requests + 2 + 0.2 * requests + 1));
  CHECK(posts(*fallback) == static_cast<std::size_t>(requests));
  const double amplification = static_cast<double>(on_primary + posts(*fallback)) / requests;
  INFO("amplification " << amplification);
  CHECK(amplification <= 2.0 + 0.2 + 0.1);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// 5xx

TEST_CASE("faults: 500 once then healthy is retried on the same backend", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "status=500", 1);

  auto t = sc.post(gw, kChat, 1s);
  REQUIRE(t.r.status == 200);
  CHECK(t.r.header("x-hybridgw-backend") == "primary");
  CHECK(t.r.header("x-hybridgw-attempts") == "2");
  CHECK(model_of(t.r.body) == "primary-model");
  CHECK(posts(*primary) == 2);
  CHECK(posts(*fallback) == 0);
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"http_5xx\""}) == 1);
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"success\""}) == 1);
  sc.serves_normally(gw);
}

TEST_CASE("faults: 503 persistent: the fallback serves", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "status=503");

  auto t = sc.post(gw, kChat, 1s);
  REQUIRE(t.r.status == 200);
  CHECK(t.r.header("x-hybridgw-backend") == "fallback");
  CHECK(t.r.header("x-hybridgw-attempts") == "3");
  CHECK(posts(*primary) == 2);
  CHECK(posts(*fallback) == 1);
  auto s = sc.stream(gw, kStreamChat, 1s);
  CHECK(s.s.status == 200);
  CHECK(s.s.header("x-hybridgw-backend") == "fallback");
  CHECK(stream_ends_with_done(s.s));
  CHECK(posts(*primary) == 4);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// Transport faults

TEST_CASE("faults: reset before the response headers", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;

  SECTION("once: retried on the same backend") {
    sc.inject(*primary, "reset", 1);
    auto t = sc.post(gw, kChat, 1s);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "primary");
    CHECK(posts(*primary) == 2);
    CHECK(posts(*fallback) == 0);
  }
  SECTION("persistent: one retry, then the fallback") {
    sc.inject(*primary, "reset");
    auto t = sc.post(gw, kChat, 1s);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
    CHECK(posts(*primary) == 2);
    CHECK(posts(*fallback) == 1);
    CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"reset\""}) == 2);
  }
  sc.serves_normally(gw);
}

TEST_CASE("faults: accepted but never answered: first-token timeout, fallback, never retried", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "hang");

  SECTION("non-streaming") {
    auto t = sc.post(gw, kChat, 1500ms);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
    CHECK(t.wall >= 280ms);   // first_token_ms 300
    CHECK(t.wall < 1000ms);   // ... and not twice
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 1);
    CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"timeout_first_token\""}) == 1);
  }
  SECTION("streaming") {
    auto t = sc.stream(gw, kStreamChat, 1500ms);
    REQUIRE(t.s.status == 200);
    CHECK(t.s.header("x-hybridgw-backend") == "fallback");
    CHECK(stream_ends_with_done(t.s));
    CHECK(t.wall >= 280ms);
    CHECK(t.wall < 1000ms);
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 1);
  }
  // The hanging upstream connection is not left open.
  // Through `pair`, not the binding: clang 14 (sanitizer builds) cannot capture bindings.
  CHECK(eventually([&] { return pair.primary->open_connections() == 0; }, 2s));
  sc.serves_normally(gw);
}

TEST_CASE("faults: slow first token beyond first_token_ms fails over", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "slow_ttft=2000");

  SECTION("streaming") {
    auto t = sc.stream(gw, kStreamChat, 1500ms);
    REQUIRE(t.s.status == 200);
    CHECK(t.s.header("x-hybridgw-backend") == "fallback");
    CHECK(stream_ends_with_done(t.s));
    CHECK(t.wall >= 280ms);
    CHECK(t.wall < 1000ms);
  }
  SECTION("non-streaming") {
    auto t = sc.post(gw, kChat, 1500ms);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
    CHECK(t.wall < 1000ms);
  }
  CHECK(posts(*primary) == 1);
  CHECK(posts(*fallback) == 1);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// Stream faults

TEST_CASE("faults: stream cut mid-answer ends with an SSE error, no [DONE], no fallback", "[faults]") {
  sim::SimOptions opts;
  opts.token_delay_ms = 5;
  Pair pair(opts);
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "cut=3");

  auto t = sc.stream(gw, kStreamChat, 1500ms);
  REQUIRE(t.s.status == 200);
  CHECK(stream_ends_with_error(t.s));
  CHECK(posts(*primary) == 1);
  CHECK(posts(*fallback) == 0);
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"success\""}) == 0);

  // Non-streaming: a body cut in the middle is never passed on as a success.
  auto w = sc.post(gw, kChat, 1500ms);
  CHECK(w.r.status == 200);
  CHECK(w.r.header("x-hybridgw-backend") == "fallback");
  sc.serves_normally(gw);
}

TEST_CASE("faults: stream stalled: idle timeout", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;

  SECTION("after bytes were sent: SSE error event") {
    sc.inject(*primary, "stall=2");
    auto t = sc.stream(gw, kStreamChat, 1500ms);
    REQUIRE(t.s.status == 200);
    CHECK(stream_ends_with_error(t.s));
    CHECK(t.s.body.find("timeout_idle") != std::string::npos);
    CHECK(t.wall >= 250ms);
    CHECK(t.wall < 1200ms);
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 0);
  }
  SECTION("headers sent, no event: fallback") {
    sc.inject(*primary, "stall=0");
    auto t = sc.stream(gw, kStreamChat, 1500ms);
    REQUIRE(t.s.status == 200);
    CHECK(t.s.header("x-hybridgw-backend") == "fallback");
    CHECK(stream_ends_with_done(t.s));
    CHECK(t.wall < 1200ms);
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 1);
  }
  // Through `pair`, not the binding: clang 14 (sanitizer builds) cannot capture bindings.
  CHECK(eventually([&] { return pair.primary->open_connections() == 0; }, 2s));
  sc.serves_normally(gw);
}

TEST_CASE("faults: malformed chunk", "[faults]") {
  sim::SimOptions opts;
  opts.token_delay_ms = 2;
  Pair pair(opts);
  auto& [primary, fallback, gw, sc] = pair;

  SECTION("first chunk, before anything reached the client: fallback") {
    sc.inject(*primary, "malformed=0");
    auto t = sc.stream(gw, kStreamChat, 1500ms);
    REQUIRE(t.s.status == 200);
    CHECK(t.s.header("x-hybridgw-backend") == "fallback");
    CHECK(stream_ends_with_done(t.s));
    CHECK(posts(*primary) <= 2);  // one retry at most
    CHECK(posts(*fallback) == 1);
    CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"malformed\""}) >= 1);
  }
  SECTION("a later chunk: SSE error, no [DONE], no fallback") {
    sc.inject(*primary, "malformed=3");
    auto t = sc.stream(gw, kStreamChat, 1500ms);
    REQUIRE(t.s.status == 200);
    CHECK(stream_ends_with_error(t.s));
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 0);
  }
  sc.serves_normally(gw);
}

TEST_CASE("faults: missing [DONE] finishes promptly and successfully", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "no_done");

  auto t = sc.stream(gw, kStreamChat, 1000ms);
  REQUIRE(t.s.status == 200);
  CHECK(t.s.complete);
  CHECK(stream_ends_with_done(t.s));
  CHECK(t.s.header("x-hybridgw-backend") == "primary");
  CHECK(t.wall < 500ms);
  CHECK(posts(*primary) == 1);
  CHECK(posts(*fallback) == 0);
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"success\""}) == 1);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// Request-level refusals

TEST_CASE("faults: context length exceeded", "[faults]") {
  auto small = start_sim("small");
  auto twin = start_sim("twin");
  auto big = start_sim("big");
  Scenario sc{small.get(), twin.get(), big.get()};

  SECTION("goes to a target with a larger context window, never the same model") {
    // twin serves the same model as small (same window): it must be skipped.
    TestGateway gw(gateway_config({{"small", small->port(), "local", "shared-model",
                                    kFastTimeouts + "    context_window: 8192\n"},
                                   {"twin", twin->port(), "local", "shared-model",
                                    kFastTimeouts + "    context_window: 8192\n"},
                                   {"big", big->port(), "remote", "", kFastTimeouts + "    context_window: 128000\n"}},
                                  {"small", "twin", "big"}));
    sc.inject(*small, "context_length");
    auto t = sc.post(gw, kChat, 1s);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "big");
    CHECK(model_of(t.r.body) == "big-model");
    CHECK(posts(*small) == 1);
    CHECK(posts(*twin) == 0);
    CHECK(posts(*big) == 1);
    sc.serves_normally(gw);
  }
  SECTION("no larger target: the upstream's 400 goes back") {
    TestGateway gw(gateway_config({{"small", small->port(), "local", "", kFastTimeouts + "    context_window: 8192\n"},
                                   {"twin", twin->port(), "remote", "", kFastTimeouts + "    context_window: 8192\n"}},
                                  {"small", "twin"}));
    sc.inject(*small, "context_length");
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 400);
    CHECK(error_code_of(t.r.body) == "context_length_exceeded");
    CHECK(t.r.body.find("maximum context length") != std::string::npos);  // the provider's message
    CHECK(posts(*small) == 1);
    CHECK(posts(*twin) == 0);
    sc.serves_normally(gw);
  }
}

TEST_CASE("faults: content filter rejection", "[faults]") {
  auto primary = start_sim("primary");
  auto fallback = start_sim("fallback");
  Scenario sc{primary.get(), fallback.get()};

  SECTION("content_policy not in failover.on: the provider's 400 as is") {
    TestGateway gw(pair_config(primary->port(), fallback->port()));
    sc.inject(*primary, "content_policy");
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 400);
    CHECK(error_code_of(t.r.body) == "content_policy_violation");
    CHECK(t.r.body.find("simulated content filter") != std::string::npos);
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 0);
    sc.serves_normally(gw);
  }
  SECTION("content_policy in failover.on: the next provider, never the same model again") {
    TestGateway gw(pair_config(primary->port(), fallback->port(), {},
                               "    retry: { attempts: 2, backoff_ms: 20, max_backoff_ms: 1000 }\n"
                               "    deadline_ms: 5000\n"
                               "    failover: { on: [connect, timeout, http_429, http_5xx, reset, malformed, "
                               "context_length, content_policy, circuit_open] }\n"));
    sc.inject(*primary, "content_policy");
    auto t = sc.post(gw, kChat, 1s);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 1);
    sc.serves_normally(gw);
  }
}

// ---------------------------------------------------------------------------
// Circuit breaker: a primary down for a while, then healthy

TEST_CASE("faults: primary down for a while then healthy: circuit opens, fallback serves, traffic returns",
          "[faults]") {
  auto primary = start_sim("primary");
  auto fallback = start_sim("fallback");
  const std::string breaker =
      "    circuit_breaker: { consecutive_failures: 3, error_rate: 0.5, min_requests: 20, window_ms: 10000, "
      "cooldown_ms: 500, max_cooldown_ms: 1000 }\n";
  TestGateway gw(pair_config(primary->port(), fallback->port(), breaker));
  Scenario sc{primary.get(), fallback.get()};
  sc.inject(*primary, "status=503");

  // The first two requests trip the breaker (2 + 1 failures in a row).
  for (int i = 0; i < 2; ++i) {
    auto t = sc.post(gw, kChat, 1s);
    REQUIRE(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
  }
  CHECK(posts(*primary) == 3);
  CHECK(gw.metric("hybridgw_circuit_state", {"backend=\"primary\""}) == 1);

  // Down for ~1.5 s: every request is served by the fallback; the primary only
  // sees the probes after each cool-down (500 ms, then 1000 ms).
  const auto down_until = std::chrono::steady_clock::now() + 1500ms;
  int during = 0;
  while (std::chrono::steady_clock::now() < down_until) {
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "fallback");
    ++during;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(during >= 10);
  const auto primary_during = posts(*primary) - 3;
  INFO("probes while down: " << primary_during);
  CHECK(primary_during <= 3);  // no hammering: probes only
  CHECK(gw.metric("hybridgw_circuit_state", {"backend=\"primary\""}) == 1);

  // Recovery: after the cool-down a probe succeeds and the traffic returns.
  primary->clear_fault();
  const auto recover_start = std::chrono::steady_clock::now();
  bool back = false;
  while (std::chrono::steady_clock::now() - recover_start < 3s) {
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 200);
    if (t.r.header("x-hybridgw-backend") == "primary") {
      back = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(back);
  CHECK(std::chrono::steady_clock::now() - recover_start <= 1500ms);  // ≤ max_cooldown + a little
  for (int i = 0; i < 3; ++i) {
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 200);
    CHECK(t.r.header("x-hybridgw-backend") == "primary");
  }
  CHECK(gw.metric("hybridgw_circuit_state", {"backend=\"primary\""}) == 0);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// Accounting

TEST_CASE("faults: failover accounting: the fallback's model and usage, failed attempts not billed", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "status=500");

  auto t = sc.post(gw, kChat, 1s);
  REQUIRE(t.r.status == 200);
  CHECK(t.r.header("x-hybridgw-backend") == "fallback");
  auto body = parse_object(t.r.body);
  CHECK(model_of(t.r.body) == "fallback-model");
  REQUIRE(body.contains("usage"));
  const auto in = body.at("usage").at("prompt_tokens").to_number<double>();
  const auto out = body.at("usage").at("completion_tokens").to_number<double>();
  const double expected_cost = (in * 2.5 + out * 10.0) / 1e6;
  CHECK(std::stod(t.r.header("x-hybridgw-cost-usd")) == Approx(expected_cost));

  auto s = sc.stream(gw, kStreamChat, 1s);
  REQUIRE(s.s.status == 200);
  CHECK(s.s.header("x-hybridgw-backend") == "fallback");
  CHECK(stream_ends_with_done(s.s));
  for (const auto& e : parse_sse(s.s.body))
    if (e.data != "[DONE]" && e.event.empty()) CHECK(model_of(e.data) == "fallback-model");

  // Two requests answered by the fallback: tokens and cost counted there only.
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"fallback\"", "kind=\"input\""}) == 2 * in);
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"fallback\"", "kind=\"output\""}) == 2 * out);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"backend=\"fallback\""}) == Approx(2 * expected_cost));
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"primary\""}) == 0);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"backend=\"primary\""}) == 0);
  CHECK(gw.metric("hybridgw_requests_total", {"backend=\"primary\""}) == 0);
  CHECK(gw.metric("hybridgw_requests_total", {"backend=\"fallback\"", "code=\"200\""}) == 2);
  CHECK(gw.metric("hybridgw_failovers_total", {"from=\"primary\"", "to=\"fallback\"", "reason=\"http_5xx\""}) == 2);
  CHECK(posts(*primary) == 4);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// Overload

TEST_CASE("faults: overload: max_concurrency 1 + max_queue 0 on a slow primary", "[faults]") {
  auto primary = start_sim("primary");
  auto fallback = start_sim("fallback");
  const std::string slow_ok =
      "    timeouts: { connect_ms: 300, first_token_ms: 3000, idle_ms: 3000, total_ms: 5000 }\n";
  const std::string cfg =
      gateway_config({{"primary", primary->port(), "local", "",
                       slow_ok + kPrimaryCost + "    max_concurrency: 1\n    max_queue: 0\n"},
                      {"fallback", fallback->port(), "remote", "", kFastTimeouts + kFallbackCost}},
                     {"primary", "fallback"}, {},
                     "  - name: solo\n"
                     "    models: [solo]\n"
                     "    targets: [primary]\n"
                     "    deadline_ms: 5000\n");
  TestGateway gw(cfg);
  Scenario sc{primary.get(), fallback.get()};
  ++tally().faults_injected;  // the slow, saturated primary
  primary->set_latency_ms(800);

  SECTION("with a fallback: the second request fails over at once") {
    auto first = std::async(std::launch::async, [&] { return sc.post(gw, kChat, 2s); });
    REQUIRE(eventually([&] { return posts(*primary) == 1; }, 1s));
    auto second = sc.post(gw, kChat, 1s);
    CHECK(second.r.status == 200);
    CHECK(second.r.header("x-hybridgw-backend") == "fallback");
    CHECK(second.wall < 300ms);
    auto f = first.get();
    CHECK(f.r.status == 200);
    CHECK(f.r.header("x-hybridgw-backend") == "primary");
    CHECK(posts(*primary) == 1);
    CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"primary\"", "outcome=\"queue_full\""}) == 1);
  }
  SECTION("without a fallback: a fast 503 with Retry-After") {
    const std::string solo = R"({"model":"solo","messages":[{"role":"user","content":"hello"}]})";
    auto first = std::async(std::launch::async, [&] { return sc.post(gw, solo, 2s); });
    REQUIRE(eventually([&] { return posts(*primary) == 1; }, 1s));
    auto second = sc.post(gw, solo, 1s);
    CHECK(second.r.status == 503);
    CHECK(!second.r.header("retry-after").empty());
    CHECK(second.wall < 300ms);
    CHECK(first.get().r.status == 200);
    CHECK(posts(*primary) == 1);
  }
  primary->set_latency_ms(0);
  sc.serves_normally(gw);
}

// ---------------------------------------------------------------------------
// Everything down

TEST_CASE("faults: all targets down: 502/503/504 with a clear message and x-hybridgw-attempts", "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;

  SECTION("both answer 503: 502 after 2 + 2 attempts") {
    sc.inject(*primary, "status=503");
    sc.inject(*fallback, "status=503");
    auto t = sc.post(gw, kChat, 1s);
    CHECK(t.r.status == 502);
    CHECK(t.r.header("x-hybridgw-attempts") == "4");
    CHECK(!error_code_of(t.r.body).empty());
    CHECK(posts(*primary) == 2);
    CHECK(posts(*fallback) == 2);
    auto s = sc.stream(gw, kStreamChat, 1s);
    CHECK(s.s.status == 502);
    CHECK(!s.s.header("x-hybridgw-attempts").empty());
  }
  SECTION("both hang: 504 after one first-token timeout each") {
    sc.inject(*primary, "hang");
    sc.inject(*fallback, "hang");
    auto t = sc.post(gw, kChat, 1500ms);
    CHECK(t.r.status == 504);
    CHECK(t.r.header("x-hybridgw-attempts") == "2");
    CHECK(t.r.body.find("timed out") != std::string::npos);
    CHECK(t.wall >= 550ms);
    CHECK(t.wall < 1200ms);
    CHECK(posts(*primary) == 1);
    CHECK(posts(*fallback) == 1);
  }
  sc.serves_normally(gw);
}

// Every circuit open: the planner answers 503 before any attempt, with
// Retry-After and x-hybridgw-attempts (a regression test).
TEST_CASE("faults: all targets down with every circuit open: a fast 503 with Retry-After and x-hybridgw-attempts",
          "[faults]") {
  Pair pair;
  auto& [primary, fallback, gw, sc] = pair;
  sc.inject(*primary, "reset");
  sc.inject(*fallback, "reset");
  // Default breaker: 5 failures in a row open it; each request tries up to twice per backend.
  for (int i = 0; i < 8; ++i) {
    auto t = sc.post(gw, kChat, 1s);
    CHECK((t.r.status == 502 || t.r.status == 503));
    if (gw.metric("hybridgw_circuit_state", {"backend=\"primary\""}) == 1 &&
        gw.metric("hybridgw_circuit_state", {"backend=\"fallback\""}) == 1)
      break;
  }
  CHECK(gw.metric("hybridgw_circuit_state", {"backend=\"primary\""}) == 1);
  CHECK(gw.metric("hybridgw_circuit_state", {"backend=\"fallback\""}) == 1);
  const auto before = posts(*primary) + posts(*fallback);
  auto t = sc.post(gw, kChat, 500ms);
  CHECK(t.r.status == 503);
  CHECK(t.r.body.find("circuit") != std::string::npos);
  CHECK(posts(*primary) + posts(*fallback) == before);
  CHECK(!t.r.header("retry-after").empty());
  CHECK(!t.r.header("x-hybridgw-attempts").empty());
  // The circuits stay open for the default 5 s cool-down: no normal-service check here.
  primary->clear_fault();
  fallback->clear_fault();
}

// ---------------------------------------------------------------------------
// Summary: must stay the last test case of the file.

TEST_CASE("faults: summary", "[faults]") {
  const auto& t = tally();
  const double amplification =
      t.client_requests > 0 ? static_cast<double>(t.upstream_attempts) / static_cast<double>(t.client_requests) : 0.0;
  char line[256];
  std::snprintf(line, sizeof line,
                "fault-suite: faults injected %d, requests lost %d, hangs %d, truncated successes %d, "
                "retry amplification %.2f",
                t.faults_injected.load(), t.lost.load(), t.hangs.load(), t.truncated.load(), amplification);
  std::printf("%s\n", line);
  std::fflush(stdout);
  CHECK(t.faults_injected > 0);
  REQUIRE(t.lost == 0);
  REQUIRE(t.hangs == 0);
  REQUIRE(t.truncated == 0);
}
