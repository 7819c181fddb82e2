#include "gateway/pipeline/Services.hpp"

#include "policies/cost/Budget.hpp"

#include "gateway/config/Environment.hpp"
#include "gateway/state/LocalQuota.hpp"
#include "gateway/state/RedisQuota.hpp"

#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace hgw::pipeline {

namespace {

// This replica's name in reservation ids: the pod name on Kubernetes.
std::string replica_id() {
  if (const char* pod = std::getenv("HOSTNAME"); pod && *pod) return std::string(pod) + ":" + std::to_string(::getpid());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

}  // namespace

Services::Services(std::shared_ptr<const config::Config> config, std::unique_ptr<state::StateStore> store)
    : accounting_(std::move(store), std::chrono::milliseconds(config->state.flush_ms),
                  /*writes_spend=*/config->state.store != "redis") {
  const auto& al = config->server.access_log;
  access_log_ = std::make_unique<obs::AccessLog>(
      obs::AccessLog::Options{al.path, al.buffer_bytes, std::chrono::milliseconds(al.flush_ms)});
  if (!access_log_->error().empty()) throw std::runtime_error(access_log_->error());
  conversations_ = std::make_unique<state::ConversationStore>(accounting_.store());
  const auto& st = config->state;
  if (st.store == "redis") {
    state::RedisEndpoint endpoint;
    std::string error;
    if (!state::parse_redis_url(st.redis_url, endpoint, &error)) throw std::runtime_error(error);
    endpoint.password = config::env_value(st.redis_password_env);
    state::RedisQuota::Options options;
    options.timeout = std::chrono::milliseconds(st.redis_timeout_ms);
    options.reservation_ttl = std::chrono::milliseconds(st.reservation_ttl_ms);
    options.on_store_error = st.on_store_error;
    options.replica = replica_id();
    quota_ = std::make_unique<state::RedisQuota>(std::move(endpoint), st.key_prefix, std::move(options));
  } else {
    quota_ = std::make_unique<state::LocalQuota>(
        [this](const std::string& tenant, const std::string& day, const std::string& month) {
          return accounting_.spent(tenant, day, month);
        });
  }
  install(std::move(config));
}

Services::~Services() = default;

namespace {
bool same_audit_settings(const config::AuditLogConfig& a, const config::AuditLogConfig& b) {
  return a.path == b.path && a.fsync == b.fsync && a.fsync_interval_ms == b.fsync_interval_ms &&
         a.max_bytes == b.max_bytes && a.max_files == b.max_files;
}
}  // namespace

void Services::install(std::shared_ptr<const config::Config> config) {
  std::lock_guard lock(install_mutex_);
  // The audit log first: a path that cannot be opened keeps the old config.
  auto audit = audit_log_.load();
  if (!audit || !same_audit_settings(audit->config(), config->compliance.audit_log)) {
    audit = std::make_shared<obs::AuditLog>(config->compliance.audit_log);
    if (!audit->open_error().empty()) throw std::runtime_error(audit->open_error());
  }
  // Budgets read the stored spend of the current windows from memory: load it
  // now (the admin thread, or start-up), not on an io thread's first request.
  {
    std::vector<std::string> tenants;
    for (const auto& t : config->tenants)
      if (t.budget.daily_usd || t.budget.monthly_usd) tenants.push_back(t.name);
    const auto now = std::chrono::system_clock::now();
    if (!tenants.empty()) accounting_.preload(tenants, {cost::day_key(now), cost::month_key(now)});
  }
  auto previous = snapshot_.load();
  auto next = std::make_shared<Snapshot>(std::move(config), metrics_, ++generation_, previous.get());
  audit_log_.store(std::move(audit));
  snapshot_.store(std::move(next));
}

}  // namespace hgw::pipeline
