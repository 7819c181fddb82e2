// Budgets and rate limits shared by every replica through Redis: one Lua
// script, atomically, settles finished requests (adds their actual cost,
// releases their reservations, corrects the token bucket) and admits new
// ones (reserves their estimated cost, takes their rate-limit tokens). Each
// call carries everything of one tenant queued since the last round trip (a
// group): a busy replica pays the script's fixed cost once per group, not
// twice per request, and the asks are decided in order as one by one. Reservations that are never settled (a
// replica died) expire after state.reservation_ttl_ms. So N replicas exceed a
// budget by at most the requests in flight (their actual cost above their
// estimate), never by a multiple.
//
// The scripts run on a thread of the store's own (a pipelined batch per
// wake-up, with connect and command timeouts of state.redis_timeout_ms):
// an io thread never waits on Redis; it waits on a timer for the answer.
//
// When Redis cannot answer (down, slow, restarting) the store is degraded and
// decides with this replica's own state (LocalQuota: the spend last read from
// Redis plus what this replica spent since) if on_store_error is serve_local,
// or refuses tenants with budgets if it is reject. What was spent meanwhile is
// added to Redis when it is back (reconciliation); the log says why once, the
// hybridgw_state_store_degraded gauge and /readyz say so while it lasts.
//
// Keys (under state.key_prefix), all per tenant:
//   spend:<tenant>:<window>            settled spend (shared with RedisStateStore)
//   resv:<tenant>                      hash group reservation id → "amount count day month"
//   resv_exp:<tenant>                  sorted set reservation id by expiry (ms)
//   resv_sum:<tenant>:<window>         reserved total of a window
//   rate:<tenant>                      hash r (requests), t (tokens), ts (ms)
#pragma once

#include "gateway/state/LocalQuota.hpp"
#include "gateway/state/QuotaStore.hpp"
#include "gateway/state/RedisConnection.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

struct redisContext;

namespace hgw::state {

class RedisQuota final : public QuotaStore {
 public:
  struct Options {
    std::chrono::milliseconds timeout{250};            // connect and each command batch
    std::chrono::milliseconds reservation_ttl{600'000};
    config::StoreErrorPolicy on_store_error = config::StoreErrorPolicy::serve_local;
    std::string replica;                               // in reservation ids
  };
  RedisQuota(RedisEndpoint endpoint, std::string key_prefix, Options options);
  ~RedisQuota() override;

  void admit(const QuotaAsk& ask, std::function<void(QuotaGrant)> done) override;
  QuotaGrant admit_locally(const QuotaAsk& ask) override;
  void settle(const QuotaSettle& settle) override;
  double committed_spend(const std::string& tenant, const std::string& window_key) override;
  std::string degraded() const override;
  const char* kind() const override { return "redis"; }

  // For tests and the degraded gauge: settles waiting to be added to Redis.
  std::size_t pending_reconciliation() const;

 private:
  struct Job {
    bool admit = true;
    QuotaAsk ask;
    QuotaSettle settle;
    std::function<void(QuotaGrant)> done;
  };
  // Settles Redis has not confirmed (made while degraded, or whose answer was
  // lost), in order, each group with its id: the settle script applies an id
  // once, so a group that did run before its answer was lost is not counted twice.
  struct Unconfirmed {
    std::vector<QuotaSettle> settles;
    std::uint64_t id = 0;
  };
  void run();
  bool connect();
  void process(std::vector<Job>& batch);
  void fail_batch(std::vector<Job>& batch, const std::string& why);
  void drop_connection(const std::string& why);
  void enter_degraded(const std::string& why);
  bool reconcile();
  QuotaGrant decide_locally(const QuotaAsk& ask);
  void settle_locally(const QuotaSettle& s, std::uint64_t settle_id);
  // What one script call carries: one tenant's settles and asks of one pair of windows.
  struct Group {
    const config::TenantConfig* tenant = nullptr;
    std::string day_key, month_key;
    std::vector<QuotaSettle> settles;
    std::vector<const Job*> asks;
    std::uint64_t id = 0;  // the asks' reservation and the settles' marker
  };
  std::vector<std::string> quota_args(const Group& group) const;
  // The grant of one ask of a group, from its six fields of the reply starting at `at`.
  QuotaGrant grant_from_reply(const Job& job, std::uint64_t group_id, const struct redisReply* reply, std::size_t at);
  std::string reservation_name(std::uint64_t group_id) const { return options_.replica + "-" + std::to_string(group_id); }
  std::string key(const std::string& what, const std::string& tenant) const { return prefix_ + what + ":" + tenant; }

  RedisEndpoint endpoint_;
  std::string prefix_;
  Options options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stop_ = false;

  // What this replica knows while Redis cannot answer.
  mutable std::mutex local_mutex_;
  std::map<std::pair<std::string, std::string>, double> last_spent_;  // (tenant, window) → spend last read
  std::deque<Unconfirmed> unreconciled_;
  std::string degraded_why_;
  LocalQuota local_;

  std::atomic<std::uint64_t> next_id_{1};
  redisContext* ctx_ = nullptr;  // the store thread's only
  std::string quota_sha_;
  std::thread thread_;
};

}  // namespace hgw::state
