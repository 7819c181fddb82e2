// Everything derived from one loaded config that requests read: the config
// itself, metric handles, per-backend shared state (TLS context, circuit
// breaker, health, concurrency gate, latency averages), compiled detectors and
// secrets read from the environment. Immutable after construction except for
// the thread-safe state objects; swapped as a whole on reload, and kept alive
// by every request that started with it.
#pragma once

#include "gateway/Asio.hpp"
#include "gateway/config/Config.hpp"
#include "gateway/observability/Metrics.hpp"
#include "policies/auth/ApiKey.hpp"
#include "policies/compliance/DetectorSet.hpp"
#include "policies/compliance/OutputFilter.hpp"
#include "policies/cost/Pricing.hpp"
#include "policies/failover/CircuitBreaker.hpp"
#include "policies/failover/ConcurrencyGate.hpp"
#include "policies/failover/HealthState.hpp"
#include "policies/failover/LatencyEwma.hpp"
#include "policies/failover/RetryBudget.hpp"
#include "policies/routing/Planner.hpp"
#include "policies/routing/WeightedState.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace hgw::pipeline {

// What the gateway has learnt about a backend — circuit state, health, retry
// budget, in-flight slots, latency averages. It survives a config reload for a
// backend whose name and URL are unchanged (each part as long as its own
// settings are), so that a reload neither forgets an open circuit nor lets a
// flood through a half-open one.
struct BackendMemory {
  std::shared_ptr<failover::CircuitBreaker> breaker;
  std::shared_ptr<failover::RetryBudget> retry_budget;
  std::shared_ptr<failover::ConcurrencyGate> gate;
  std::shared_ptr<failover::HealthState> health;
  std::shared_ptr<failover::LatencyEwma> latency, ttft;
};

struct BackendState {
  // `previous`: the same backend's state in the config being replaced, if any.
  BackendState(const config::BackendConfig& b, const config::RetryConfig& retry, const BackendState* previous);

  const config::BackendConfig& config;
  const config::RetryConfig& retry;
  std::unique_ptr<ssl::context> tls;  // https backends only
  std::string api_key;                // from api_key_env; never logged
  cost::Pricing pricing;
  BackendMemory memory;
  failover::CircuitBreaker& breaker;
  failover::RetryBudget& retry_budget;
  failover::ConcurrencyGate& gate;
  failover::HealthState& health;
  failover::LatencyEwma &latency, &ttft;
};

class Snapshot {
 public:
  // Throws std::runtime_error on what cannot start (unreadable CA file, bad
  // TLS material): called at start-up and reload only.
  // `previous` (the snapshot being replaced, or null) hands over what is known
  // of unchanged backends (BackendMemory).
  Snapshot(std::shared_ptr<const config::Config> config, obs::Metrics& metrics, std::uint64_t generation,
           const Snapshot* previous = nullptr);

  const config::Config& config() const { return *config_; }
  std::shared_ptr<const config::Config> config_ptr() const { return config_; }
  std::uint64_t generation() const { return generation_; }
  obs::MetricHandles& metrics() const { return *metrics_; }
  BackendState& backend(int i) const { return *backends_[i]; }
  std::size_t backend_count() const { return backends_.size(); }
  const compliance::DetectorSet* detectors() const { return detectors_.get(); }
  // Compiled once per config; nullptr when the output filter is off.
  std::shared_ptr<const compliance::OutputFilterSpec> output_filter() const { return output_filter_; }
  routing::WeightedState& weighted() const { return weighted_; }
  const std::string& admin_key() const { return admin_key_; }
  ssl::context* server_tls() const { return server_tls_.get(); }

  // Backend health as routing sees it now (health checks and circuit state).
  std::vector<routing::BackendRuntime> runtime() const;
  // Ready when every route has a target that is not known to be down.
  bool ready(std::string* why) const;
  int route_index(const config::RouteConfig* route) const;
  int tenant_index(const config::TenantConfig* tenant) const;
  // The tenants' key digests, parsed once (owner i = config().tenants[i]).
  const auth::KeyTable& tenant_keys() const { return tenant_keys_; }

 private:
  std::shared_ptr<const config::Config> config_;
  std::uint64_t generation_;
  std::unique_ptr<obs::MetricHandles> metrics_;
  std::vector<std::unique_ptr<BackendState>> backends_;
  std::shared_ptr<const compliance::DetectorSet> detectors_;
  std::shared_ptr<const compliance::OutputFilterSpec> output_filter_;
  mutable routing::WeightedState weighted_;
  std::string admin_key_;
  std::unique_ptr<ssl::context> server_tls_;
  auth::KeyTable tenant_keys_;
};

}  // namespace hgw::pipeline
