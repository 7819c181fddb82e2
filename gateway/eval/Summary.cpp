#include "gateway/eval/Summary.hpp"

#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace hgw::eval {
namespace {

using AnswerKey = std::tuple<std::string, std::string, int>;  // case, candidate, rep

struct Index {
  std::map<AnswerKey, const AnswerRecord*> answers;
  std::vector<const PairRecord*> pairs;  // current ones only
};

Index index(const std::vector<EvalCase>& cases, int repeat, const std::vector<AnswerRecord>& answers,
            const std::vector<PairRecord>& pairs) {
  std::map<std::string, const EvalCase*> by_id;
  for (const auto& c : cases) by_id[c.id] = &c;
  auto current = [&](const std::string& id, const std::string& fingerprint, int rep) {
    auto it = by_id.find(id);
    return it != by_id.end() && it->second->fingerprint == fingerprint && rep < repeat;
  };
  Index ix;
  for (const auto& a : answers)
    if (current(a.case_id, a.fingerprint, a.rep)) ix.answers[{a.case_id, a.candidate, a.rep}] = &a;
  for (const auto& p : pairs)
    if (current(p.case_id, p.fingerprint, p.rep)) ix.pairs.push_back(&p);
  return ix;
}

std::string format_score(double x) {
  std::ostringstream s;
  s.precision(x == static_cast<int>(x) ? 0 : 2);
  s << std::fixed << x;
  return s.str();
}

CandidateSummary candidate_summary(const std::string& name, const std::vector<const EvalCase*>& scope, int repeat,
                                   const Index& ix) {
  CandidateSummary s;
  s.candidate = name;
  std::vector<double> case_means, latencies, tin, tout;
  std::set<std::string> in_scope;
  for (const auto* c : scope) {
    in_scope.insert(c->id);
    std::vector<double> scores;
    for (int rep = 0; rep < repeat; ++rep) {
      ++s.units;
      auto it = ix.answers.find({c->id, name, rep});
      if (it == ix.answers.end()) continue;
      const auto& a = *it->second;
      ++s.answered;
      switch (a.status) {
        case AnswerStatus::ok:
          ++s.ok;
          latencies.push_back(a.latency_ms);
          tin.push_back(static_cast<double>(a.tokens_in));
          tout.push_back(static_cast<double>(a.tokens_out));
          s.tokens_in += a.tokens_in;
          s.tokens_out += a.tokens_out;
          s.cost_usd += a.cost_usd;
          break;
        case AnswerStatus::failed: ++s.failed; break;
        case AnswerStatus::skipped: ++s.skipped; break;
      }
      switch (a.judge) {
        case JudgeStatus::scored:
          ++s.scored;
          scores.push_back(*a.score);
          ++s.histogram[static_cast<std::size_t>(*a.score - 1)];
          break;
        case JudgeStatus::unscored: ++s.unscored; break;
        case JudgeStatus::skipped: ++s.judge_skipped; break;
        case JudgeStatus::none: break;
      }
    }
    if (!scores.empty()) case_means.push_back(mean(scores));
  }
  s.score = mean_ci(case_means);
  s.latency_p50_ms = percentile(latencies, 50);
  s.latency_p99_ms = percentile(latencies, 99);
  s.tokens_in_mean = mean(tin);
  s.tokens_out_mean = mean(tout);
  if (s.ok > 0) {
    s.cost_per_case_usd = s.cost_usd / static_cast<double>(s.ok);
    s.cost_per_1000_usd = s.cost_per_case_usd * 1000.0;
  }
  for (const auto* p : ix.pairs) {
    if (p->status != PairStatus::compared || !in_scope.count(p->case_id)) continue;
    if (p->a != name && p->b != name) continue;
    const bool is_a = p->a == name;
    if (p->outcome == "tie") ++s.pairwise.ties;
    else if ((p->outcome == "a") == is_a) ++s.pairwise.wins;
    else ++s.pairwise.losses;
  }
  return s;
}

ScopeSummary scope_summary(std::string scope, const std::vector<const EvalCase*>& cases,
                           const std::vector<std::string>& candidates, int repeat, const Index& ix) {
  ScopeSummary s;
  s.scope = std::move(scope);
  s.cases = cases.size();
  for (const auto& name : candidates) s.candidates.push_back(candidate_summary(name, cases, repeat, ix));
  return s;
}

}  // namespace

Summary summarize(const std::vector<EvalCase>& cases, const std::vector<std::string>& candidates, int repeat,
                  const std::string& judge, const std::vector<AnswerRecord>& answers,
                  const std::vector<PairRecord>& pairs) {
  Summary out;
  out.cases = cases.size();
  out.repeat = repeat;
  out.judge = judge;
  out.candidates = candidates;
  const Index ix = index(cases, repeat, answers, pairs);
  std::set<std::string> chosen(candidates.begin(), candidates.end());

  std::vector<const EvalCase*> all;
  std::map<std::string, std::vector<const EvalCase*>> by_tag;
  for (const auto& c : cases) {
    all.push_back(&c);
    for (const auto& t : c.tags) by_tag[t].push_back(&c);
  }
  out.overall = scope_summary("all", all, candidates, repeat, ix);
  for (const auto& [tag, list] : by_tag) out.tags.push_back(scope_summary(tag, list, candidates, repeat, ix));

  std::map<std::pair<std::string, std::string>, PairSummary> cells;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    for (std::size_t j = i + 1; j < candidates.size(); ++j) {
      auto a = candidates[i], b = candidates[j];
      if (b < a) std::swap(a, b);
      cells[{a, b}] = PairSummary{a, b};
    }
  for (const auto* p : ix.pairs) {
    auto it = cells.find({p->a, p->b});
    if (it == cells.end()) continue;  // a candidate not in this run
    auto& cell = it->second;
    if (p->status == PairStatus::skipped) ++cell.skipped;
    else if (p->status == PairStatus::unscored) ++cell.unscored;
    else if (p->outcome == "a") ++cell.a_wins;
    else if (p->outcome == "b") ++cell.b_wins;
    else ++cell.ties;
    out.judge_calls += static_cast<std::size_t>(p->judge_attempts);
    out.judge_cost_usd += p->judge_cost_usd;
  }
  for (auto& [_, cell] : cells) out.pairs.push_back(cell);
  for (const auto& [key, a] : ix.answers) {
    if (!chosen.count(std::get<1>(key))) continue;
    out.judge_calls += static_cast<std::size_t>(a->judge_attempts);
    out.judge_cost_usd += a->judge_cost_usd;
  }

  for (const auto& c : cases) {
    CaseRow row{c.id, c.tags, {}};
    for (const auto& name : candidates) {
      std::vector<double> scores;
      std::string status = "pending";
      for (int rep = 0; rep < repeat; ++rep) {
        auto it = ix.answers.find({c.id, name, rep});
        if (it == ix.answers.end()) continue;
        const auto& a = *it->second;
        if (a.score) scores.push_back(*a.score);
        else if (a.status != AnswerStatus::ok) status = to_string(a.status);
        else status = a.judge == JudgeStatus::skipped ? "judge skipped" : "unscored";
      }
      row.cells.push_back(scores.empty() ? status : format_score(mean(scores)));
    }
    out.case_rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace hgw::eval
