#include <catch2/catch.hpp>

#include <map>

#include "policies/cost/Pricing.hpp"
#include "policies/routing/Planner.hpp"
#include "tests/unit/routing/RoutingFixtures.hpp"

using namespace hgw;
using hgw::test::backend_names;
using hgw::test::trace_of;
using Names = std::vector<std::string>;

namespace {

struct Planned {
  config::Config cfg = test::make_config();
  std::vector<routing::BackendRuntime> rt = std::vector<routing::BackendRuntime>(4);
  std::vector<bool> eligible = std::vector<bool>(4, true);
  std::vector<std::string> reasons = std::vector<std::string>(4);
  bool use_compliance = false;
  cost::BudgetStatus budget;
  const config::TenantConfig* tenant = nullptr;
  routing::WeightedState* weighted = nullptr;

  routing::Decision run(const policy::RequestFeatures& req, size_t route = 0) {
    routing::PlanInput in{cfg,
                          cfg.routes[route],
                          tenant,
                          req,
                          use_compliance ? &eligible : nullptr,
                          use_compliance ? &reasons : nullptr,
                          rt,
                          budget,
                          weighted};
    return routing::plan(in);
  }
};

}  // namespace

TEST_CASE("priority keeps config order, rejected ones listed with reasons", "[routing][priority]") {
  Planned p;
  auto d = p.run(test::request());
  CHECK(d.ok());
  CHECK(backend_names(p.cfg, d) == Names{"local-qwen", "openai-gpt4o", "openai-mini"});
  CHECK(d.rule == "default");
  CHECK(d.strategy == "priority");
  REQUIRE(d.trace.size() == 3);
  CHECK(d.trace[0].verdict == routing::Verdict::selected);
  CHECK(d.trace[1].verdict == routing::Verdict::fallback);
  CHECK(d.trace[1].order == 1);
  CHECK(d.trace[2].order == 2);

  p.rt[0].healthy = false;
  d = p.run(test::request());
  CHECK(backend_names(p.cfg, d) == Names{"openai-gpt4o", "openai-mini"});
  CHECK(trace_of(d, "local-qwen")->verdict == routing::Verdict::rejected);
  CHECK(trace_of(d, "local-qwen")->reason == "health check: down");
  CHECK(trace_of(d, "local-qwen")->policy == "health");

  p.rt[1].circuit_open = true;
  d = p.run(test::request());
  CHECK(backend_names(p.cfg, d) == Names{"openai-mini"});
  CHECK(trace_of(d, "openai-gpt4o")->reason == "circuit_open");
}

TEST_CASE("weighted: smooth weighted round-robin 3:1 is exactly 75/25 over 100 picks", "[routing][weighted]") {
  Planned p;
  p.cfg.routes[0].strategy = hgw::config::Strategy::weighted;
  p.cfg.routes[0].targets = {{"local-qwen", 3}, {"openai-gpt4o", 1}};
  routing::WeightedState ws;
  p.weighted = &ws;
  std::map<std::string, int> count;
  std::string seq;
  for (int i = 0; i < 100; ++i) {
    auto d = p.run(test::request());
    REQUIRE(d.ok());
    REQUIRE(d.order.size() == 2);  // the other one follows as fallback
    const auto name = p.cfg.backends[static_cast<size_t>(d.order[0])].name;
    ++count[name];
    if (i < 8) seq += name == "local-qwen" ? 'L' : 'O';
  }
  CHECK(count["local-qwen"] == 75);
  CHECK(count["openai-gpt4o"] == 25);
  CHECK(seq == "LLOLLLOL");  // nginx SWRR interleaving: a a b a per cycle (rotated)

  // An unhealthy member drops out, the rest takes everything.
  p.rt[0].healthy = false;
  for (int i = 0; i < 4; ++i) CHECK(backend_names(p.cfg, p.run(test::request()))[0] == "openai-gpt4o");
}

TEST_CASE("weighted distribution for 5:3:2", "[routing][weighted]") {
  routing::WeightedState ws;
  std::vector<std::pair<std::string, std::uint32_t>> c = {{"a", 5}, {"b", 3}, {"c", 2}};
  std::map<int, int> n;
  for (int i = 0; i < 100; ++i) ++n[ws.pick("k", c)];
  CHECK(n[0] == 50);
  CHECK(n[1] == 30);
  CHECK(n[2] == 20);
}

