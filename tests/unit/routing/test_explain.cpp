#include <catch2/catch.hpp>

#include "policies/routing/Planner.hpp"
#include "tests/unit/routing/RoutingFixtures.hpp"

using namespace hgw;

// Explain output for a small table of requests: the same plan() as live
// routing, rendered as the x-hybridgw-decision header, JSON and a table.
TEST_CASE("explain output for a table of requests", "[routing][explain]") {
  auto cfg = test::make_config();
  auto& route = cfg.routes[0];
  config::WhenRule longctx;
  longctx.name = "long-context";
  longctx.min_prompt_tokens = 8000;
  longctx.strategy = hgw::config::Strategy::cheapest;
  longctx.targets = {{"local-big", 1}, {"openai-gpt4o", 1}};
  route.when = {longctx};
  std::vector<routing::BackendRuntime> rt(4);
  std::vector<bool> eligible = {true, false, true, true};
  std::vector<std::string> reasons = {"", "rule cn-only: region us not in cn-*", "", ""};

  struct Row {
    std::uint64_t prompt, max_tokens;
    bool compliance;
    std::string short_form;
  };
  const std::vector<Row> table = {
      {100, 100, false, "route=chat;rule=default;strategy=priority;order=local-qwen,openai-gpt4o,openai-mini"},
      {100, 100, true,
       "route=chat;rule=default;strategy=priority;order=local-qwen,openai-mini;rejected=openai-gpt4o:compliance"},
      {8100, 200, false,
       "route=chat;rule=long-context;strategy=cheapest;order=local-big,openai-gpt4o"},
      {7900, 400, false,
       "route=chat;rule=default;strategy=priority;order=openai-gpt4o,openai-mini;rejected=local-qwen:context_window"},
  };
  for (const auto& row : table) {
    auto req = test::request(row.prompt, row.max_tokens);
    routing::PlanInput in{cfg, route, nullptr, req, row.compliance ? &eligible : nullptr,
                          row.compliance ? &reasons : nullptr, rt, {}, nullptr};
    const auto d = routing::plan(in);
    INFO("prompt " << row.prompt);
    CHECK(d.short_form() == row.short_form);
  }

  // Full JSON and table for the compliance row.
  auto req = test::request(100, 100);
  routing::PlanInput in{cfg, route, nullptr, req, &eligible, &reasons, rt, {}, nullptr};
  const auto d = routing::plan(in);
  const auto j = d.to_json();
  CHECK(j.at("route").as_string() == "chat");
  CHECK(j.at("rule").as_string() == "default");
  CHECK(j.at("strategy").as_string() == "priority");
  CHECK(j.at("downgraded").as_bool() == false);
  const auto& order = j.at("order").as_array();
  REQUIRE(order.size() == 2);
  CHECK(order[0].as_string() == "local-qwen");
  const auto& cands = j.at("candidates").as_array();
  REQUIRE(cands.size() == 3);
  CHECK(cands[0].at("verdict").as_string() == "selected");
  CHECK(cands[0].at("order").as_int64() == 0);
  CHECK(cands[0].at("policy").as_string() == "priority");
  CHECK(cands[1].at("verdict").as_string() == "rejected");
  CHECK(cands[1].at("policy").as_string() == "compliance");
  CHECK(cands[1].at("reason").as_string() == "rule cn-only: region us not in cn-*");
  CHECK(cands[1].as_object().if_contains("order") == nullptr);
  CHECK(cands[2].at("verdict").as_string() == "fallback");
  CHECK(cands[2].at("order").as_int64() == 1);
  CHECK(cands[1].at("estimated_cost_usd").as_double() == Approx(100 * 2.5e-6 + 100 * 10e-6));
  CHECK(j.if_contains("error") == nullptr);

  const auto t = d.to_table();
  CHECK(t.find("route: chat   rule: default   strategy: priority") != std::string::npos);
  CHECK(t.find("selected") != std::string::npos);
  CHECK(t.find("fallback 1") != std::string::npos);
  CHECK(t.find("rule cn-only: region us not in cn-*") != std::string::npos);
  CHECK(t.find("$0.001250") != std::string::npos);

  // Live traffic (explain off) gets the same decision without the reasons of
  // the selected and fallback candidates; a rejection still says why.
  routing::PlanInput live = in;
  live.explain = false;
  const auto quiet = routing::plan(live);
  CHECK(quiet.order == d.order);
  CHECK(quiet.short_form() == d.short_form());
  REQUIRE(quiet.trace.size() == 3);
  CHECK(quiet.trace[0].reason.empty());
  CHECK(quiet.trace[2].reason.empty());
  CHECK(quiet.trace[1].reason == "rule cn-only: region us not in cn-*");
  CHECK_FALSE(d.trace[0].reason.empty());
  CHECK(d.trace[2].reason == "fallback 1 (config order)");

  // Error decisions carry the error in JSON and table.
  std::vector<bool> none(4, false);
  routing::PlanInput in2{cfg, route, nullptr, req, &none, nullptr, rt, {}, nullptr};
  const auto e = routing::plan(in2);
  CHECK(e.to_json().at("error").at("status").as_int64() == 403);
  CHECK(e.to_json().at("error").at("code").as_string() == "compliance_forbidden");
  CHECK(e.to_table().find("error 403 compliance_forbidden") != std::string::npos);
  CHECK(e.short_form() ==
        "route=chat;rule=default;strategy=priority;order=;rejected=local-qwen:compliance,openai-gpt4o:compliance,"
        "openai-mini:compliance;status=403");
}
