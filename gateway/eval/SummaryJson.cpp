#include "gateway/eval/SummaryJson.hpp"

#include <cmath>

namespace hgw::eval {
namespace json = boost::json;
namespace {

json::value number(double x) { return std::isfinite(x) ? json::value(x) : json::value(nullptr); }

json::object candidate_json(const CandidateSummary& c) {
  json::array histogram;
  for (auto n : c.histogram) histogram.push_back(n);
  return {
      {"candidate", c.candidate},
      {"answers", {{"expected", c.units}, {"recorded", c.answered}, {"ok", c.ok}, {"failed", c.failed},
                   {"skipped", c.skipped}}},
      {"judge", {{"scored", c.scored}, {"unscored", c.unscored}, {"skipped", c.judge_skipped}}},
      {"score", {{"cases", c.score.n}, {"mean", number(c.score.mean)}, {"stdev", number(c.score.stdev)},
                 {"ci95_low", number(c.score.low)}, {"ci95_high", number(c.score.high)},
                 {"method", "mean over cases of each case's mean score; 95% Student's t interval"}}},
      {"score_histogram", std::move(histogram)},
      {"pairwise", {{"wins", c.pairwise.wins}, {"ties", c.pairwise.ties}, {"losses", c.pairwise.losses},
                    {"comparisons", c.pairwise.comparisons()}, {"win_rate", number(c.pairwise.rate())}}},
      {"latency_ms", {{"p50", number(c.latency_p50_ms)}, {"p99", number(c.latency_p99_ms)}}},
      {"tokens", {{"input_total", c.tokens_in}, {"output_total", c.tokens_out},
                  {"input_mean", number(c.tokens_in_mean)}, {"output_mean", number(c.tokens_out_mean)}}},
      {"cost_usd", {{"total", c.cost_usd}, {"per_case", number(c.cost_per_case_usd)},
                    {"per_1000_cases", number(c.cost_per_1000_usd)}}},
  };
}

json::object scope_json(const ScopeSummary& s) {
  json::array candidates;
  for (const auto& c : s.candidates) candidates.push_back(candidate_json(c));
  return {{"scope", s.scope}, {"cases", s.cases}, {"candidates", std::move(candidates)}};
}

}  // namespace

json::object summary_json(const Summary& s) {
  json::array tags, pairs, cases, names;
  for (const auto& t : s.tags) tags.push_back(scope_json(t));
  for (const auto& p : s.pairs)
    pairs.push_back(json::object{{"a", p.a}, {"b", p.b}, {"a_wins", p.a_wins}, {"b_wins", p.b_wins},
                                 {"ties", p.ties}, {"unscored", p.unscored}, {"skipped", p.skipped}});
  for (const auto& n : s.candidates) names.push_back(json::value(n));
  for (const auto& row : s.case_rows) {
    json::object cells;
    for (std::size_t i = 0; i < row.cells.size() && i < s.candidates.size(); ++i) cells[s.candidates[i]] = row.cells[i];
    json::array row_tags;
    for (const auto& t : row.tags) row_tags.push_back(json::value(t));
    cases.push_back(json::object{{"id", row.id}, {"tags", std::move(row_tags)}, {"results", std::move(cells)}});
  }
  return {{"cases", s.cases},
          {"repeat", s.repeat},
          {"judge", s.judge},
          {"candidates", std::move(names)},
          {"pair_rule", "a win needs both orders (A/B and B/A) to agree; otherwise a tie; win rate = (wins + ties/2) / comparisons"},
          {"overall", scope_json(s.overall)},
          {"tags", std::move(tags)},
          {"pairs", std::move(pairs)},
          {"judge_calls", s.judge_calls},
          {"judge_cost_usd", s.judge_cost_usd},
          {"per_case", std::move(cases)}};
}

}  // namespace hgw::eval
