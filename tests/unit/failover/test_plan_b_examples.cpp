// The Plan B example configurations load, and their failover settings say what
// policies/failover/PLAN_B.md says they do.
#include <catch2/catch.hpp>

#include <string>

#include "gateway/config/ConfigLoader.hpp"
#include "gateway/config/KnownNames.hpp"
#include "policies/failover/Outcome.hpp"
#include "policies/failover/RetryPolicy.hpp"

#ifndef HGW_SOURCE_DIR
#define HGW_SOURCE_DIR "."
#endif

using namespace hgw;
using namespace hgw::failover;
using namespace std::chrono;

namespace {
std::shared_ptr<const config::Config> load(const char* name) {
  auto r = config::load_config_file(std::string(HGW_SOURCE_DIR) + "/config/examples/" + name);
  for (const auto& e : r.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(r.ok());
  return r.config;
}
}  // namespace

TEST_CASE("every failover trigger the config loader accepts is a known category", "[failover][examples]") {
  for (const auto& name : config::known::failover_triggers) {
    INFO(name);
    CHECK(is_failover_category(name));
  }
}

TEST_CASE("plan-b-local-first.yaml", "[failover][examples]") {
  auto cfg = load("plan-b-local-first.yaml");
  REQUIRE(cfg->routes.size() == 1);
  const auto& route = cfg->routes[0];
  REQUIRE(route.targets.size() == 2);
  const auto* local = cfg->find_backend(route.targets[0].backend);
  const auto* saas = cfg->find_backend(route.targets[1].backend);
  REQUIRE(local);
  REQUIRE(saas);
  CHECK(local->locality == config::Locality::local);
  CHECK(saas->locality == config::Locality::remote);
  CHECK(larger_context(*local, *saas));  // a long prompt may move to the SaaS model
  CHECK_FALSE(is_failover_trigger(Outcome::content_policy, route.failover));
  CHECK(is_failover_trigger(Outcome::queue_full, route.failover));
  for (const auto& name : route.failover.on) CHECK(is_failover_category(name));

  // A silent local server is abandoned for the SaaS model, not retried.
  AttemptContext c;
  c.outcome = Outcome::timeout_first_token;
  c.remaining_deadline = milliseconds(route.deadline_ms);
  c.has_next_target = true;
  CHECK(next_step(c, route, [] { return 0.5; }).kind == NextStep::Kind::next_target);
  // Retry-After: 1 is waited for; 2 goes to the SaaS model at once.
  c.outcome = Outcome::http_429;
  c.retry_after = milliseconds(1000);
  CHECK(next_step(c, route, [] { return 0.5; }).kind == NextStep::Kind::retry_same);
  c.retry_after = milliseconds(2000);
  CHECK(next_step(c, route, [] { return 0.5; }).kind == NextStep::Kind::next_target);
}

TEST_CASE("plan-b-saas-first.yaml", "[failover][examples]") {
  auto cfg = load("plan-b-saas-first.yaml");
  REQUIRE(cfg->routes.size() == 1);
  const auto& route = cfg->routes[0];
  REQUIRE(route.targets.size() == 3);
  const auto* first = cfg->find_backend(route.targets[0].backend);
  const auto* second = cfg->find_backend(route.targets[1].backend);
  const auto* last = cfg->find_backend(route.targets[2].backend);
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(last);
  CHECK(first->locality == config::Locality::remote);
  CHECK(second->locality == config::Locality::remote);
  CHECK(last->locality == config::Locality::local);
  // Nothing after the 200k model has a larger window: context_length gives up.
  CHECK_FALSE(larger_context(*first, *second));
  CHECK_FALSE(larger_context(*first, *last));
  CHECK_FALSE(larger_context(*second, *last));
  CHECK(is_failover_trigger(Outcome::content_policy, route.failover));
  for (const auto& name : route.failover.on) CHECK(is_failover_category(name));
  // The last resort is bounded.
  CHECK(last->max_concurrency > 0);
  CHECK(last->max_queue > 0);
}
