// Several replicas on one Redis (the scale-out issue, "Tests"): three gateway
// replicas in one process share a private redis-server; requests spread over
// them. A budget is exceeded by at most the requests in flight, a rate limit
// by at most one per replica; Redis killed mid-run and started again: no
// request hangs, the configured policy applies, and once reconciled the
// stored spend equals the sum of what was served.
#include "tests/integration/GatewayFixture.hpp"
#include "tests/integration/PrivateRedis.hpp"

#include "policies/auth/ApiKey.hpp"
#include "policies/cost/Budget.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace hgw;
using namespace hgw::test;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "key-scale-0001";
const std::string kOpenKey = "key-scale-0002";
const std::string kChat = R"({"model":"auto","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]})";

struct Tally {
  std::mutex m;
  int ok = 0, refused = 0, other = 0;
  double cost = 0, max_cost = 0;
  Clock::duration slowest{};
  void add(const HttpResult& r, Clock::duration took) {
    std::lock_guard lock(m);
    slowest = std::max(slowest, took);
    if (r.status == 200) {
      ++ok;
      const double c = std::stod(r.header("x-hybridgw-cost-usd"));
      cost += c;
      max_cost = std::max(max_cost, c);
    } else if (r.status == 429) {
      ++refused;
    } else {
      ++other;
    }
  }
};

// The remote simulator at $1,000 per million tokens, in and out: a request
// costs a few cents, so a small budget holds a countable number of them.
std::string replica_yaml(unsigned short sim, const std::string& redis_url, const std::string& prefix,
                         const std::string& tenant_extra, const std::string& state_extra = {}) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: redis, redis_url: \"" + redis_url + "\", key_prefix: \"" + prefix + "\"" + state_extra +
         " }\n"
         "backends:\n" +
         backend_yaml("api", sim, "remote", "    cost: { input_per_mtok: 1000, output_per_mtok: 1000 }\n") +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [api]\n"
         "tenants:\n"
         "  - name: acme\n"
         "    keys: [\"" + auth::sha256_digest_line(kKey) + "\"]\n" + tenant_extra +
         "  - name: open\n"
         "    keys: [\"" + auth::sha256_digest_line(kOpenKey) + "\"]\n";
}

std::string unique_prefix(const char* what) {
  return std::string("hgw-test-") + what + "-" + std::to_string(::getpid()) + ":";
}

struct Replicas {
  std::vector<std::unique_ptr<TestGateway>> gw;
  Replicas(const std::string& yaml, int n) {
    for (int i = 0; i < n; ++i) gw.push_back(std::make_unique<TestGateway>(yaml));
  }
};

// `threads` clients, each sending `per_thread` requests round-robin over the replicas.
void spread(Replicas& r, Tally& tally, int threads, int per_thread, const std::string& key = kKey) {
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto& gw = *r.gw[static_cast<std::size_t>(t + i) % r.gw.size()];
        const auto start = Clock::now();
        auto res = post_json(gw.port(), "/v1/chat/completions", kChat, {{"Authorization", "Bearer " + key}}, 10s);
        tally.add(res, Clock::now() - start);
      }
    });
  for (auto& c : clients) c.join();
}

// What the gateways write to std::cerr while it lives (they write from their
// own threads: the buffer takes a lock).
class CerrCapture {
 public:
  CerrCapture() : old_(std::cerr.rdbuf(&buf_)) {}
  ~CerrCapture() { std::cerr.rdbuf(old_); }
  std::string text() {
    std::lock_guard lock(buf_.m);
    return buf_.text;
  }
  std::size_t count(const std::string& what) {
    const std::string t = text();
    std::size_t n = 0;
    for (auto p = t.find(what); p != std::string::npos; p = t.find(what, p + 1)) ++n;
    return n;
  }

