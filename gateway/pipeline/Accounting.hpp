// Where spend and usage go after a request: an in-memory view of each
// tenant's spend per window (read by budget checks on the hot path) and a
// background writer that persists usage and spend to the state store, so that
// a slow disk or a Redis round trip never stalls an io thread.
#pragma once

#include "gateway/state/StateStore.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hgw::pipeline {

class Accounting {
 public:
  explicit Accounting(std::unique_ptr<state::StateStore> store);
  ~Accounting();
  Accounting(const Accounting&) = delete;
  Accounting& operator=(const Accounting&) = delete;

  // Spend of a tenant in a window key ("2026-11-30" or "2026-11"): what the
  // store held when first asked plus what this process added since.
  double spent(const std::string& tenant, const std::string& window_key);

  // Counts the request's usage now; persists it in the background.
  void record(const state::UsageRecord& usage, const std::string& day_key,
              const std::string& month_key);

  // Blocks until everything recorded so far is in the store.
  void flush();

  state::StateStore* store() { return store_.get(); }

 private:
  void writer_loop();

  std::unique_ptr<state::StateStore> store_;
  std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::map<std::pair<std::string, std::string>, double> spend_;  // (tenant, window) → usd
  struct Pending {
    state::UsageRecord usage;
    std::string day_key, month_key;
  };
  std::deque<Pending> queue_;
  bool writing_ = false;
  bool flush_requested_ = false;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace hgw::pipeline
