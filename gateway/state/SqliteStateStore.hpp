// Embedded StateStore on SQLite (the default): one file at state.path, WAL
// journal, synchronous=NORMAL (a crash may lose the last transactions' spend,
// never corrupt the file), prepared statements, upserts
// (INSERT … ON CONFLICT DO UPDATE). One connection guarded by a mutex.
#pragma once

#include <mutex>

#include "gateway/state/StateStore.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hgw::state {

class SqliteStateStore final : public StateStore {
 public:
  // Opens (creating the file and its directory if absent) or returns nullptr with *error.
  static std::unique_ptr<SqliteStateStore> open(const std::string& path, std::string* error);
  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

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
  const char* kind() const override { return "sqlite"; }

 private:
  SqliteStateStore() = default;
  bool prepare_all(std::string* error);
  void set_error(const char* what);

  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;
  void add_spend_locked(const std::string& tenant, const std::string& day_key, const std::string& month_key,
                        double usd);
  void record_usage_locked(const UsageRecord&);
  bool begin_locked();
  void commit_locked(bool in_tx);
  sqlite3_stmt* add_spend_ = nullptr;
  sqlite3_stmt* get_spend_ = nullptr;
  sqlite3_stmt* add_usage_ = nullptr;
  sqlite3_stmt* usage_since_ = nullptr;
  sqlite3_stmt* add_judgement_ = nullptr;
  sqlite3_stmt* judgements_since_ = nullptr;
  sqlite3_stmt* put_response_ = nullptr;
  sqlite3_stmt* get_response_ = nullptr;
  sqlite3_stmt* delete_response_ = nullptr;
  sqlite3_stmt* expire_responses_ = nullptr;
  int puts_since_expiry_ = 0;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  std::string last_error_;
};

}  // namespace hgw::state
