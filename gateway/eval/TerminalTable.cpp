#include "gateway/eval/TerminalTable.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace hgw::eval {
namespace {

std::string fmt(double x, int decimals) {
  if (!std::isfinite(x)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

// Loopback latencies are often below a millisecond: one decimal there.
std::string ms(double x) { return fmt(x, std::isfinite(x) && x < 10 ? 1 : 0); }

std::string usd(double x) { return std::isfinite(x) ? "$" + fmt(x, x != 0 && std::fabs(x) < 0.01 ? 6 : 4) : "-"; }

std::string score(const MeanCi& m) {
  if (!std::isfinite(m.mean)) return "-";
  if (!std::isfinite(m.low)) return fmt(m.mean, 2);
  return fmt(m.mean, 2) + " [" + fmt(m.low, 2) + "," + fmt(m.high, 2) + "]";
}

void block(std::string& out, const std::string& title, const ScopeSummary& s) {
  const std::vector<std::string> head = {"candidate", "score [95% CI]", "win rate", "p50 ms", "p99 ms",
                                         "tok in/out", "$/case", "$/1k cases", "ok", "fail", "skip", "unscored"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : s.candidates)
    rows.push_back({c.candidate, score(c.score),
                    std::isfinite(c.pairwise.rate()) ? fmt(c.pairwise.rate() * 100, 0) + "%" : "-",
                    ms(c.latency_p50_ms), ms(c.latency_p99_ms),
                    fmt(c.tokens_in_mean, 0) + "/" + fmt(c.tokens_out_mean, 0), usd(c.cost_per_case_usd),
                    usd(c.cost_per_1000_usd), std::to_string(c.ok) + "/" + std::to_string(c.units),
                    std::to_string(c.failed), std::to_string(c.skipped),
                    std::to_string(c.unscored + c.judge_skipped)});
  std::vector<std::size_t> width(head.size());
  for (std::size_t k = 0; k < head.size(); ++k) {
    width[k] = head[k].size();
    for (const auto& r : rows) width[k] = std::max(width[k], r[k].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t k = 0; k < cells.size(); ++k) {
      const auto pad = std::string(width[k] - cells[k].size(), ' ');
      l += (k == 0 ? cells[k] + pad : pad + cells[k]) + (k + 1 < cells.size() ? "  " : "");
    }
    return l + "\n";
  };
  out += title + "\n" + line(head);
  for (const auto& r : rows) out += line(r);
}

}  // namespace

std::string terminal_table(const Summary& s) {
  std::string out;
  block(out, "all " + std::to_string(s.cases) + " cases (x" + std::to_string(s.repeat) + ")", s.overall);
  for (const auto& t : s.tags) {
    out += "\n";
    block(out, "tag " + t.scope + " (" + std::to_string(t.cases) + " cases)", t);
  }
  return out;
}

}  // namespace hgw::eval
