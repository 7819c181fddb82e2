#include "gateway/pipeline/Services.hpp"

#include "policies/cost/Budget.hpp"

#include <stdexcept>

namespace hgw::pipeline {

Services::Services(std::shared_ptr<const config::Config> config,
                   std::unique_ptr<state::StateStore> store)
    : accounting_(std::move(store), std::chrono::milliseconds(config->state.flush_ms)) {
  const auto& al = config->server.access_log;
  access_log_ = std::make_unique<obs::AccessLog>(
      obs::AccessLog::Options{al.path, al.buffer_bytes, std::chrono::milliseconds(al.flush_ms)});
  if (!access_log_->error().empty()) throw std::runtime_error(access_log_->error());
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
