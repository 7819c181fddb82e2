// Shared, durable gateway state: tenant spend per budget window, hourly
// usage counters and shadow judgements for the cost report. Interface with three implementations
// (Envoy style): SqliteStateStore (embedded default, WAL, survives restarts),
// RedisStateStore (shared by several replicas), MemoryStateStore (tests).
//
// The API is synchronous and thread-safe (each implementation serialises on a
// mutex). Calls are tiny (one prepared upsert / one pipelined round trip) and
// are made at accounting time, after the response went out, or from the admin
// listener, never while a client waits on a byte. Methods never throw: on a
// storage error they log nothing themselves, keep the message in last_error()
// and return 0 / empty (budget checks then fail open on that request).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/Config.hpp"
#include "policies/cost/CostReport.hpp"

namespace hgw::state {

struct UsageRecord {
  std::string route, backend, tenant;
  std::uint64_t input = 0, output = 0, cached = 0;
  double cost_usd = 0;
  std::chrono::system_clock::time_point at{};
  std::uint64_t requests = 1;  // requests summed into this record
};

// One side of shadow judgements (or several summed) of (route, backend), in
// the UTC hour of `at`: for the cost report's quality columns.
struct JudgementRecord {
  std::string route, backend;
  std::uint64_t judged = 1, wins = 0, ties = 0;
  double score_sum = 0;
  std::chrono::system_clock::time_point at{};
};

// A stored Responses API conversation looked up by (tenant, response id).
struct ResponseLookup {
  enum class Status { found, missing, failed } status = Status::missing;
  std::string json;   // found: what put_response stored
  std::string error;  // failed: why (the store could not answer)
};

// Spend to add to a tenant's day and month windows.
struct SpendDelta {
  std::string tenant, day_key, month_key;
  double usd = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Adds usd to the tenant's spend in both windows (keys from cost::day_key /
  // cost::month_key: "2026-11-30", "2026-11").
  virtual void add_spend(const std::string& tenant, const std::string& day_key, const std::string& month_key,
                         double usd) = 0;
  // Spend of a tenant in one window (a day key or a month key); 0 if none.
  virtual double spend(const std::string& tenant, const std::string& window_key) = 0;
  // Aggregated per (route, backend, tenant, UTC hour of `at`); `requests` of them.
  virtual void record_usage(const UsageRecord&) = 0;
  // Many at once (Accounting's flush); stores that can make it one transaction
  // or one round trip do. false: not written (the store is unreachable) —
  // the caller keeps the batch and tries again.
  virtual bool write_batch(const std::vector<UsageRecord>& usage, const std::vector<SpendDelta>& spend) {
    for (const auto& u : usage) record_usage(u);
    for (const auto& s : spend) add_spend(s.tenant, s.day_key, s.month_key, s.usd);
    return true;
  }
  // Per (route, backend), summed over tenants, for hour buckets starting at or
  // after the hour that contains `since`.
  using UsageRow = cost::UsageRow;  // route, backend, input, output, cached, requests, cost_usd, peak_tokens_per_hour
  virtual std::vector<UsageRow> usage_since(std::chrono::system_clock::time_point since) = 0;
  // Shadow judgements, added per (route, backend, hour) — Accounting's flush
  // writes them in one transaction or round trip; false: not written (the
  // caller keeps them). Read back per (route, backend) from the hour that
  // contains `since`.
  virtual bool write_judgements(const std::vector<JudgementRecord>&) = 0;
  using QualityRow = cost::QualityRow;  // route, backend, judged, wins, ties, score_sum
  virtual std::vector<QualityRow> judgements_since(std::chrono::system_clock::time_point since) = 0;
  // Responses API conversations (POST /v1/responses with store): one JSON
  // text per (tenant, response id), gone after expires_at. Tenant-scoped: a
  // lookup with another tenant's name finds nothing. put returns false when
  // the store failed (last_error()); delete says found (and deleted), missing
  // or failed.
  virtual bool put_response(const std::string& tenant, const std::string& id, const std::string& json,
                            std::chrono::system_clock::time_point expires_at) = 0;
  virtual ResponseLookup get_response(const std::string& tenant, const std::string& id) = 0;
  virtual ResponseLookup::Status delete_response(const std::string& tenant, const std::string& id) = 0;
  // Last storage error ("" if none).
  virtual std::string last_error() const = 0;
  virtual const char* kind() const = 0;   // "sqlite" | "redis" | "memory"
};

// state.store: sqlite (file at state.path, created with its directory if
// absent), redis (state.redis_url, keys under state.key_prefix) or memory.
// Returns nullptr with *error set on failure; never throws.
std::unique_ptr<StateStore> open_state_store(const config::StateConfig&, std::string* error);

// Start of the UTC hour containing t, in seconds since the epoch.
std::int64_t hour_bucket(std::chrono::system_clock::time_point t);

}  // namespace hgw::state
