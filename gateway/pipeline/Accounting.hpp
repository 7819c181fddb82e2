// Where spend and usage go after a request, off the hot path: each request
// adds to in-memory totals — usage per (route, backend, tenant, hour), spend
// per (tenant, day, month), shadow judgements per (route, backend, hour) — and a writer thread flushes the totals to the
// state store in one batch (one SQLite transaction) every flush interval. So
// there is no store write per request, and an io thread never waits on the
// store: budget checks read an in-memory view of each tenant's spend, loaded
// from the store before traffic (and on reload for new tenants), plus what
// this process spent since. A crash loses at most one flush interval.
#pragma once

#include "gateway/state/StateStore.hpp"
#include "policies/TupleKeyMap.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace hgw::pipeline {

class Accounting {
 public:
  // writes_spend: false when a shared quota store settles spend itself (Redis).
  explicit Accounting(std::unique_ptr<state::StateStore> store,
                      std::chrono::milliseconds flush_interval = std::chrono::milliseconds(1000),
                      bool writes_spend = true);
  ~Accounting();
  Accounting(const Accounting&) = delete;
  Accounting& operator=(const Accounting&) = delete;

  // Reads the stored spend of these tenants in these windows (not yet loaded
  // ones) on the caller's thread: at start-up and on reload, before traffic.
  void preload(const std::vector<std::string>& tenants, const std::vector<std::string>& window_keys);

  // Spend of a tenant in a window key ("2026-11-30" or "2026-11"): the stored
  // spend as preloaded plus what this process added. Never touches the store.
  double spent(const std::string& tenant, const std::string& window_key);
  // Today's and this month's, under one lock (what a budget check reads).
  std::pair<double, double> spent(const std::string& tenant, const std::string& day_key, const std::string& month_key);

  // Counts the request's usage and spend now; the store gets it with the next flush.
  void record(const state::UsageRecord& usage, const std::string& day_key, const std::string& month_key);

  // Counts one side of a shadow judgement (gateway/shadow/); flushed with the usage.
  void record_judgement(const state::JudgementRecord& judgement);

  // Blocks until everything recorded so far is in the store.
  void flush();

  state::StateStore* store() { return store_.get(); }

 private:
  void writer_loop();
  void write_pending(std::unique_lock<std::mutex>& lock);

  std::unique_ptr<state::StateStore> store_;
  std::chrono::milliseconds flush_interval_;
  bool writes_spend_;
  std::mutex mutex_;
  std::condition_variable wake_, drained_;
  TupleKeyMap<std::tuple<std::string, std::string>, double> spend_;  // (tenant, window) → usd, the view budgets read
  // Not yet in the store: usage per (route, backend, tenant, hour), spend per (tenant, day, month).
  TupleKeyMap<std::tuple<std::string, std::string, std::string, std::int64_t>, state::UsageRecord> usage_pending_;
  TupleKeyMap<std::tuple<std::string, std::string, std::string>, double> spend_pending_;
  // Shadow judgements per (route, backend, hour), not yet in the store.
  std::map<std::tuple<std::string, std::string, std::int64_t>, state::JudgementRecord> judgements_pending_;
  std::uint64_t recorded_ = 0, written_ = 0;  // records counted / flushed
  bool flush_requested_ = false;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace hgw::pipeline
