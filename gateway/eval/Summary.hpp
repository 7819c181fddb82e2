// From result records to the numbers of the report, per candidate, overall
// and per tag. Pure. Definitions (README "Is the local model good enough?"):
// - score: each case's mean over its scored repetitions, then the mean over
//   cases with a 95% Student's t interval (the case is the unit of sampling:
//   repetitions of one case are not independent samples);
// - pairwise win rate: (wins + ties/2) / comparisons, over compared pairs;
// - latency p50/p99 (nearest rank), tokens and cost: over answers that succeeded;
//   cost per case = their mean cost (x-hybridgw-cost-usd), per 1,000 cases × 1000.
#pragma once

#include "gateway/eval/CaseReader.hpp"
#include "gateway/eval/Results.hpp"
#include "gateway/eval/Statistics.hpp"

#include <array>
#include <string>
#include <vector>

namespace hgw::eval {

struct CandidateSummary {
  std::string candidate;
  std::size_t units = 0;     // answers expected: cases × repeat
  std::size_t answered = 0;  // answers recorded (ok + failed + skipped)
  std::size_t ok = 0, failed = 0, skipped = 0;
  std::size_t scored = 0, unscored = 0, judge_skipped = 0;
  MeanCi score;
  std::array<std::size_t, 10> histogram{};  // scored answers with score 1..10
  WinTally pairwise;
  double latency_p50_ms = kUndefined, latency_p99_ms = kUndefined;
  std::uint64_t tokens_in = 0, tokens_out = 0;  // totals over ok answers
  double tokens_in_mean = kUndefined, tokens_out_mean = kUndefined;
  double cost_usd = 0;  // total over ok answers
  double cost_per_case_usd = kUndefined, cost_per_1000_usd = kUndefined;
};

struct ScopeSummary {
  std::string scope;  // "all" or a tag
  std::size_t cases = 0;
  std::vector<CandidateSummary> candidates;  // in --candidates order
};

struct PairSummary {
  std::string a, b;  // a < b
  std::size_t a_wins = 0, b_wins = 0, ties = 0, unscored = 0, skipped = 0;
};

struct CaseRow {
  std::string id;
  std::vector<std::string> tags;
  std::vector<std::string> cells;  // per candidate: mean score ("7", "6.5") or the status
};

struct Summary {
  std::size_t cases = 0;
  int repeat = 1;
  std::string judge;
  std::vector<std::string> candidates;
  ScopeSummary overall;
  std::vector<ScopeSummary> tags;  // sorted by tag
  std::vector<PairSummary> pairs;  // every pair of candidates, overall
  std::size_t judge_calls = 0;
  double judge_cost_usd = 0;
  std::vector<CaseRow> case_rows;
};

Summary summarize(const std::vector<EvalCase>& cases, const std::vector<std::string>& candidates, int repeat,
                  const std::string& judge, const std::vector<AnswerRecord>& answers,
                  const std::vector<PairRecord>& pairs);

}  // namespace hgw::eval
