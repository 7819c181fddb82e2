// Budgets and rate limits decided inside this process: the embedded default
// (sqlite or memory store, one replica), and the fallback of RedisQuota while
// Redis is unreachable. Budgets reserve against spend + in-flight
// reservations (cost::BudgetLedger); rate limits are token buckets
// (cost::RateLimiter). Decisions are immediate, on the caller's thread.
#pragma once

#include "gateway/state/QuotaStore.hpp"
#include "policies/cost/BudgetLedger.hpp"

#include <functional>
#include <utility>

namespace hgw::state {

class LocalQuota final : public QuotaStore {
 public:
  // The settled spend this process knows: spent(tenant, day key, month key) → (today, this month).
  using SpentFn = std::function<std::pair<double, double>(const std::string&, const std::string&, const std::string&)>;
  explicit LocalQuota(SpentFn spent);

  void admit(const QuotaAsk& ask, std::function<void(QuotaGrant)> done) override { done(admit_locally(ask)); }
  QuotaGrant admit_locally(const QuotaAsk& ask) override;
  bool decides_at_once() const override { return true; }
  void settle(const QuotaSettle& settle) override;
  double committed_spend(const std::string& tenant, const std::string& window_key) override;
  std::string degraded() const override { return {}; }
  const char* kind() const override { return "local"; }

  cost::BudgetLedger& ledger() { return ledger_; }

 private:
  SpentFn spent_;
  cost::BudgetLedger ledger_;
  cost::RateLimiter rates_;
};

}  // namespace hgw::state
