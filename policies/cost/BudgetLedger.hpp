// Budget reservations (pure arithmetic, thread-safe): before dispatch a request
// reserves its estimated cost; the budget check counts what is settled plus
// what is reserved, so that concurrent requests cannot all pass on the same
// remaining dollars; after the answer the reservation is released and the
// actual cost settled. This is the in-process ledger (one replica, and any
// replica while its shared store is unreachable); the Redis store runs the
// same arithmetic in one Lua script (gateway/state/RedisQuota).
#pragma once

#include <boost/unordered_map.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

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
  // Gives a reservation back (when its request settles or gives up); an
  // unknown or already released one is ignored.
  void release(std::uint64_t reservation);
  double reserved(const std::string& tenant, const std::string& window_key) const;
  std::size_t open_reservations() const;
  std::size_t windows() const;  // (tenant, window) totals held: those in use, and idle ones until the next new window

 private:
  // What is reserved in one (tenant, window), and by how many open reservations.
  struct Window {
    double usd = 0;
    std::uint32_t open = 0;
  };
  // An open reservation points at its windows: releasing it needs no look-up.
  struct Slot {
    std::uint64_t id = 0;  // 0: free
    Window* day = nullptr;
    Window* month = nullptr;  // == day when the two keys are one window
    double amount = 0;
  };
  // The two windows of a reservation, made when missing (under mutex_).
  std::pair<Window*, Window*> windows_locked(const std::string& tenant, const std::string& day_key,
                                             const std::string& month_key);
  void give_back_locked(Window& w, double amount);

  mutable std::mutex mutex_;
  // Node-based, so that a slot's Window* stays valid while other windows come
  // and go. Idle windows (no open reservation) are dropped when a new window
  // is made — a new day or tenant — so the map holds about the windows in use.
  boost::unordered_map<std::tuple<std::string, std::string>, Window, TupleKeyHash, TupleKeyEqual> windows_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t serial_ = 0;  // with the slot index, makes an id that a stale release cannot match
};

}  // namespace hgw::cost