 private:
  struct Buf : std::streambuf {
    std::mutex m;
    std::string text;
    int_type overflow(int_type c) override {
      if (c != traits_type::eof()) {
        std::lock_guard lock(m);
        text += static_cast<char>(c);
      }
      return c;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
      std::lock_guard lock(m);
      text.append(s, static_cast<std::size_t>(n));
      return n;
    }
  } buf_;
  std::streambuf* old_;
};

double stored_spend(const PrivateRedis& redis, const std::string& prefix, const std::string& tenant) {
  const std::string v = redis.cli("GET " + prefix + "spend:" + tenant + ":" + cost::day_key(std::chrono::system_clock::now()));
  return v.empty() ? 0.0 : std::stod(v);
}

}  // namespace

TEST_CASE("three replicas share one budget: spend stays within it plus the requests in flight",
          "[integration][redis][scale]") {
  PrivateRedis redis;
  REQUIRE(redis.port() != 0);
  auto sim = start_sim("api");
  const std::string prefix = unique_prefix("budget");
  const double budget = 0.25;
  Replicas r(replica_yaml(sim->port(), redis.url(), prefix, "    budget: { daily_usd: 0.25 }\n"), 3);
  Tally tally;
  spread(r, tally, 3, 20);
  INFO("accepted " << tally.ok << ", refused " << tally.refused << ", spent $" << tally.cost << ", dearest $"
                   << tally.max_cost);
  REQUIRE(tally.ok > 0);
  CHECK(tally.other == 0);
  CHECK(tally.refused > 0);
  // At most three requests (one per client) are in flight at any time.
  CHECK(tally.cost <= budget + 3 * tally.max_cost + 1e-9);
  // Each replica alone would have spent the whole budget: three times it.
  CHECK(tally.ok <= static_cast<int>(budget / tally.max_cost) + 3 + 1);
  // Every settle reaches Redis: the stored spend is what was served.
  CHECK(eventually([&] { return std::abs(stored_spend(redis, prefix, "acme") - tally.cost) < 1e-9; }, 5s));
}

TEST_CASE("three replicas share one rate limit: at most one more request per replica",
          "[integration][redis][scale]") {
  PrivateRedis redis;
  REQUIRE(redis.port() != 0);
  auto sim = start_sim("api");
  Replicas r(replica_yaml(sim->port(), redis.url(), unique_prefix("rpm"), "    rate_limit: { requests_per_minute: 10 }\n"),
             3);
  Tally tally;
  spread(r, tally, 3, 10);  // 30 requests within seconds
  INFO("accepted " << tally.ok << ", refused " << tally.refused);
  CHECK(tally.other == 0);
  CHECK(tally.ok >= 10);
  CHECK(tally.ok <= 10 + 3);
  CHECK(tally.refused == 30 - tally.ok);
}