TEST_CASE("cheapest orders by the estimated cost of this request", "[routing][cheapest]") {
  Planned p;
  p.cfg.routes[0].strategy = hgw::config::Strategy::cheapest;
  p.cfg.routes[0].targets = {{"openai-gpt4o", 1}, {"local-qwen", 1}, {"openai-mini", 1}};
  auto d = p.run(test::request(1000, 500));
  // local-qwen: 2/(2500*3600) per token ≈ 2.22e-7 → 1500 tokens ≈ 3.3e-4
  // openai-mini: 1000*0.15e-6 + 500*0.6e-6 = 4.5e-4 ; gpt4o: 0.0025 + 0.005 = 0.0075
  CHECK(backend_names(p.cfg, d) == Names{"local-qwen", "openai-mini", "openai-gpt4o"});
  CHECK(trace_of(d, "openai-gpt4o")->estimated_cost_usd == Approx(0.0075).epsilon(1e-12));
  CHECK(trace_of(d, "openai-mini")->estimated_cost_usd == Approx(0.00045).epsilon(1e-12));
  CHECK(trace_of(d, "local-qwen")->reason.find("cheapest") != std::string::npos);
  CHECK(trace_of(d, "openai-gpt4o")->reason.find("cost order") != std::string::npos);

  // Local down → the cheaper remote wins.
  p.rt[0].healthy = false;
  d = p.run(test::request(1000, 500));
  CHECK(backend_names(p.cfg, d) == Names{"openai-mini", "openai-gpt4o"});
}

TEST_CASE("least_loaded uses inflight / max_concurrency", "[routing][least_loaded]") {
  Planned p;
  p.cfg.routes[0].strategy = hgw::config::Strategy::least_loaded;
  p.cfg.routes[0].targets = {{"local-qwen", 1}, {"local-big", 1}, {"openai-gpt4o", 1}};
  p.cfg.backends[0].max_concurrency = 10;
  p.cfg.backends[3].max_concurrency = 100;
  p.cfg.backends[1].max_concurrency = 50;
  p.rt[0].inflight = 5;   // 0.5
  p.rt[3].inflight = 20;  // 0.2
  p.rt[1].inflight = 15;  // 0.3
  auto d = p.run(test::request());
  CHECK(backend_names(p.cfg, d) == Names{"local-big", "local-qwen", "openai-gpt4o"});
  CHECK(trace_of(d, "local-big")->reason == "least loaded: 20/100 in flight");

  // Unlimited (0) counts as capacity 1e9: nearly always least loaded.
  p.cfg.backends[1].max_concurrency = 0;
  p.rt[1].inflight = 500;
  d = p.run(test::request());
  CHECK(backend_names(p.cfg, d)[0] == "openai-gpt4o");
}

TEST_CASE("fastest: unsampled first, then lowest EWMA (ttft for streams)", "[routing][fastest]") {
  Planned p;
  p.cfg.routes[0].strategy = hgw::config::Strategy::fastest;
  p.cfg.routes[0].targets = {{"local-qwen", 1}, {"openai-gpt4o", 1}, {"openai-mini", 1}};
  p.rt[0] = {true, false, 0, 2.0, 0.50, true};
  p.rt[1] = {true, false, 0, 1.0, 0.90, true};
  p.rt[2] = {true, false, 0, 0, 0, false};
  auto d = p.run(test::request());
  CHECK(backend_names(p.cfg, d)[0] == "openai-mini");
  CHECK(trace_of(d, "openai-mini")->reason == "no latency samples yet: probed first");

  p.rt[2] = {true, false, 0, 3.0, 0.70, true};
  d = p.run(test::request());
  CHECK(backend_names(p.cfg, d) == Names{"openai-gpt4o", "local-qwen", "openai-mini"});
  auto stream = test::request();
  stream.stream = true;
  d = p.run(stream);
  CHECK(backend_names(p.cfg, d) == Names{"local-qwen", "openai-gpt4o", "openai-mini"});
  CHECK(trace_of(d, "local-qwen")->reason.find("time to first token 0.500 s") != std::string::npos);
}

