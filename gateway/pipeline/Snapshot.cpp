#include "gateway/pipeline/Snapshot.hpp"

#include "gateway/config/Environment.hpp"

#include <stdexcept>

namespace hgw::pipeline {
namespace {

std::unique_ptr<ssl::context> upstream_tls(const config::BackendConfig& b) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  if (!b.tls.ca_file.empty()) {
    ctx->load_verify_file(b.tls.ca_file, ec);
    if (ec)
      throw std::runtime_error("backend " + b.name + ": cannot load tls.ca_file " + b.tls.ca_file +
                               ": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
  }
  ctx->set_verify_mode(b.tls.verify ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

const config::RetryConfig& retry_for(const config::Config& c, const std::string& backend) {
  static const config::RetryConfig defaults;
  for (const auto& r : c.routes)
    for (const auto& t : r.targets)
      if (t.backend == backend) return r.retry;
  return defaults;
}

// Each part is carried over from the same backend of the previous config when
// its own settings did not change, else it starts fresh.
BackendMemory remember(const config::BackendConfig& b, const config::RetryConfig& retry, const BackendState* prev) {
  BackendMemory m;
  const bool same = prev && prev->config.name == b.name && prev->config.url == b.url;
  m.breaker = same && prev->config.circuit_breaker == b.circuit_breaker
                  ? prev->memory.breaker
                  : std::make_shared<failover::CircuitBreaker>(b.circuit_breaker);
  m.retry_budget = same && prev->retry == retry ? prev->memory.retry_budget
                                                : std::make_shared<failover::RetryBudget>(retry);
  m.health = same && prev->config.health_check == b.health_check
                 ? prev->memory.health
                 : std::make_shared<failover::HealthState>(b.health_check);
  if (same) {
    m.gate = prev->memory.gate;  // the requests in flight hold its slots
    m.gate->set_limits(b.max_concurrency, b.max_queue);
    m.latency = prev->memory.latency;
    m.ttft = prev->memory.ttft;
  } else {
    m.gate = std::make_shared<failover::ConcurrencyGate>(b);
    m.latency = std::make_shared<failover::LatencyEwma>();
    m.ttft = std::make_shared<failover::LatencyEwma>();
  }
  return m;
}

}  // namespace

BackendState::BackendState(const config::BackendConfig& b, const config::RetryConfig& retry_config,
                           const BackendState* previous)
    : config(b),
      retry(retry_config),
      tls(b.https ? upstream_tls(b) : nullptr),
      api_key(config::env_value(b.api_key_env)),
      pricing(cost::pricing_of(b)),
      memory(remember(b, retry_config, previous)),
      breaker(*memory.breaker),
      retry_budget(*memory.retry_budget),
      gate(*memory.gate),
      health(*memory.health),
      latency(*memory.latency),
      ttft(*memory.ttft) {}

Snapshot::Snapshot(std::shared_ptr<const config::Config> config, obs::Metrics& metrics,
                   std::uint64_t generation, const Snapshot* previous)
    : config_(std::move(config)), generation_(generation) {
  metrics_ = std::make_unique<obs::MetricHandles>(metrics, *config_);
  for (const auto& b : config_->backends) {
    const BackendState* prev = nullptr;
    if (previous)
      if (const int i = previous->config().backend_index(b.name); i >= 0) prev = &previous->backend(i);
    backends_.push_back(std::make_unique<BackendState>(b, retry_for(*config_, b.name), prev));
  }
  for (size_t i = 0; i < backends_.size(); ++i) {
    metrics_->healthy(static_cast<int>(i)).Set(backends_[i]->health.gauge_value());
    metrics_->circuit(static_cast<int>(i)).Set(backends_[i]->breaker.state_gauge_value());
    metrics_->inflight(static_cast<int>(i)).Set(backends_[i]->gate.inflight());
  }
  std::string error;
  detectors_ = compliance::DetectorSet::build(config_->compliance, &error);
  if (!error.empty()) throw std::runtime_error("compliance detectors: " + error);
  if (config_->compliance.output_filter.enabled) {
    output_filter_ = compliance::OutputFilterSpec::build(config_->compliance, &error);
    if (!output_filter_ || !error.empty()) throw std::runtime_error("output filter: " + error);
  }
  admin_key_ = config::env_value(config_->admin.api_key_env);
  std::vector<const std::vector<std::string>*> keys;
  for (const auto& t : config_->tenants) keys.push_back(&t.keys);
  tenant_keys_ = auth::KeyTable(keys);
  if (config_->server.tls.enabled()) {
    server_tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    server_tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    error_code ec;
    server_tls_->use_certificate_chain_file(config_->server.tls.cert_file, ec);
    if (!ec) server_tls_->use_private_key_file(config_->server.tls.key_file, ssl::context::pem, ec);
    if (ec)
      throw std::runtime_error("server.tls: cannot load " + config_->server.tls.cert_file + " / " +
                               config_->server.tls.key_file + ": " + ec.message());
  }
}

std::vector<routing::BackendRuntime> Snapshot::runtime() const {
  std::vector<routing::BackendRuntime> out(backends_.size());
  const auto now = Clock::now();
  for (size_t i = 0; i < backends_.size(); ++i) {
    auto& b = *backends_[i];
    auto& r = out[i];
    r.healthy = b.health.healthy();
    // Open with the cool-down passed counts as usable: the next request probes.
    r.circuit_open = b.breaker.state(now) == failover::CircuitBreaker::State::open;
    r.inflight = b.gate.inflight();
    r.ewma_latency_s = b.latency.value();
    r.ewma_ttft_s = b.ttft.value();
    r.has_samples = b.latency.has_samples() || b.ttft.has_samples();
  }
  return out;
}

bool Snapshot::ready(std::string* why) const {
  const auto rt = runtime();
  for (const auto& route : config_->routes) {
    bool any = false;
    for (const auto& t : route.targets) {
      const int i = config_->backend_index(t.backend);
      if (i >= 0 && rt[i].healthy && !rt[i].circuit_open) any = true;
    }
    if (!any) {
      if (why) *why = "route " + route.name + " has no usable target";
      return false;
    }
  }
  return true;
}

int Snapshot::route_index(const config::RouteConfig* route) const {
  if (!route) return -1;
  return static_cast<int>(route - config_->routes.data());
}

int Snapshot::tenant_index(const config::TenantConfig* tenant) const {
  if (!tenant) return -1;
  return static_cast<int>(tenant - config_->tenants.data());
}

}  // namespace hgw::pipeline
