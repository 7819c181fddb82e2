#include "gateway/admin/AdminHandler.hpp"

#include <openssl/crypto.h>

#include "gateway/pipeline/Explain.hpp"
#include "gateway/pipeline/PolicyHeaders.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "policies/cost/CostReport.hpp"

namespace hgw::admin {

namespace json = boost::json;

namespace {

server::Response make(unsigned status, std::string body, const char* type = "application/json") {
  server::Response res{status};
  res.add("Content-Type", type);
  res.add("Server", "hybridgw-admin");
  res.body = std::move(body);
  return res;
}

server::Response error(unsigned status, std::string_view message, std::string_view code) {
  return make(status, protocol::error_body(message, "admin_error", code));
}

bool authorized(const server::Request& req, const std::string& key) {
  if (key.empty()) return true;
  std::string_view auth = req[http::field::authorization];
  if (auth.size() <= 7 || !beast::iequals(auth.substr(0, 7), "bearer ")) return false;
  auth.remove_prefix(7);
  return auth.size() == key.size() && CRYPTO_memcmp(auth.data(), key.data(), key.size()) == 0;
}

json::object state_json(const pipeline::Snapshot& snap) {
  const auto& cfg = snap.config();
  const auto now = Clock::now();
  json::array backends;
  for (std::size_t i = 0; i < snap.backend_count(); ++i) {
    auto& b = snap.backend(static_cast<int>(i));
    const auto& bc = cfg.backends[i];
    const auto cb = b.breaker.snapshot(now);
    const char* circuit = cb.state == failover::CircuitBreaker::State::closed ? "closed"
                          : cb.state == failover::CircuitBreaker::State::open ? "open"
                                                                              : "half_open";
    backends.push_back(json::object{{"name", bc.name},
                                    {"locality", config::to_string(bc.locality)},
                                    {"region", bc.region},
                                    {"healthy", b.health.healthy()},
                                    {"circuit", circuit},
                                    {"inflight", b.gate.inflight()},
                                    {"queued", b.gate.queued()},
                                    {"ewma_latency_s", b.latency.value()},
                                    {"ewma_ttft_s", b.ttft.value()}});
  }
  json::array routes;
  for (const auto& r : cfg.routes) {
    json::array models;
    for (const auto& m : r.models) models.push_back(json::string(m));
    routes.push_back(json::object{{"name", r.name}, {"strategy", config::to_string(r.strategy)}, {"models", models}});
  }
  std::string why;
  const bool ready = snap.ready(&why);
  return json::object{{"config_generation", snap.generation()},
                      {"config_file", cfg.source_file},
                      {"ready", ready},
                      {"not_ready_reason", why},
                      {"backends", backends},
                      {"routes", routes}};
}

}  // namespace

server::Response AdminHandler::respond(const server::Request& req) {
  auto snap = services_.snapshot();
  std::string_view target = req.target();
  const std::string path(target.substr(0, target.find('?')));
  const bool get = req.method() == http::verb::get;
  const bool post = req.method() == http::verb::post;

  const std::string degraded = services_.quota().degraded();
  services_.metrics()
      .state_store_degraded.Add({{"store", services_.quota().kind()}})
      .Set(degraded.empty() ? 0 : 1);
  if (path == "/metrics" && get) {
    return make(200, services_.metrics().serialize(), "text/plain; version=0.0.4");
  }
  if (path == "/healthz" && get) {
    return make(200, R"({"status":"ok"})");
  }
  if (path == "/readyz" && get) {
    std::string why;
    if (services_.draining.load())
      return make(503, json::serialize(json::object{{"ready", false}, {"reason", "draining"}}));
    else if (!snap->ready(&why))
      return make(503, json::serialize(json::object{{"ready", false}, {"reason", why}}));
    else if (!degraded.empty())
      // Still serving: with serve_local this replica decides budgets alone; with
      // reject only tenants with budgets are refused. Taking every replica out
      // of service because Redis is down would be an outage of its own.
      return make(200, json::serialize(json::object{{"ready", true}, {"degraded", degraded}}));
    else
      return make(200, R"({"ready":true})");
  }
  if (path.rfind("/admin/", 0) != 0) {
    return (error(404,
                  "unknown admin path " + path +
                      "; try /metrics, /healthz, /readyz, /admin/state, /admin/reload, "
                      "/admin/explain, /admin/cost-report",
                  "unknown_url"));
  }
  if (!authorized(req, snap->admin_key())) {
    return (error(401, "admin key required: send 'Authorization: Bearer <admin key>'", "invalid_admin_key"));
  }
  if (path == "/admin/state" && get) {
    return make(200, json::serialize(state_json(*snap)));
  } else if (path == "/admin/reload" && post) {
    const auto result = reload_();
    json::array warnings;
    for (const auto& w : result.warnings) warnings.push_back(json::string(w));
    if (result.errors.empty())
      return (make(200, json::serialize(json::object{{"reloaded", true},
                                                     {"generation", services_.snapshot()->generation()},
                                                     {"warnings", warnings}})));
    else
      return (
          make(400, json::serialize(json::object{{"reloaded", false},
                                                 {"errors", result.errors},
                                                 {"warnings", warnings},
                                                 {"message", "the previous configuration stays active"}})));
  } else if (path == "/admin/explain" && post) {
    std::string_view tenant = req["x-hybridgw-tenant"];
    if (auto q = target.find("tenant="); q != std::string_view::npos) {
      tenant = target.substr(q + 7);
      tenant = tenant.substr(0, tenant.find('&'));
    }
    // The explained request's own headers, less the one that names the tenant.
    auto headers = pipeline::policy_headers(req);
    std::erase_if(headers, [](const auto& h) { return h.first == "x-hybridgw-tenant"; });
    auto result = pipeline::explain(*snap, req.body(), std::string(tenant), std::move(headers));
    return make(result.status, json::serialize(result.json));
  } else if (path == "/admin/cost-report" && get) {
    services_.accounting().flush();
    auto* store = services_.accounting().store();
    const auto now = std::chrono::system_clock::now();
    using namespace std::chrono;
    std::vector<cost::UsageRow> day, week, month;
    std::vector<cost::QualityRow> quality_day, quality_week, quality_month;  // shadow judgements
    if (store) {
      day = store->usage_since(now - hours(24));
      week = store->usage_since(now - hours(24 * 7));
      month = store->usage_since(now - hours(24 * 30));
      quality_day = store->judgements_since(now - hours(24));
      quality_week = store->judgements_since(now - hours(24 * 7));
      quality_month = store->judgements_since(now - hours(24 * 30));
    }
    return make(200, json::serialize(cost::cost_report(snap->config(), day, week, month, now, quality_day,
                                                       quality_week, quality_month)));
  } else {
    return (
        error(404, "unknown admin endpoint " + std::string(req.method_string()) + " " + path, "unknown_url"));
  }
}

awaitable<void> AdminHandler::handle(server::Request& request, Clock::time_point,
                                     server::ClientChannel& channel) {
  // The admin endpoints answer from memory: build the response synchronously,
  // then write it.
  auto response = respond(request);
  co_await channel.send(std::move(response));
}

}  // namespace hgw::admin
