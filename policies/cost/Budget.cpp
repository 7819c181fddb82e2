#include "policies/cost/Budget.hpp"

#include <cmath>
#include <cstdio>

namespace hgw::cost {

using namespace std::chrono;

namespace {
year_month_day ymd_of(system_clock::time_point t) { return year_month_day{floor<days>(t)}; }

std::string money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "$%.2f", v);
  return buf;
}
}  // namespace

namespace {
// "YYYY-MM" or "YYYY-MM-DD" without printf: these keys are built for every
// request that is charged.
std::string date_key(system_clock::time_point t, bool with_day) {
  const auto ymd = ymd_of(t);
  const int year = static_cast<int>(ymd.year());
  const unsigned month = static_cast<unsigned>(ymd.month());
  const unsigned day = static_cast<unsigned>(ymd.day());
  if (year < 0 || year > 9999) return "0000-00";  // outside what a clock will read
  char buf[10] = {char('0' + year / 1000), char('0' + year / 100 % 10), char('0' + year / 10 % 10),
                  char('0' + year % 10), '-', char('0' + month / 10), char('0' + month % 10),
                  '-', char('0' + day / 10), char('0' + day % 10)};
  return std::string(buf, with_day ? 10 : 7);
}
}  // namespace

std::string day_key(system_clock::time_point t) { return date_key(t, true); }

std::string month_key(system_clock::time_point t) { return date_key(t, false); }

system_clock::time_point next_day_start(system_clock::time_point t) {
  return system_clock::time_point{floor<days>(t) + days{1}};
}

system_clock::time_point next_month_start(system_clock::time_point t) {
  const auto ymd = ymd_of(t);
  const year_month next = year_month{ymd.year(), ymd.month()} + months{1};
  return system_clock::time_point{sys_days{next / day{1}}};
}

std::string iso8601(system_clock::time_point t) {
  const auto d = floor<days>(t);
  const year_month_day ymd{d};
  const hh_mm_ss hms{floor<seconds>(t - d)};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::uint32_t seconds_until(system_clock::time_point t, system_clock::time_point now) {
  if (t <= now) return 1;
  const double s = duration<double>(t - now).count();
  return static_cast<std::uint32_t>(std::max(1.0, std::ceil(s)));
}

std::string BudgetStatus::message() const {
  if (!exhausted) return {};
  return window + " budget exhausted: spent " + money(spent) + " of " + money(limit) + "; resets at " +
         iso8601(resets_at);
}

BudgetStatus check_budget(const config::BudgetConfig& b, double spent_today, double spent_month,
                          double estimated_cost, system_clock::time_point now) {
  BudgetStatus s;
  if (b.monthly_usd && spent_month + estimated_cost > *b.monthly_usd) {
    s.exhausted = true;
    s.window = "monthly";
    s.spent = spent_month;
    s.limit = *b.monthly_usd;
    s.resets_at = next_month_start(now);
    return s;
  }
  if (b.daily_usd && spent_today + estimated_cost > *b.daily_usd) {
    s.exhausted = true;
    s.window = "daily";
    s.spent = spent_today;
    s.limit = *b.daily_usd;
    s.resets_at = next_day_start(now);
    return s;
  }
  // Not exhausted: report the tighter remaining window for information.
  if (b.daily_usd) {
    s.window = "daily";
    s.spent = spent_today;
    s.limit = *b.daily_usd;
    s.resets_at = next_day_start(now);
  } else if (b.monthly_usd) {
    s.window = "monthly";
    s.spent = spent_month;
    s.limit = *b.monthly_usd;
    s.resets_at = next_month_start(now);
  }
  return s;
}

}  // namespace hgw::cost
