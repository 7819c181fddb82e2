// The break-even report (GET /admin/cost-report, `hybridgw cost-report`):
// pure, built from aggregated usage rows read from the state store.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/config/Config.hpp"

namespace hgw::cost {

// Observed usage of one (route, backend) over a window, summed over tenants.
// peak_tokens_per_hour: the largest (input + output) tokens seen in one hour bucket.
struct UsageRow {
  std::string route, backend;
  std::uint64_t input = 0, output = 0, cached = 0, requests = 0;
  double cost_usd = 0;
  double peak_tokens_per_hour = 0;
};

// Shadow judgements of one (route, backend) over a window, summed: how many
// of its answers the judge compared with the other side's (route shadow vs the
// backend that really answered), the sum of their scores, and the pairwise
// record (both orders agree: a win; otherwise a tie — gateway/eval/PairRule).
struct QualityRow {
  std::string route, backend;
  std::uint64_t judged = 0, wins = 0, ties = 0;
  double score_sum = 0;
};

// Windows: day = 1 day, week = 7 days, month = 30 days (the rows must cover
// exactly that span ending at now). JSON shape:
// { "generated_at", "windows": { "day"|"week"|"month": { "days", "routes": [
//   { "route", "requests", "tokens", "spend_usd", "tokens_per_day",
//     "backends": [ { "backend", "locality", "requests", "input_tokens",
//        "output_tokens", "cached_tokens", "tokens", "spend_usd",
//        "tokens_per_day", "peak_tokens_per_second",
//        "same_tokens_elsewhere": [ { "backend", "locality", "basis", "cost_usd" } ],
//        "utilisation" (local with hardware cost), "gpus_needed_for_peak" (local),
//        "quality": { "judged", "mean_judge_score", "win_rate", "wins", "ties",
//           "losses" } (shadow judgements; mean and rate null when none;
//           win_rate = (wins + ties/2) / judged, as hybridgw eval's),
//        "break_even": [ { "remote", "local", "break_even_tokens_per_day",
//           "never_cheaper", "local_cheaper_at_observed", "utilisation",
//           "gpus_needed_for_peak", "note" } ] } ],
//     "break_even": [ ...same shape, for the whole route's volume... ] } ] } } }
// A route's backends are its targets, its shadow and whatever the rows name.
boost::json::object cost_report(const config::Config&, const std::vector<UsageRow>& day,
                                const std::vector<UsageRow>& week, const std::vector<UsageRow>& month,
                                std::chrono::system_clock::time_point now,
                                const std::vector<QualityRow>& quality_day = {},
                                const std::vector<QualityRow>& quality_week = {},
                                const std::vector<QualityRow>& quality_month = {});

// A readable table of the same report (for the CLI).
std::string cost_report_table(const boost::json::object&);

}  // namespace hgw::cost
