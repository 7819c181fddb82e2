#include "gateway/state/SqliteStateStore.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "gateway/state/MemoryStateStore.hpp"

namespace hgw::state {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS spend (
  tenant TEXT NOT NULL,
  window_key TEXT NOT NULL,           -- "2026-11-30" (UTC day) or "2026-11" (UTC month)
  usd    REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, window_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_hourly (
  route    TEXT NOT NULL,
  backend  TEXT NOT NULL,
  tenant   TEXT NOT NULL,
  hour     INTEGER NOT NULL,       -- start of the UTC hour, seconds since the epoch
  input    INTEGER NOT NULL DEFAULT 0,
  output   INTEGER NOT NULL DEFAULT 0,
  cached   INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (route, backend, tenant, hour)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_hourly_hour ON usage_hourly (hour);
CREATE TABLE IF NOT EXISTS judgements_hourly (
  route     TEXT NOT NULL,
  backend   TEXT NOT NULL,
  hour      INTEGER NOT NULL,      -- start of the UTC hour, seconds since the epoch
  judged    INTEGER NOT NULL DEFAULT 0,
  wins      INTEGER NOT NULL DEFAULT 0,
  ties      INTEGER NOT NULL DEFAULT 0,
  score_sum REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (route, backend, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS responses (
  tenant     TEXT NOT NULL,
  id         TEXT NOT NULL,          -- "resp_…"
  expires_at INTEGER NOT NULL,       -- seconds since the epoch
  body       TEXT NOT NULL,          -- the stored conversation (JSON)
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS responses_expiry ON responses (expires_at);
)sql";

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Binds text without copying; the std::string outlives the statement step.
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
}  // namespace

std::unique_ptr<SqliteStateStore> SqliteStateStore::open(const std::string& path, std::string* error) {
  std::unique_ptr<SqliteStateStore> s(new SqliteStateStore());
  auto fail = [&](const std::string& msg) -> std::unique_ptr<SqliteStateStore> {
    if (error) *error = "state store " + path + ": " + msg;
    return nullptr;
  };
  if (path.empty()) return fail("state.path is empty");
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return fail("cannot create directory " + p.parent_path().string() + ": " + ec.message());
  }
  int rc = sqlite3_open_v2(path.c_str(), &s->db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = s->db_ ? sqlite3_errmsg(s->db_) : sqlite3_errstr(rc);
    return fail(msg);
  }
  sqlite3_busy_timeout(s->db_, 5000);
  char* err = nullptr;
  const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") + kSchema;
  if (sqlite3_exec(s->db_, setup.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "schema setup failed";
    sqlite3_free(err);
    return fail(msg);
  }
  std::string perr;
  if (!s->prepare_all(&perr)) return fail(perr);
  return s;
}

bool SqliteStateStore::prepare_all(std::string* error) {
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } const stmts[] = {
      {&add_spend_,
       "INSERT INTO spend (tenant, window_key, usd) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (tenant, window_key) DO UPDATE SET usd = usd + excluded.usd"},
      {&get_spend_, "SELECT usd FROM spend WHERE tenant = ?1 AND window_key = ?2"},
      {&add_usage_,
       "INSERT INTO usage_hourly (route, backend, tenant, hour, input, output, cached, requests, cost_usd) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?8) "
       "ON CONFLICT (route, backend, tenant, hour) DO UPDATE SET input = input + excluded.input, "
       "output = output + excluded.output, cached = cached + excluded.cached, "
       "requests = requests + excluded.requests, "
       "cost_usd = cost_usd + excluded.cost_usd"},
      {&usage_since_,
       "SELECT route, backend, hour, SUM(input), SUM(output), SUM(cached), SUM(requests), SUM(cost_usd) "
       "FROM usage_hourly WHERE hour >= ?1 GROUP BY route, backend, hour"},
      {&add_judgement_,
       "INSERT INTO judgements_hourly (route, backend, hour, judged, wins, ties, score_sum) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
       "ON CONFLICT (route, backend, hour) DO UPDATE SET judged = judged + excluded.judged, "
       "wins = wins + excluded.wins, ties = ties + excluded.ties, score_sum = score_sum + excluded.score_sum"},
      {&judgements_since_,
       "SELECT route, backend, SUM(judged), SUM(wins), SUM(ties), SUM(score_sum) "
       "FROM judgements_hourly WHERE hour >= ?1 GROUP BY route, backend"},
      {&put_response_,
       "INSERT INTO responses (tenant, id, expires_at, body) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (tenant, id) DO UPDATE SET expires_at = excluded.expires_at, body = excluded.body"},
      {&get_response_, "SELECT body FROM responses WHERE tenant = ?1 AND id = ?2 AND expires_at >= ?3"},
      {&delete_response_, "DELETE FROM responses WHERE tenant = ?1 AND id = ?2"},
      {&expire_responses_, "DELETE FROM responses WHERE expires_at < ?1"},
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
  };
  for (const auto& s : stmts) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) != SQLITE_OK) {
      if (error) *error = std::string("prepare failed: ") + sqlite3_errmsg(db_);
      return false;
    }
  }
  return true;
}

