// What eval ships must work as the README walks through it: the demo's
// eval config loads, its dozen cases read, and the README's candidates and
// judge resolve.
#include <catch2/catch.hpp>

#include "gateway/config/ConfigLoader.hpp"
#include "gateway/eval/CaseReader.hpp"
#include "gateway/eval/EvalSetup.hpp"

using namespace hgw;

TEST_CASE("the eval demo: config, cases, candidates and judge", "[eval][shipped]") {
  auto cfg = config::load_config_file(HGW_SOURCE_DIR "/config/eval/demo.yaml");
  for (const auto& e : cfg.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(cfg.ok());
  auto cases = eval::read_cases_file(HGW_SOURCE_DIR "/config/eval/demo-cases.jsonl");
  for (const auto& e : cases.errors) UNSCOPED_INFO(e);
  REQUIRE(cases.ok());
  CHECK(cases.cases.size() == 12);
  CHECK(eval::assign_tenants(cases.cases, *cfg.config, "", "demo-cases.jsonl").empty());
  auto setup = eval::make_eval_setup(*cfg.config, {"local-sim", "remote-sim", "chat"}, "judge-sim", "s");
  for (const auto& e : setup.errors) UNSCOPED_INFO(e);
  REQUIRE(setup.setup);
  const auto* judge = cfg.config->find_backend("judge-sim");
  REQUIRE(judge);
  CHECK(judge->model == "judge");  // hybridgw-sim's judge model
}
