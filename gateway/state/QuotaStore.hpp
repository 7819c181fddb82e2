// A tenant's budget and rate limits, decided where every replica sees the
// same numbers (DESIGN.md §6: "with several replicas on one state store, a
// budget or rate limit is exceeded by at most the requests in flight").
// Before dispatch a request asks for its estimated cost (a reservation) and
// its estimated tokens; after the answer it settles the actual cost and
// tokens. LocalQuota decides in the process (sqlite and memory stores: one
// replica); RedisQuota in Redis, with Lua scripts that admit and settle
// requests atomically.
#pragma once

#include "gateway/config/Config.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/cost/RateLimiter.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hgw::state {

struct QuotaAsk {
  const config::TenantConfig* tenant = nullptr;
  // Keeps *tenant alive while a store's thread holds the ask (the request,
  // and after a reload its configuration, may be gone by then).
  std::shared_ptr<const config::Config> config;
  std::string day_key, month_key;
  double estimate_usd = 0;          // reserved when the tenant has a budget
  std::uint64_t estimate_tokens = 0;
  std::chrono::system_clock::time_point now{};
};

struct QuotaGrant {
  enum class Result {
    admitted,          // go on (reservation set when the tenant has a budget)
    budget_exhausted,  // on_exhausted: reject
    rate_limited,
    unavailable,       // the shared store cannot answer and on_store_error is reject
  } result = Result::admitted;
  bool downgraded = false;     // admitted with the budget exhausted (on_exhausted: downgrade)
  cost::BudgetStatus budget;   // spent and limit of the tightest window (messages)
  double spent_today = 0, spent_month = 0;  // settled + reserved before this request (gauges)
  cost::RateLimiter::Limit limit = cost::RateLimiter::Limit::none;
  std::uint32_t retry_after_s = 0;
  std::string message;         // for a refusal
  std::uint64_t reservation = 0;
  double reserved_usd = 0;     // what the reservation holds for this request
  bool local = false;          // decided with this replica's own state (shared store degraded)
};

struct QuotaSettle {
  const config::TenantConfig* tenant = nullptr;
  std::shared_ptr<const config::Config> config;  // as QuotaAsk::config
  std::string day_key, month_key;
  std::uint64_t reservation = 0;
  double reserved_usd = 0;  // the grant's, released with the reservation
  bool local = false;
  double actual_usd = 0;
  std::int64_t token_delta = 0;  // actual - estimated tokens (negative: refund)
};

class QuotaStore {
 public:
  virtual ~QuotaStore() = default;
  // `done` runs exactly once: at once on the caller's thread (local), or on
  // the store's own thread later (Redis) — never blocking the caller.
  virtual void admit(const QuotaAsk& ask, std::function<void(QuotaGrant)> done) = 0;
  // Decides now with this replica's own state (the caller gave up waiting).
  virtual QuotaGrant admit_locally(const QuotaAsk& ask) = 0;
  // True when admit() always decides at once and the same as admit_locally():
  // the caller may then skip the cross-thread wait.
  virtual bool decides_at_once() const { return false; }
  virtual void settle(const QuotaSettle& settle) = 0;
  // The spend of a tenant's window as the budget sees it, settled plus
  // reserved (explain, gauges). May block: not for io threads.
  virtual double committed_spend(const std::string& tenant, const std::string& window_key) = 0;
  // Why the shared store is not deciding now ("" when it is).
  virtual std::string degraded() const = 0;
  virtual const char* kind() const = 0;
};

// The refusal a budget status or a rate-limit verdict becomes.
QuotaGrant budget_refusal(const config::TenantConfig& tenant, const cost::BudgetStatus& status,
                          std::chrono::system_clock::time_point now);
QuotaGrant rate_refusal(const cost::RateLimiter::Verdict& verdict);

}  // namespace hgw::state