SqliteStateStore::~SqliteStateStore() {
  for (auto* st : {add_spend_, get_spend_, add_usage_, usage_since_, add_judgement_, judgements_since_, put_response_, get_response_, delete_response_,
                   expire_responses_, begin_, commit_})
    sqlite3_finalize(st);
  if (db_) sqlite3_close_v2(db_);
}

void SqliteStateStore::set_error(const char* what) { last_error_ = std::string(what) + ": " + sqlite3_errmsg(db_); }

std::string SqliteStateStore::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void SqliteStateStore::add_spend_locked(const std::string& tenant, const std::string& day_key,
                                        const std::string& month_key, double usd) {
  for (const std::string* key : {&day_key, &month_key}) {
    bind_text(add_spend_, 1, tenant);
    bind_text(add_spend_, 2, *key);
    sqlite3_bind_double(add_spend_, 3, usd);
    if (sqlite3_step(add_spend_) != SQLITE_DONE) set_error("add_spend");
    sqlite3_reset(add_spend_);
    sqlite3_clear_bindings(add_spend_);
  }
}

bool SqliteStateStore::begin_locked() {
  const bool in_tx = sqlite3_step(begin_) == SQLITE_DONE;
  sqlite3_reset(begin_);
  return in_tx;
}

void SqliteStateStore::commit_locked(bool in_tx) {
  if (!in_tx) return;
  if (sqlite3_step(commit_) != SQLITE_DONE) set_error("commit");
  sqlite3_reset(commit_);
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteStateStore::add_spend(const std::string& tenant, const std::string& day_key,
                                 const std::string& month_key, double usd) {
  std::lock_guard lock(mu_);
  const bool in_tx = begin_locked();
  add_spend_locked(tenant, day_key, month_key, usd);
  commit_locked(in_tx);
}

bool SqliteStateStore::write_batch(const std::vector<UsageRecord>& usage, const std::vector<SpendDelta>& spend) {
  // One transaction: one fsync of the WAL for the whole batch.
  std::lock_guard lock(mu_);
  const bool in_tx = begin_locked();
  for (const auto& u : usage) record_usage_locked(u);
  for (const auto& d : spend) add_spend_locked(d.tenant, d.day_key, d.month_key, d.usd);
  commit_locked(in_tx);
  return true;  // a local file: errors are reported in last_error(), not retried
}

double SqliteStateStore::spend(const std::string& tenant, const std::string& window_key) {
  std::lock_guard lock(mu_);
  bind_text(get_spend_, 1, tenant);
  bind_text(get_spend_, 2, window_key);
  double v = 0;
  const int rc = sqlite3_step(get_spend_);
  if (rc == SQLITE_ROW) v = sqlite3_column_double(get_spend_, 0);
  else if (rc != SQLITE_DONE) set_error("spend");
  sqlite3_reset(get_spend_);
  sqlite3_clear_bindings(get_spend_);
  return v;
}

void SqliteStateStore::record_usage(const UsageRecord& r) {
  std::lock_guard lock(mu_);
  record_usage_locked(r);
}

void SqliteStateStore::record_usage_locked(const UsageRecord& r) {
  bind_text(add_usage_, 1, r.route);
  bind_text(add_usage_, 2, r.backend);
  bind_text(add_usage_, 3, r.tenant);
  sqlite3_bind_int64(add_usage_, 4, hour_bucket(r.at));
  sqlite3_bind_int64(add_usage_, 5, static_cast<sqlite3_int64>(r.input));
  sqlite3_bind_int64(add_usage_, 6, static_cast<sqlite3_int64>(r.output));
  sqlite3_bind_int64(add_usage_, 7, static_cast<sqlite3_int64>(r.cached));
  sqlite3_bind_double(add_usage_, 8, r.cost_usd);
  sqlite3_bind_int64(add_usage_, 9, static_cast<sqlite3_int64>(r.requests));
  if (sqlite3_step(add_usage_) != SQLITE_DONE) set_error("record_usage");
  sqlite3_reset(add_usage_);
  sqlite3_clear_bindings(add_usage_);
}

std::vector<StateStore::UsageRow> SqliteStateStore::usage_since(std::chrono::system_clock::time_point since) {
  std::vector<HourlyRow> rows;
  {
    std::lock_guard lock(mu_);
    sqlite3_bind_int64(usage_since_, 1, hour_bucket(since));
    int rc;
    while ((rc = sqlite3_step(usage_since_)) == SQLITE_ROW) {
      HourlyRow h;
      h.route = reinterpret_cast<const char*>(sqlite3_column_text(usage_since_, 0));
      h.backend = reinterpret_cast<const char*>(sqlite3_column_text(usage_since_, 1));
      h.hour = sqlite3_column_int64(usage_since_, 2);
      h.input = static_cast<std::uint64_t>(sqlite3_column_int64(usage_since_, 3));
      h.output = static_cast<std::uint64_t>(sqlite3_column_int64(usage_since_, 4));
      h.cached = static_cast<std::uint64_t>(sqlite3_column_int64(usage_since_, 5));
      h.requests = static_cast<std::uint64_t>(sqlite3_column_int64(usage_since_, 6));
      h.cost_usd = sqlite3_column_double(usage_since_, 7);
      rows.push_back(std::move(h));
    }
    if (rc != SQLITE_DONE) set_error("usage_since");
    sqlite3_reset(usage_since_);
    sqlite3_clear_bindings(usage_since_);
  }
  return aggregate_hourly(rows);
}

bool SqliteStateStore::write_judgements(const std::vector<JudgementRecord>& records) {
  std::lock_guard lock(mu_);
  const bool in_tx = begin_locked();
  for (const auto& r : records) {
    bind_text(add_judgement_, 1, r.route);
    bind_text(add_judgement_, 2, r.backend);
    sqlite3_bind_int64(add_judgement_, 3, hour_bucket(r.at));
    sqlite3_bind_int64(add_judgement_, 4, static_cast<sqlite3_int64>(r.judged));
    sqlite3_bind_int64(add_judgement_, 5, static_cast<sqlite3_int64>(r.wins));
    sqlite3_bind_int64(add_judgement_, 6, static_cast<sqlite3_int64>(r.ties));
    sqlite3_bind_double(add_judgement_, 7, r.score_sum);
    if (sqlite3_step(add_judgement_) != SQLITE_DONE) set_error("write_judgements");
    sqlite3_reset(add_judgement_);
    sqlite3_clear_bindings(add_judgement_);
  }
  commit_locked(in_tx);
  return true;  // a local file: errors are reported in last_error(), not retried
}

std::vector<StateStore::QualityRow> SqliteStateStore::judgements_since(std::chrono::system_clock::time_point since) {
  std::vector<QualityRow> rows;
  std::lock_guard lock(mu_);
  sqlite3_bind_int64(judgements_since_, 1, hour_bucket(since));
  int rc;
  while ((rc = sqlite3_step(judgements_since_)) == SQLITE_ROW) {
    QualityRow q;
    q.route = reinterpret_cast<const char*>(sqlite3_column_text(judgements_since_, 0));
    q.backend = reinterpret_cast<const char*>(sqlite3_column_text(judgements_since_, 1));
    q.judged = static_cast<std::uint64_t>(sqlite3_column_int64(judgements_since_, 2));
    q.wins = static_cast<std::uint64_t>(sqlite3_column_int64(judgements_since_, 3));
    q.ties = static_cast<std::uint64_t>(sqlite3_column_int64(judgements_since_, 4));
    q.score_sum = sqlite3_column_double(judgements_since_, 5);
    rows.push_back(std::move(q));
  }
  if (rc != SQLITE_DONE) set_error("judgements_since");
  sqlite3_reset(judgements_since_);
  sqlite3_clear_bindings(judgements_since_);
  return rows;
}

bool SqliteStateStore::put_response(const std::string& tenant, const std::string& id, const std::string& json,
                                    std::chrono::system_clock::time_point expires_at) {
  std::lock_guard lock(mu_);
  // Expired conversations go now and then (an indexed range delete).
  if (++puts_since_expiry_ >= 100) {
    puts_since_expiry_ = 0;
    sqlite3_bind_int64(expire_responses_, 1, epoch_seconds(std::chrono::system_clock::now()));
    if (sqlite3_step(expire_responses_) != SQLITE_DONE) set_error("expire responses");
    sqlite3_reset(expire_responses_);
  }
  bind_text(put_response_, 1, tenant);
  bind_text(put_response_, 2, id);
  sqlite3_bind_int64(put_response_, 3, epoch_seconds(expires_at));
  bind_text(put_response_, 4, json);
  const bool ok = sqlite3_step(put_response_) == SQLITE_DONE;
  if (!ok) set_error("put_response");
  sqlite3_reset(put_response_);
  sqlite3_clear_bindings(put_response_);
  return ok;
}

ResponseLookup SqliteStateStore::get_response(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mu_);
  bind_text(get_response_, 1, tenant);
  bind_text(get_response_, 2, id);
  sqlite3_bind_int64(get_response_, 3, epoch_seconds(std::chrono::system_clock::now()));
  ResponseLookup r;
  const int rc = sqlite3_step(get_response_);
  if (rc == SQLITE_ROW) {
    r.status = ResponseLookup::Status::found;
    r.json.assign(reinterpret_cast<const char*>(sqlite3_column_text(get_response_, 0)),
                  static_cast<std::size_t>(sqlite3_column_bytes(get_response_, 0)));
  } else if (rc != SQLITE_DONE) {
    set_error("get_response");
    r.status = ResponseLookup::Status::failed;
    r.error = last_error_;
  }
  sqlite3_reset(get_response_);
  sqlite3_clear_bindings(get_response_);
  return r;
}

ResponseLookup::Status SqliteStateStore::delete_response(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mu_);
  bind_text(delete_response_, 1, tenant);
  bind_text(delete_response_, 2, id);
  const bool ok = sqlite3_step(delete_response_) == SQLITE_DONE;
  if (!ok) set_error("delete_response");
  sqlite3_reset(delete_response_);
  sqlite3_clear_bindings(delete_response_);
  if (!ok) return ResponseLookup::Status::failed;
  return sqlite3_changes(db_) > 0 ? ResponseLookup::Status::found : ResponseLookup::Status::missing;
}

}  // namespace hgw::state