TEST_CASE("Redis killed and started again: nothing hangs, the replica serves alone, then reconciles",
          "[integration][redis][scale][outage]") {
  PrivateRedis redis;
  REQUIRE(redis.port() != 0);
  auto sim = start_sim("api");
  const std::string prefix = unique_prefix("outage");
  Replicas r(replica_yaml(sim->port(), redis.url(), prefix, "    budget: { daily_usd: 100 }\n",
                          ", redis_timeout_ms: 200"),
             3);
  Tally before, during, after;
  spread(r, before, 3, 5);
  REQUIRE(before.ok == 15);

  CerrCapture log;
  redis.kill();
  spread(r, during, 3, 5);  // serve_local: every request is answered, none waits long
  CHECK(during.ok == 15);
  CHECK(during.slowest < 2s);
  auto ready = http_request(r.gw[0]->admin_port(), "GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body.find("degraded") != std::string::npos);
  CHECK(r.gw[0]->metric("hybridgw_state_store_degraded", {"store=\"redis\""}) == 1);

  // The log says why once per replica, not per request.
  INFO(log.text());
  CHECK(log.count("shared quota store degraded") == 3);

  REQUIRE(redis.start());
  // Back: each replica adds what it spent meanwhile, and says so.
  for (auto& gw : r.gw)
    CHECK(eventually([&] { return http_request(gw->admin_port(), "GET", "/readyz").body == R"({"ready":true})"; },
                     10s));
  CHECK(eventually([&] { return log.count("shared quota store is back") == 3; }, 5s));
  spread(r, after, 3, 5);
  CHECK(after.ok == 15);
  CHECK(r.gw[0]->metric("hybridgw_state_store_degraded", {"store=\"redis\""}) == 0);
  const double served = before.cost + during.cost + after.cost;
  CHECK(eventually([&] { return std::abs(stored_spend(redis, prefix, "acme") - served) < 1e-9; }, 10s));
  INFO("before $" << before.cost << " during $" << during.cost << " after $" << after.cost);
  CHECK(stored_spend(redis, prefix, "acme") == Approx(served).epsilon(1e-12));
}

TEST_CASE("on_store_error: reject refuses tenants with budgets while Redis is gone, at once",
          "[integration][redis][scale][outage]") {
  PrivateRedis redis;
  REQUIRE(redis.port() != 0);
  auto sim = start_sim("api");
  // Globally, or for the one tenant (the global default being serve_local).
  const bool per_tenant = GENERATE(false, true);
  INFO((per_tenant ? "tenants[].on_store_error" : "state.on_store_error"));
  TestGateway gw(replica_yaml(sim->port(), redis.url(), unique_prefix("reject"),
                              per_tenant ? "    budget: { daily_usd: 100 }\n    on_store_error: reject\n"
                                         : "    budget: { daily_usd: 100 }\n",
                              per_tenant ? ", redis_timeout_ms: 200" : ", redis_timeout_ms: 200, on_store_error: reject"));
  const Headers acme = {{"Authorization", "Bearer " + kKey}}, open = {{"Authorization", "Bearer " + kOpenKey}};
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat, acme).status == 200);
  redis.kill();
  const auto start = Clock::now();
  auto r = post_json(gw.port(), "/v1/chat/completions", kChat, acme, 5s);
  CHECK(Clock::now() - start < 2s);
  CHECK(r.status == 503);
  CHECK(r.body.find("budget_store_unavailable") != std::string::npos);
  CHECK(r.header("retry-after") == "1");
  // A tenant without a budget has nothing to refuse.
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat, open).status == 200);
  REQUIRE(redis.start());
  CHECK(eventually([&] { return post_json(gw.port(), "/v1/chat/completions", kChat, acme).status == 200; }, 10s));
}

TEST_CASE("the cost report on any replica covers the whole fleet", "[integration][redis][scale]") {
  PrivateRedis redis;
  REQUIRE(redis.port() != 0);
  auto sim = start_sim("api");
  Replicas r(replica_yaml(sim->port(), redis.url(), unique_prefix("report"), ""), 3);
  Tally tally;
  spread(r, tally, 3, 4, kOpenKey);  // 12 requests, four on each replica
  REQUIRE(tally.ok == 12);
  for (auto& gw : r.gw) REQUIRE(eventually([&] { return gw->gateway().services().inflight_requests.load() == 0; }));
  // Each replica flushes its own batch when asked for a report; the others
  // flush within state.flush_ms, so ask each until the fleet's total shows.
  for (auto& gw : r.gw) {
    CHECK(eventually(
        [&] {
          auto res = http_request(gw->admin_port(), "GET", "/admin/cost-report");
          if (res.status != 200) return false;
          const auto report = boost::json::parse(res.body);
          for (const auto& route : report.at("windows").at("day").at("routes").as_array())
            if (route.at("route").as_string() == "chat")
              return route.at("requests").template to_number<double>() == 12 &&
                     std::abs(route.at("spend_usd").template to_number<double>() - tally.cost) < 1e-9;
          return false;
        },
        5s));
  }
}
