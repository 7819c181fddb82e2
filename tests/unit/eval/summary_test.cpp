// From records to the report's numbers: every figure checked against the
// arithmetic done here by hand.
#include <catch2/catch.hpp>

#include "gateway/eval/Summary.hpp"

#include <cmath>

using namespace hgw::eval;
using Catch::Detail::Approx;

namespace {

std::vector<EvalCase> three_cases() {
  auto r = parse_cases(
      R"({"id":"c1","messages":[{"role":"user","content":"one"}],"tags":["math"]})"
      "\n"
      R"({"id":"c2","messages":[{"role":"user","content":"two"}],"tags":["math","hard"]})"
      "\n"
      R"({"id":"c3","messages":[{"role":"user","content":"three"}]})"
      "\n",
      "c.jsonl");
  REQUIRE(r.ok());
  return r.cases;
}

AnswerRecord ok(const EvalCase& c, std::string cand, int rep, int score, double latency, double cost) {
  AnswerRecord a;
  a.case_id = c.id;
  a.fingerprint = c.fingerprint;
  a.candidate = std::move(cand);
  a.rep = rep;
  a.status = AnswerStatus::ok;
  a.latency_ms = latency;
  a.tokens_in = 10;
  a.tokens_out = 20 + static_cast<std::uint64_t>(rep);
  a.cost_usd = cost;
  a.judge = JudgeStatus::scored;
  a.score = score;
  a.judge_attempts = 1;
  a.judge_cost_usd = 0.001;
  return a;
}

PairRecord pair(const EvalCase& c, int rep, std::string outcome) {
  PairRecord p;
  p.case_id = c.id;
  p.fingerprint = c.fingerprint;
  p.rep = rep;
  p.a = "local";
  p.b = "remote";
  p.status = PairStatus::compared;
  p.outcome = std::move(outcome);
  p.judge_attempts = 2;
  p.judge_cost_usd = 0.002;
  return p;
}

}  // namespace

