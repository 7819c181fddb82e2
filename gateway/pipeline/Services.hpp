// Process-wide services shared by every io thread: the current config
// snapshot, metrics, logs, rate limiter and accounting. One instance per
// running gateway.
#pragma once

#include "gateway/observability/AccessLog.hpp"
#include "gateway/observability/AuditLog.hpp"
#include "gateway/observability/Metrics.hpp"
#include "gateway/pipeline/Accounting.hpp"
#include "gateway/pipeline/Snapshot.hpp"
#include "gateway/shadow/ShadowTraffic.hpp"
#include "gateway/state/ConversationStore.hpp"
#include "gateway/state/QuotaStore.hpp"

#include <atomic>
#include <functional>
#include <string_view>
#include <memory>
#include <mutex>

namespace hgw::pipeline {

class Services {
 public:
  Services(std::shared_ptr<const config::Config> config, std::unique_ptr<state::StateStore> store);
  ~Services();

  std::shared_ptr<Snapshot> snapshot() const { return snapshot_.load(); }
  // Builds a snapshot for a new config and swaps it in; in-flight requests
  // finish with the old one. Throws std::runtime_error (old config kept).
  void install(std::shared_ptr<const config::Config> config);

  obs::Metrics& metrics() { return metrics_; }
  obs::AccessLog& access_log() { return *access_log_; }
  // The compliance audit log (compliance.audit_log); replaced by install()
  // when its settings change. Never null; disabled when the path is empty.
  std::shared_ptr<obs::AuditLog> audit_log() const { return audit_log_.load(); }
  // Budgets and rate limits: in the process, or shared through Redis.
  state::QuotaStore& quota() { return *quota_; }
  Accounting& accounting() { return accounting_; }
  // Responses API conversations, in the state store.
  // (Thread-safe: usable through the const Services of a Call.)
  state::ConversationStore& conversations() const { return *conversations_; }

  // A test seam, as Envoy's fault filter: when set (tests only — nothing in
  // the gateway sets it), the pipeline calls it at its named steps
  // ("policies", "attempt", "relay", "stream" — after each chunk a started
  // stream sent), and whatever it throws travels the
  // pipeline's real error paths. Set before traffic starts.
  std::function<void(std::string_view step)> fault_injection;
  void fault_point(std::string_view step) const {
    if (fault_injection) fault_injection(step);
  }

  // Requests mirrored to shadow backends, in flight (gateway/shadow/).
  shadow::ShadowTraffic& shadows() { return shadows_; }

  std::atomic<bool> draining{false};
  std::atomic<long> open_connections{0};
  std::atomic<long> inflight_requests{0};

 private:
  obs::Metrics metrics_;
  std::atomic<std::shared_ptr<Snapshot>> snapshot_;
  std::atomic<std::uint64_t> generation_{0};
  std::unique_ptr<obs::AccessLog> access_log_;
  std::atomic<std::shared_ptr<obs::AuditLog>> audit_log_;
  Accounting accounting_;
  std::unique_ptr<state::ConversationStore> conversations_;  // uses accounting_'s store: destroyed first
  std::unique_ptr<state::QuotaStore> quota_;
  std::mutex install_mutex_;
  shadow::ShadowTraffic shadows_;
};

}  // namespace hgw::pipeline
