// backends[]: one upstream model server or API.
#include "gateway/config/AddressParsing.hpp"
#include "gateway/config/KnownNames.hpp"
#include "gateway/config/Sections.hpp"

namespace hgw::config {

namespace {

void parse_timeouts(Diagnostics& diag, const Value& v, Timeouts& t) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  // A zero timeout would fail every request at once: at least 1 ms.
  m->read("connect_ms", t.connect_ms, 1);
  m->read("first_token_ms", t.first_token_ms, 1);
  m->read("idle_ms", t.idle_ms, 1);
  m->read("total_ms", t.total_ms, 1);
  m->finish();
  if (t.total_ms < t.connect_ms)
    diag.error(m->where(), m->path(), "total_ms (" + std::to_string(t.total_ms) +
                                          ") is shorter than connect_ms (" + std::to_string(t.connect_ms) + ")");
}

void parse_upstream_tls(Diagnostics& diag, const Value& v, UpstreamTls& t) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("verify", t.verify);
  m->read("ca_file", t.ca_file);
  m->finish();
}

void parse_cost(Diagnostics& diag, const Value& v, CostConfig& c) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  constexpr double kMax = 1e9;
  m->read("input_per_mtok", c.input_per_mtok, 0.0, kMax);
  m->read("output_per_mtok", c.output_per_mtok, 0.0, kMax);
  m->read("cached_input_per_mtok", c.cached_input_per_mtok, 0.0, kMax);
  m->read("gpu_hour_usd", c.gpu_hour_usd, 0.0, kMax);
  m->read("gpus", c.gpus, 1);
  m->read("tokens_per_second", c.tokens_per_second, 1e-9, kMax);
  // Amortised hardware cost is gpu_hour_usd × gpus ÷ tokens_per_second: it
  // needs both halves of the fraction.
  if (c.gpu_hour_usd && !c.tokens_per_second)
    diag.error(m->where(), m->path(), "gpu_hour_usd needs tokens_per_second to compute a per-token cost");
  if (c.tokens_per_second && !c.gpu_hour_usd && !c.input_per_mtok)
    diag.error(m->where(), m->path(), "tokens_per_second needs gpu_hour_usd to compute a per-token cost");
  m->finish();
}

void parse_health_check(Diagnostics& diag, const Value& v, HealthCheckConfig& h) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("enabled", h.enabled);
  if (auto p = m->get("path")) {
    if (auto s = read_string(diag, *p)) {
      if (s->starts_with('/'))
        h.path = *s;
      else
        diag.error(p->where, p->path, "must start with '/' (it is appended to the backend url)");
    }
  }
  m->read("interval_ms", h.interval_ms, 1);
  m->read("timeout_ms", h.timeout_ms, 1);
  m->read("unhealthy_threshold", h.unhealthy_threshold, 1);
  m->read("healthy_threshold", h.healthy_threshold, 1);
  m->finish();
}

void parse_circuit_breaker(Diagnostics& diag, const Value& v, CircuitBreakerConfig& c) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("consecutive_failures", c.consecutive_failures, 1);
  m->read("error_rate", c.error_rate, 0.0, 1.0);
  m->read("min_requests", c.min_requests, 1);
  m->read("window_ms", c.window_ms, 1);
  m->read("cooldown_ms", c.cooldown_ms, 1);
  m->read("max_cooldown_ms", c.max_cooldown_ms, 1);
  if (c.max_cooldown_ms < c.cooldown_ms)
    diag.error(m->where(), m->path(), "max_cooldown_ms (" + std::to_string(c.max_cooldown_ms) +
                                          ") is shorter than cooldown_ms (" + std::to_string(c.cooldown_ms) + ")");
  m->finish();
}

}  // namespace

void parse_backend(Diagnostics& diag, const Value& v, BackendConfig& b) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  if (v.node.IsNull()) {
    diag.error(v.where, v.path, "empty backend: needs at least name, url, model and locality");
    return;
  }
  if (m->read("name", b.name, true)) check_name(diag, child_path(m->path(), "name"), b.name);

  std::string protocol = "openai";
  m->read_enum("protocol", protocol, known::protocols);
  b.protocol = protocol == "anthropic"          ? Protocol::anthropic
               : protocol == "azure-openai"     ? Protocol::azure_openai
               : protocol == "openai-responses" ? Protocol::openai_responses
                                                : Protocol::openai;

  if (auto u = m->get_required("url")) {
    if (auto text = read_string(diag, *u)) {
      std::string error;
      if (auto url = parse_backend_url(*text, error)) {
        b.url = *text;
        b.https = url->https;
        b.host = url->host;
        b.port = url->port;
        b.base_path = url->base_path;
      } else {
        diag.error(u->where, u->path, error);
      }
    }
  }
  m->read("model", b.model, true);

  if (auto l = m->get_required("locality")) {
    if (auto s = read_enum(diag, *l, known::localities))
      b.locality = *s == "local" ? Locality::local : Locality::remote;
  }
  m->read("region", b.region);
  m->read("provider", b.provider);
  m->read_env_name("api_key_env", b.api_key_env);
  m->read("api_version", b.api_version);
  m->read("deployment", b.deployment);
  m->read("prefill", b.prefill);
  m->read("max_concurrency", b.max_concurrency);
  m->read("max_queue", b.max_queue);
  m->read("queue_timeout_ms", b.queue_timeout_ms, 1);
  m->read("context_window", b.context_window);
  m->read("max_idle_connections", b.max_idle_connections);
  m->read("pool_idle_ms", b.pool_idle_ms, 1);
  if (auto t = m->get("timeouts")) parse_timeouts(diag, *t, b.timeouts);
  if (auto t = m->get("tls")) parse_upstream_tls(diag, *t, b.tls);
  if (auto c = m->get("cost")) parse_cost(diag, *c, b.cost);
  if (auto h = m->get("health_check")) parse_health_check(diag, *h, b.health_check);
  if (auto c = m->get("circuit_breaker")) parse_circuit_breaker(diag, *c, b.circuit_breaker);
  m->finish();

  if (b.protocol == Protocol::azure_openai) {
    if (b.api_version.empty())
      diag.error(m->where(), m->path(), "protocol azure-openai needs api_version (e.g. 2024-06-01)");
    if (b.deployment.empty()) b.deployment = b.model;
  }
  if (b.max_queue > 0 && b.max_concurrency == 0)
    diag.error_at(child_path(m->path(), "max_queue"), "max_queue needs max_concurrency (a queue for what limit?)");
  // Explicit per backend (DESIGN.md §6): logged at start by the gateway too.
  if (!b.tls.verify && !b.name.empty())
    diag.warning("upstream TLS verification disabled for backend " + b.name);
}

}  // namespace hgw::config
