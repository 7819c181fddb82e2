// Budget reservations (pure arithmetic, thread-safe): before dispatch a request
// reserves its estimated cost; the budget check counts what is settled plus
// what is reserved, so that concurrent requests cannot all pass on the same
// remaining dollars; after the answer the reservation is released and the
// actual cost settled. This is the in-process ledger (one replica, and any
// replica while its shared store is unreachable); the Redis store runs the
// same arithmetic in one Lua script (gateway/state/RedisQuota).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "policies/TupleKeyMap.hpp"
#include "policies/cost/Budget.hpp"

namespace hgw::cost {

class BudgetLedger {
 public:
  struct Reserved {
    BudgetStatus status;          // exhausted: nothing was reserved
    std::uint64_t reservation = 0;
    // What was reserved in each window before this request.
    double in_flight_today = 0, in_flight_month = 0;
  };
  // Checks spent + reserved + estimate against the tenant's limits in both
  // windows and, when it fits, reserves the estimate in both.
  Reserved reserve(const config::TenantConfig& tenant, const std::string& day_key, const std::string& month_key,
                   double spent_today, double spent_month, double estimate, std::chrono::system_clock::time_point now);
  // Gives a reservation back (when its request settles or gives up).
  void release(std::uint64_t reservation);
  double reserved(const std::string& tenant, const std::string& window_key) const;
  std::size_t open_reservations() const;

 private:
  struct Entry {
    std::string tenant, day_key, month_key;
    double amount = 0;
  };
  double reserved_locked(const std::string& tenant, const std::string& window_key) const;  // under mutex_

  mutable std::mutex mutex_;
  TupleKeyMap<std::tuple<std::string, std::string>, double> reserved_;  // (tenant, window) → usd
  // A tree, not a flat map: its keys only grow, and Boost 1.81's flat map
  // rehashes again and again under such insert/erase cycles.
  std::map<std::uint64_t, Entry> open_;
  std::uint64_t next_ = 1;
};

}  // namespace hgw::cost