TEST_CASE("conditional rules: first match wins, rule strategy overrides", "[routing][when]") {
  Planned p;
  auto& route = p.cfg.routes[0];
  config::WhenRule longctx;
  longctx.name = "long-context";
  longctx.min_prompt_tokens = 8000;
  longctx.targets = {{"local-big", 1}, {"openai-gpt4o", 1}};
  config::WhenRule premium;
  premium.name = "premium";
  premium.headers = {{"x-hybridgw-tier", "premium"}};
  premium.targets = {{"openai-gpt4o", 1}};
  config::WhenRule tools;
  tools.name = "tools";
  tools.has_tools = true;
  tools.strategy = hgw::config::Strategy::cheapest;
  tools.targets = {{"openai-gpt4o", 1}, {"openai-mini", 1}};
  config::WhenRule fin;
  fin.name = "finance-json";
  fin.tenants = {"finance"};
  fin.json_mode = true;
  fin.targets = {{"local-qwen", 1}};
  route.when = {longctx, premium, tools, fin};

  auto d = p.run(test::request(9000, 100));
  CHECK(d.rule == "long-context");
  CHECK(backend_names(p.cfg, d) == Names{"local-big", "openai-gpt4o"});

  auto r = test::request(100, 100);
  r.headers = {{"x-hybridgw-tier", "premium"}};
  d = p.run(r);
  CHECK(d.rule == "premium");
  r.headers = {{"x-hybridgw-tier", "Premium"}};  // exact match only
  CHECK(p.run(r).rule == "default");

  // Long prompt with the premium header: the first rule wins.
  r = test::request(9000, 100);
  r.headers = {{"x-hybridgw-tier", "premium"}};
  CHECK(p.run(r).rule == "long-context");

  r = test::request(100, 100);
  r.has_tools = true;
  d = p.run(r);
  CHECK(d.rule == "tools");
  CHECK(d.strategy == "cheapest");
  CHECK(backend_names(p.cfg, d) == Names{"openai-mini", "openai-gpt4o"});

  r = test::request(100, 100);
  r.json_mode = true;
  CHECK(p.run(r).rule == "default");  // no tenant
  p.tenant = &p.cfg.tenants[0];
  d = p.run(r);
  CHECK(d.rule == "finance-json");
  CHECK(backend_names(p.cfg, d) == Names{"local-qwen"});

  // max_prompt_tokens and has_images
  config::WhenRule small;
  small.name = "small";
  small.max_prompt_tokens = 500;
  small.has_images = false;
  small.targets = {{"local-qwen", 1}};
  route.when = {small};
  CHECK(p.run(test::request(500, 10)).rule == "small");
  CHECK(p.run(test::request(501, 10)).rule == "default");
  auto img = test::request(10, 10);
  img.has_images = true;
  CHECK(p.run(img).rule == "default");

  // Unnamed rule
  route.when[0].name.clear();
  CHECK(p.run(test::request(10, 10)).rule == "when[0]");
}

TEST_CASE("context window too small: skipped with the reason; all too small → 400", "[routing][context]") {
  Planned p;
  auto d = p.run(test::request(8500, 500));
  CHECK(backend_names(p.cfg, d) == Names{"openai-gpt4o", "openai-mini"});
  const auto* t = trace_of(d, "local-qwen");
  CHECK(t->verdict == routing::Verdict::rejected);
  CHECK(t->policy == "context_window");
  CHECK(t->reason == "context_window 8192 < 9000 estimated tokens");

  p.cfg.routes[0].targets = {{"local-qwen", 1}};
  d = p.run(test::request(8500, 500));
  CHECK_FALSE(d.ok());
  CHECK(d.status == 400);
  CHECK(d.error_code == "context_length_exceeded");
  CHECK(d.error_message.find("9000") != std::string::npos);
  CHECK(d.error_message.find("8192") != std::string::npos);

  // context_window 0 = unknown: never skipped.
  p.cfg.backends[0].context_window = 0;
  CHECK(p.run(test::request(8500, 500)).ok());
}

TEST_CASE("compliance: excluded candidates rejected with reason; 403 vs 503 fail closed", "[routing][compliance]") {
  Planned p;
  p.use_compliance = true;
  p.eligible = {true, false, false, true};
  p.reasons = {"", "rule restricted-local-only: locality remote not allowed",
               "rule restricted-local-only: locality remote not allowed", ""};
  auto d = p.run(test::request());
  CHECK(backend_names(p.cfg, d) == Names{"local-qwen"});
  CHECK(trace_of(d, "openai-gpt4o")->policy == "compliance");
  CHECK(trace_of(d, "openai-gpt4o")->reason == "rule restricted-local-only: locality remote not allowed");
  CHECK(d.short_form() ==
        "route=chat;rule=default;strategy=priority;order=local-qwen;rejected=openai-gpt4o:compliance,openai-mini:compliance");

  // Compliant local exists but is down: 503, never the remote.
  p.rt[0].healthy = false;
  d = p.run(test::request());
  CHECK_FALSE(d.ok());
  CHECK(d.order.empty());
  CHECK(d.status == 503);
  CHECK(d.error_code == "no_healthy_backend");
  CHECK(d.error_message.find("local-qwen: health check: down") != std::string::npos);

  // Circuit open counts the same.
  p.rt[0].healthy = true;
  p.rt[0].circuit_open = true;
  CHECK(p.run(test::request()).status == 503);

  // Nothing compliant: 403, even when everything is healthy.
  p.rt[0] = {};
  p.eligible = {false, false, false, false};
  d = p.run(test::request());
  CHECK(d.status == 403);
  CHECK(d.error_code == "compliance_forbidden");
  CHECK(d.order.empty());
  CHECK(trace_of(d, "local-qwen")->reason == "excluded by compliance rules");
}

