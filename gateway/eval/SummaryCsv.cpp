#include "gateway/eval/SummaryCsv.hpp"

#include <cmath>
#include <cstdio>

namespace hgw::eval {
namespace {

std::string field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double x, int decimals) {
  if (!std::isfinite(x)) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

void rows(std::string& out, const std::string& scope, const ScopeSummary& s) {
  for (const auto& c : s.candidates) {
    const std::string cells[] = {
        field(scope), field(c.candidate), std::to_string(s.cases), std::to_string(c.units),
        std::to_string(c.ok), std::to_string(c.failed), std::to_string(c.skipped), std::to_string(c.scored),
        std::to_string(c.unscored), std::to_string(c.judge_skipped), number(c.score.mean, 4), number(c.score.low, 4),
        number(c.score.high, 4), number(c.pairwise.rate(), 4), std::to_string(c.pairwise.wins),
        std::to_string(c.pairwise.ties), std::to_string(c.pairwise.losses), number(c.latency_p50_ms, 1),
        number(c.latency_p99_ms, 1), number(c.tokens_in_mean, 1), number(c.tokens_out_mean, 1),
        number(c.cost_per_case_usd, 8), number(c.cost_per_1000_usd, 6)};
    std::string line;
    for (const auto& cell : cells) line += (line.empty() ? "" : ",") + cell;
    out += line + "\n";
  }
}

}  // namespace

std::string summary_csv(const Summary& s) {
  std::string out =
      "scope,candidate,cases,answers,ok,failed,skipped,scored,unscored,judge_skipped,mean_score,ci95_low,ci95_high,"
      "win_rate,wins,ties,losses,latency_p50_ms,latency_p99_ms,tokens_in_mean,tokens_out_mean,"
      "cost_per_case_usd,cost_per_1000_cases_usd\n";
  rows(out, "all", s.overall);
  for (const auto& t : s.tags) rows(out, "tag:" + t.scope, t);
  return out;
}

}  // namespace hgw::eval
