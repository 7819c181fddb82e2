// The configuration eval runs the gateway on: derived from the user's, with
// the policies kept and production-only settings off.
#include <catch2/catch.hpp>

#include "gateway/config/ConfigLoader.hpp"
#include "gateway/eval/EvalSetup.hpp"
#include "policies/auth/ApiKey.hpp"

using namespace hgw;
using namespace hgw::eval;

namespace {

const char* kYaml = R"(
server: { listen: 0.0.0.0:8080, threads: 8, access_log: { path: /var/log/hgw.log } }
admin: { listen: 127.0.0.1:9090, api_key_env: ADMIN_KEY }
backends:
  - { name: local, url: "http://127.0.0.1:1/v1", model: m, locality: local }
  - { name: remote, url: "http://127.0.0.1:2/v1", model: m, locality: remote }
  - { name: chat, url: "http://127.0.0.1:3/v1", model: m, locality: remote }
routes:
  - { name: chat, models: [auto, gpt-4o], targets: [local, remote] }
  - { name: other, models: [other], targets: [remote] }
tenants:
  - name: finance
    keys: ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]
    region: cn
    data_class: confidential
    routes: [chat]
    budget: { daily_usd: 1 }
    rate_limit: { requests_per_minute: 5 }
state: { store: sqlite, path: /var/lib/hgw/state.db }
compliance:
  detectors: [email]
  classify: { email: confidential }
  rules: [ { name: r1, when: { class: confidential }, action: redact } ]
  audit_log: { path: /var/log/audit.jsonl }
)";

std::shared_ptr<const config::Config> user_config() {
  auto r = config::load_config_string(kYaml);
  for (const auto& e : r.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(r.ok());
  return r.config;
}

bool has_error(const std::vector<std::string>& errors, const std::string& fragment) {
  for (const auto& e : errors)
    if (e.find(fragment) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("eval setup: candidates, judge route, tenants and production settings", "[eval][setup]") {
  auto user = user_config();
  auto r = make_eval_setup(*user, {"route:chat", "local"}, "remote", "seed");
  for (const auto& e : r.errors) UNSCOPED_INFO(e);
  REQUIRE(r.setup);
  const auto& s = *r.setup;
  REQUIRE(s.candidates.size() == 2);
  CHECK(s.candidates[0].name == "route:chat");
  CHECK(s.candidates[0].is_route);
  CHECK(s.candidates[0].model == "auto");  // the route's own model: its targets and rules apply
  CHECK(s.candidates[1].model == "hybridgw-eval/backend/local");
  CHECK(s.judge_model == "hybridgw-eval/judge/remote");

  const auto& c = *s.config;
  CHECK(c.routes.size() == 4);
  const auto* backend_route = c.find_route_by_model("hybridgw-eval/backend/local");
  REQUIRE(backend_route);
  CHECK(backend_route->name == "eval.backend.local");
  REQUIRE(backend_route->targets.size() == 1);
  CHECK(backend_route->targets[0].backend == "local");
  const auto* judge_route = c.find_route_by_model("hybridgw-eval/judge/remote");
  REQUIRE(judge_route);
  CHECK(judge_route->targets[0].backend == "remote");
  CHECK(c.find_route_by_model("auto")->targets.size() == 2);  // the user's route untouched

  const auto& t = c.tenants.at(0);
  CHECK(t.region == "cn");
  CHECK(t.data_class == "confidential");
  CHECK(t.routes == std::vector<std::string>{"chat", "eval.backend.local", "eval.judge.remote"});
  CHECK_FALSE(t.budget.daily_usd);
  CHECK_FALSE(t.rate_limit.requests_per_minute);
  REQUIRE(s.tenant_keys.count("finance"));
  CHECK(auth::key_matches(s.tenant_keys.at("finance"), t.keys));
  CHECK_FALSE(auth::key_matches(s.tenant_keys.at("finance"), user->tenants[0].keys));

  CHECK(c.server.host == "127.0.0.1");
  CHECK(c.server.port == 0);
  CHECK(c.server.threads == 1);
  CHECK(c.server.access_log.path == "off");
  CHECK(c.admin.host == "127.0.0.1");
  CHECK(c.admin.api_key_env.empty());
  CHECK(c.state.store == "memory");
  CHECK(c.compliance.audit_log.path.empty());
  CHECK(c.compliance.rules.size() == 1);  // compliance is the live one
  CHECK(c.compliance.detectors == std::vector<std::string>{"email"});
  // The user's config object itself is not modified.
  CHECK(user->state.store == "sqlite");
  CHECK(user->routes.size() == 2);
}

TEST_CASE("eval setup: bad candidates and judges get actionable errors", "[eval][setup]") {
  auto user = user_config();
  auto r = make_eval_setup(*user, {"chat", "locl", "local", "local", "route:nope"}, "chat", "s");
  CHECK_FALSE(r.setup);
  CHECK(has_error(r.errors, "'chat' is both a route and a backend; write route:chat or backend:chat"));
  CHECK(has_error(r.errors, "no route or backend named 'locl'; did you mean 'local'?"));
  CHECK(has_error(r.errors, "'local' is listed twice"));
  CHECK(has_error(r.errors, "no route named 'nope'"));
  CHECK(has_error(r.errors, "--judge takes a backend name; 'chat' is a route") == false);  // chat is also a backend
  auto j = make_eval_setup(*user, {"local"}, "other", "s");
  CHECK(has_error(j.errors, "--judge takes a backend name; 'other' is a route"));
  auto k = make_eval_setup(*user, {}, "nobody", "s");
  CHECK(has_error(k.errors, "give at least one"));
  CHECK(has_error(k.errors, "--judge: no backend named 'nobody'"));
}

TEST_CASE("eval setup: lists split on commas", "[eval][setup]") {
  CHECK(split_list(" a, b ,,c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_list("").empty());
}
