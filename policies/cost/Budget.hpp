// Tenant budgets over UTC day and month windows (pure: spend and the clock are
// passed in; the spend itself lives in the state store).
#pragma once

#include <chrono>
#include <string>

#include "gateway/config/Config.hpp"

namespace hgw::cost {

struct BudgetStatus {
  bool exhausted = false;
  std::string window;   // "daily" | "monthly" (the one that blocks; empty when not exhausted)
  double spent = 0, limit = 0;
  std::chrono::system_clock::time_point resets_at{};
  std::string message() const;   // e.g. "daily budget exhausted: spent $50.00 of $50.00; resets at 2026-12-01T00:00:00Z"
};

// Exhausted when spent + estimated_cost > limit in a window. When both windows
// are exhausted, the monthly one is reported (it resets later, and the request
// cannot pass before it does).
BudgetStatus check_budget(const config::BudgetConfig&, double spent_today, double spent_month,
                          double estimated_cost, std::chrono::system_clock::time_point now);

std::string day_key(std::chrono::system_clock::time_point);     // "2026-11-30" (UTC)
std::string month_key(std::chrono::system_clock::time_point);   // "2026-11" (UTC)
std::chrono::system_clock::time_point next_day_start(std::chrono::system_clock::time_point);    // next UTC midnight
std::chrono::system_clock::time_point next_month_start(std::chrono::system_clock::time_point);  // 1st of next month, 00:00 UTC
std::string iso8601(std::chrono::system_clock::time_point);     // "2026-12-01T00:00:00Z"
// Whole seconds from now until t (at least 1), for Retry-After.
std::uint32_t seconds_until(std::chrono::system_clock::time_point t, std::chrono::system_clock::time_point now);

}  // namespace hgw::cost
