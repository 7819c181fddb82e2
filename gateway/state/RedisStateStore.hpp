// StateStore on Redis (hiredis), for several gateway replicas sharing budgets
// and usage. Keys (under state.key_prefix, default "hybridgw:"):
//   spend:<tenant>:<window>                 string, INCRBYFLOAT; TTL 3 days (day) / 62 days (month)
//   usage:<hour>:<route>\x1f<backend>\x1f<tenant>   hash input/output/cached/requests/cost_usd; TTL 40 days
//   usage:index                              sorted set of usage hash keys scored by hour
//   judge:<hour>:<route>\x1f<backend>       hash judged/wins/ties/score_sum; TTL 40 days
//   judge:index                              sorted set of judgement hash keys scored by hour
// Each call is one pipelined round trip over one connection guarded by a mutex;
// connect and command timeouts are 1 s; a broken connection is re-opened on the
// next call. URL: redis://host[:port][/db] or unix:///path/to/redis.sock (no
// password in the URL: secrets stay out of YAML; a password is sent with AUTH
// on every connect).
#pragma once

#include <mutex>

#include "gateway/state/RedisConnection.hpp"
#include "gateway/state/StateStore.hpp"

struct redisContext;

namespace hgw::state {

class RedisStateStore final : public StateStore {
 public:
  // `password` empty: no AUTH.
  static std::unique_ptr<RedisStateStore> open(const std::string& url, const std::string& key_prefix,
                                               const std::string& password, std::string* error);
  ~RedisStateStore() override;
  RedisStateStore(const RedisStateStore&) = delete;
  RedisStateStore& operator=(const RedisStateStore&) = delete;

  void add_spend(const std::string& tenant, const std::string& day_key, const std::string& month_key,
                 double usd) override;
  double spend(const std::string& tenant, const std::string& window_key) override;
  void record_usage(const UsageRecord&) override;
  bool write_batch(const std::vector<UsageRecord>& usage, const std::vector<SpendDelta>& spend) override;
  std::vector<UsageRow> usage_since(std::chrono::system_clock::time_point since) override;
  bool write_judgements(const std::vector<JudgementRecord>&) override;
  std::vector<QualityRow> judgements_since(std::chrono::system_clock::time_point since) override;
  bool put_response(const std::string& tenant, const std::string& id, const std::string& json,
                    std::chrono::system_clock::time_point expires_at) override;
  ResponseLookup get_response(const std::string& tenant, const std::string& id) override;
  ResponseLookup::Status delete_response(const std::string& tenant, const std::string& id) override;
  std::string last_error() const override;
  const char* kind() const override { return "redis"; }

  // Deletes every key under the prefix (tests).
  void clear_all_for_tests();

 private:
  RedisStateStore() = default;
  bool connect_locked(std::string* error);
  bool ensure_locked();
  void drop_locked(const char* what);
  // Append the commands of one record; return how many replies to read.
  int append_spend_locked(const std::string& tenant, const std::string& day_key, const std::string& month_key,
                          double usd);
  int append_usage_locked(const UsageRecord& r);
  bool read_replies_locked(int n, const char* what);

  mutable std::mutex mu_;
  redisContext* ctx_ = nullptr;
  RedisEndpoint endpoint_;
  std::string prefix_;
  std::string last_error_;
};

}  // namespace hgw::state