TEST_CASE("summary: scores, intervals, win rates, latency, tokens and cost", "[eval][summary]") {
  const auto cases = three_cases();
  std::vector<AnswerRecord> answers = {
      // local, two repetitions: case means 7 (6, 8), 5 (5, 5), 9 (9, 9)
      ok(cases[0], "local", 0, 6, 100, 0.0), ok(cases[0], "local", 1, 8, 120, 0.0),
      ok(cases[1], "local", 0, 5, 140, 0.0), ok(cases[1], "local", 1, 5, 160, 0.0),
      ok(cases[2], "local", 0, 9, 180, 0.0), ok(cases[2], "local", 1, 9, 200, 0.0),
      // remote: c1 answered twice (4, 6), c2 skipped by policy twice, c3 once ok but unscored, once failed
      ok(cases[0], "remote", 0, 4, 300, 0.002), ok(cases[0], "remote", 1, 6, 500, 0.004)};
  AnswerRecord skipped;
  skipped.case_id = "c2";
  skipped.fingerprint = cases[1].fingerprint;
  skipped.candidate = "remote";
  skipped.status = AnswerStatus::skipped;
  skipped.reason = "compliance_forbidden: ...";
  answers.push_back(skipped);
  skipped.rep = 1;
  answers.push_back(skipped);
  auto unscored = ok(cases[2], "remote", 0, 1, 400, 0.003);
  unscored.judge = JudgeStatus::unscored;
  unscored.score.reset();
  answers.push_back(unscored);
  AnswerRecord failed;
  failed.case_id = "c3";
  failed.fingerprint = cases[2].fingerprint;
  failed.candidate = "remote";
  failed.rep = 1;
  failed.status = AnswerStatus::failed;
  answers.push_back(failed);
  // A stale record (the case changed since) and one beyond --repeat are ignored.
  auto stale = ok(cases[2], "local", 0, 1, 1, 1);
  stale.fingerprint = "old";
  answers.push_back(stale);
  answers.push_back(ok(cases[2], "local", 2, 1, 1, 1));

  std::vector<PairRecord> pairs = {pair(cases[0], 0, "a"), pair(cases[0], 1, "tie")};

  auto s = summarize(cases, {"local", "remote"}, 2, "judge", answers, pairs);
  REQUIRE(s.overall.candidates.size() == 2);
  const auto& local = s.overall.candidates[0];
  CHECK(local.units == 6);
  CHECK(local.ok == 6);
  CHECK(local.scored == 6);
  CHECK(local.score.n == 3);
  CHECK(local.score.mean == Approx(7.0));  // (7 + 5 + 9) / 3
  // s = 2, half width = t(2) · 2 / √3 = 4.30265 · 1.1547
  CHECK(local.score.stdev == Approx(2.0));
  CHECK(local.score.low == Approx(7.0 - 4.302652730 * 2.0 / std::sqrt(3.0)));
  CHECK(local.score.high == Approx(7.0 + 4.302652730 * 2.0 / std::sqrt(3.0)));
  CHECK(local.histogram[5] == 1);  // one 6
  CHECK(local.histogram[4] == 2);  // two 5s
  CHECK(local.histogram[8] == 2);
  CHECK(local.latency_p50_ms == 140);  // nearest rank 3 of 100..200
  CHECK(local.latency_p99_ms == 200);
  CHECK(local.tokens_in_mean == Approx(10));
  CHECK(local.tokens_out_mean == Approx(20.5));
  CHECK(local.cost_per_case_usd == 0);
  CHECK(local.pairwise.wins == 1);
  CHECK(local.pairwise.ties == 1);
  CHECK(local.pairwise.rate() == Approx(0.75));

  const auto& remote = s.overall.candidates[1];
  CHECK(remote.units == 6);
  CHECK(remote.answered == 6);
  CHECK(remote.ok == 3);
  CHECK(remote.skipped == 2);
  CHECK(remote.failed == 1);
  CHECK(remote.scored == 2);
  CHECK(remote.unscored == 1);
  CHECK(remote.score.n == 1);  // only c1 has a score
  CHECK(remote.score.mean == Approx(5.0));
  CHECK(std::isnan(remote.score.low));
  CHECK(remote.cost_usd == Approx(0.009));
  CHECK(remote.cost_per_case_usd == Approx(0.003));
  CHECK(remote.cost_per_1000_usd == Approx(3.0));
  CHECK(remote.latency_p50_ms == 400);
  CHECK(remote.pairwise.losses == 1);
  CHECK(remote.pairwise.ties == 1);
  CHECK(remote.pairwise.rate() == Approx(0.25));

  REQUIRE(s.tags.size() == 2);
  CHECK(s.tags[0].scope == "hard");
  CHECK(s.tags[0].cases == 1);
  CHECK(s.tags[0].candidates[0].score.mean == Approx(5.0));
  CHECK(s.tags[0].candidates[0].pairwise.comparisons() == 0);
  CHECK(s.tags[1].scope == "math");
  CHECK(s.tags[1].candidates[0].score.mean == Approx(6.0));  // (7 + 5) / 2
  CHECK(s.tags[1].candidates[1].pairwise.rate() == Approx(0.25));

  REQUIRE(s.pairs.size() == 1);
  CHECK(s.pairs[0].a_wins == 1);
  CHECK(s.pairs[0].ties == 1);
  // 9 scored or unscored judge calls on answers (1 each) + 2 pairs × 2
  CHECK(s.judge_calls == 13);
  CHECK(s.judge_cost_usd == Approx(0.009 + 0.004));

  REQUIRE(s.case_rows.size() == 3);
  CHECK(s.case_rows[0].cells == std::vector<std::string>{"7", "5"});
  CHECK(s.case_rows[1].cells == std::vector<std::string>{"5", "skipped"});
  CHECK(s.case_rows[2].cells[1] == "failed");
}

TEST_CASE("summary: nothing recorded yet", "[eval][summary]") {
  const auto cases = three_cases();
  auto s = summarize(cases, {"local"}, 1, "j", {}, {});
  const auto& c = s.overall.candidates[0];
  CHECK(c.units == 3);
  CHECK(c.answered == 0);
  CHECK(std::isnan(c.score.mean));
  CHECK(std::isnan(c.latency_p50_ms));
  CHECK(std::isnan(c.cost_per_case_usd));
  CHECK(s.pairs.empty());
  CHECK(s.case_rows[0].cells[0] == "pending");
}