TEST_CASE("tenant limited to other routes → 403 naming the route", "[routing][tenant]") {
  Planned p;
  p.cfg.tenants[0].routes = {"embeddings"};
  p.tenant = &p.cfg.tenants[0];
  auto d = p.run(test::request());
  CHECK(d.status == 403);
  CHECK(d.error_code == "route_not_allowed");
  CHECK(d.error_message.find("'chat'") != std::string::npos);
}

TEST_CASE("budget exhausted: reject → 429; downgrade → local only, or the cheapest", "[routing][budget]") {
  using namespace std::chrono;
  Planned p;
  p.tenant = &p.cfg.tenants[0];
  const auto now = sys_days{2026y / November / 30} + 23h + 59min + 30s;
  p.budget = cost::check_budget(p.cfg.tenants[0].budget, 49.999, 400, 0.0075, now);
  REQUIRE(p.budget.exhausted);

  routing::PlanInput in{p.cfg, p.cfg.routes[0], p.tenant, test::request(), nullptr, nullptr, p.rt, p.budget, nullptr, now};
  auto d = routing::plan(in);
  CHECK(d.status == 429);
  CHECK(d.error_code == "budget_exceeded");
  CHECK(d.retry_after_s == 30);
  CHECK(d.error_message ==
        "Tenant 'finance': daily budget exhausted: spent $50.00 of $50.00; resets at 2026-12-01T00:00:00Z.");

  p.cfg.tenants[0].budget.on_exhausted = hgw::config::BudgetAction::downgrade;
  d = p.run(test::request());
  CHECK(d.ok());
  CHECK(d.downgraded);
  CHECK(backend_names(p.cfg, d) == Names{"local-qwen"});
  CHECK(trace_of(d, "openai-gpt4o")->reason == "budget exhausted: downgrade to local");
  CHECK(d.short_form().find(";downgraded=1") != std::string::npos);

  // No local target: the single cheapest remains.
  p.cfg.routes[0].targets = {{"openai-gpt4o", 1}, {"openai-mini", 1}};
  d = p.run(test::request());
  CHECK(backend_names(p.cfg, d) == Names{"openai-mini"});
  CHECK(trace_of(d, "openai-gpt4o")->policy == "budget");

  // The only local is down after the downgrade: 503 (fail closed on budget too).
  p.cfg.routes[0].targets = {{"local-qwen", 1}, {"openai-gpt4o", 1}};
  p.rt[0].healthy = false;
  CHECK(p.run(test::request()).status == 503);
}

TEST_CASE("max_estimated_cost_usd over the matched rule's targets", "[routing][budget]") {
  auto cfg = test::make_config();
  // gpt4o: 1000 × 2.5e-6 + 500 × 10e-6 = 0.0075 is the largest.
  CHECK(routing::max_estimated_cost_usd(cfg, cfg.routes[0], nullptr, test::request(1000, 500)) ==
        Approx(0.0075).epsilon(1e-12));
  // No max_tokens: 256 output tokens assumed.
  CHECK(routing::max_estimated_cost_usd(cfg, cfg.routes[0], nullptr, test::request(1000, 0)) ==
        Approx(0.0025 + 256 * 10e-6).epsilon(1e-12));
}

TEST_CASE("a max_tokens near 2^64 does not wrap the context-window check", "[routing][context]") {
  // prompt + max_tokens used to wrap around to a small number that fit every window.
  Planned p;
  p.cfg.routes[0].targets = {{"local-qwen", 1}};
  auto d = p.run(test::request(100, UINT64_MAX - 50));
  CHECK_FALSE(d.ok());
  CHECK(d.status == 400);
  CHECK(d.error_code == "context_length_exceeded");
}
