#include "gateway/eval/EvalSetup.hpp"

#include "gateway/config/DidYouMean.hpp"
#include "policies/auth/ApiKey.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace hgw::eval {
namespace {

std::vector<std::string> route_names(const config::Config& c) {
  std::vector<std::string> out;
  for (const auto& r : c.routes) out.push_back(r.name);
  return out;
}

std::vector<std::string> backend_names(const config::Config& c) {
  std::vector<std::string> out;
  for (const auto& b : c.backends) out.push_back(b.name);
  return out;
}

const config::RouteConfig* find_route(const config::Config& c, std::string_view name) {
  for (const auto& r : c.routes)
    if (r.name == name) return &r;
  return nullptr;
}

// A route that eval adds: one target, the defaults for retries and failover.
config::RouteConfig single_target_route(std::string name, std::string model, const std::string& backend) {
  config::RouteConfig r;
  r.name = std::move(name);
  r.models = {std::move(model)};
  r.targets = {config::Target{backend, 1}};
  return r;
}

}  // namespace

std::vector<std::string> split_list(std::string_view csv) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= csv.size()) {
    auto end = csv.find(',', pos);
    if (end == std::string_view::npos) end = csv.size();
    auto item = csv.substr(pos, end - pos);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    pos = end + 1;
  }
  return out;
}

SetupResult make_eval_setup(const config::Config& user, const std::vector<std::string>& candidate_names,
                            const std::string& judge, const std::string& key_seed) {
  SetupResult result;
  auto& errors = result.errors;
  auto setup = std::make_shared<EvalSetup>();
  auto cfg = std::make_shared<config::Config>(user);
  const auto routes = route_names(user), backends = backend_names(user);
  std::vector<std::string> both = routes;
  both.insert(both.end(), backends.begin(), backends.end());

  std::set<std::string> used_models;
  for (const auto& r : user.routes) used_models.insert(r.models.begin(), r.models.end());
  std::set<std::string> used_routes(routes.begin(), routes.end());
  std::vector<std::string> added_routes;
  auto add_route = [&](config::RouteConfig r) {
    if (used_routes.count(r.name) || used_models.count(r.models.front())) {
      errors.push_back("the configuration already has a route '" + r.name + "' or a model '" + r.models.front() +
                       "', which eval needs for its own route: rename yours");
      return;
    }
    used_routes.insert(r.name);
    used_models.insert(r.models.front());
    added_routes.push_back(r.name);
    cfg->routes.push_back(std::move(r));
  };

  if (candidate_names.empty()) errors.push_back("--candidates: give at least one route or backend name");
  std::set<std::string> seen;
  for (const auto& given : candidate_names) {
    if (!seen.insert(given).second) {
      errors.push_back("--candidates: '" + given + "' is listed twice");
      continue;
    }
    std::string name = given;
    int kind = 0;  // 0 = either, 1 = route, 2 = backend
    if (given.starts_with("route:")) kind = 1, name = given.substr(6);
    else if (given.starts_with("backend:")) kind = 2, name = given.substr(8);
    const auto* route = kind != 2 ? find_route(user, name) : nullptr;
    const auto* backend = kind != 1 ? user.find_backend(name) : nullptr;
    if (route && backend) {
      errors.push_back("--candidates: '" + name + "' is both a route and a backend; write route:" + name +
                       " or backend:" + name);
      continue;
    }
    Candidate c;
    c.name = given;
    c.target = name;
    if (route) {
      if (route->models.empty()) {
        errors.push_back("--candidates: route '" + name + "' has no model names to reach it by");
        continue;
      }
      c.is_route = true;
      c.model = route->models.front();
    } else if (backend) {
      c.model = "hybridgw-eval/backend/" + name;
      add_route(single_target_route("eval.backend." + name, c.model, name));
    } else {
      const auto& pool = kind == 1 ? routes : kind == 2 ? backends : both;
      errors.push_back("--candidates: no " + std::string(kind == 1 ? "route" : kind == 2 ? "backend" : "route or backend") +
                       " named '" + name + "'" + config::did_you_mean_suffix(name, pool));
      continue;
    }
    setup->candidates.push_back(std::move(c));
  }

  if (judge.empty()) {
    errors.push_back("--judge BACKEND is required: the backend that scores the answers");
  } else if (!user.find_backend(judge)) {
    if (find_route(user, judge))
      errors.push_back("--judge takes a backend name; '" + judge + "' is a route (pick one of its targets)");
    else
      errors.push_back("--judge: no backend named '" + judge + "'" + config::did_you_mean_suffix(judge, backends));
  } else {
    setup->judge = judge;
    setup->judge_model = "hybridgw-eval/judge/" + judge;
    add_route(single_target_route("eval.judge." + judge, setup->judge_model, judge));
  }
  if (!errors.empty()) return result;

  auto& s = cfg->server;
  s.listen = "127.0.0.1:0";
  s.host = "127.0.0.1";
  s.port = 0;
  s.threads = 1;
  s.tls = {};
  s.access_log.path = "off";
  s.limits.max_inflight = 0;
  cfg->admin.listen = "127.0.0.1:0";
  cfg->admin.host = "127.0.0.1";
  cfg->admin.port = 0;
  cfg->admin.api_key_env.clear();
  cfg->state = config::StateConfig{};
  cfg->state.store = "memory";
  cfg->compliance.audit_log.path.clear();
  for (std::size_t i = 0; i < cfg->tenants.size(); ++i) {
    auto& t = cfg->tenants[i];
    const std::string key = "hgw-eval-" + key_seed + "-" + std::to_string(i);
    t.keys = {auth::sha256_digest_line(key)};
    t.budget = config::BudgetConfig{};
    t.rate_limit = config::RateLimitConfig{};
    // A tenant limited to some routes may still use eval's own routes; its
    // own route candidates stay as restricted as they are live.
    if (!t.routes.empty()) t.routes.insert(t.routes.end(), added_routes.begin(), added_routes.end());
    setup->tenant_keys[t.name] = key;
  }
  setup->config = std::move(cfg);
  result.setup = std::move(setup);
  return result;
}

}  // namespace hgw::eval
