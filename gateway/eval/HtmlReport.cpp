#include "gateway/eval/HtmlReport.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace hgw::eval {
namespace {

constexpr const char* kPalette[] = {"#2b6cb0", "#c05621", "#2f855a", "#6b46c1",
                                    "#b83280", "#2c7a7b", "#975a16", "#4a5568"};

const char* color(std::size_t i) { return kPalette[i % (sizeof kPalette / sizeof *kPalette)]; }

std::string fmt(double x, int decimals) {
  if (!std::isfinite(x)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string usd(double x) {
  if (!std::isfinite(x)) return "—";
  return "$" + fmt(x, x != 0 && std::fabs(x) < 0.01 ? 6 : 2);
}

std::string ms(double x) { return fmt(x, std::isfinite(x) && x < 10 ? 1 : 0); }

std::string pct(double x) { return std::isfinite(x) ? fmt(x * 100, 0) + "%" : "—"; }

std::string score_text(const MeanCi& m) {
  if (!std::isfinite(m.mean)) return "—";
  std::string s = fmt(m.mean, 2);
  if (std::isfinite(m.low)) s += " <span class=\"ci\">[" + fmt(m.low, 2) + ", " + fmt(m.high, 2) + "]</span>";
  return s;
}

// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
double nice_ceiling(double x) {
  if (!(x > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= x * 1.0000001) return m * p;
  return 10 * p;
}

std::string candidate_table(const ScopeSummary& s) {
  std::string h =
      "<table><thead><tr><th>candidate</th><th>mean score [95% CI]</th><th>win rate</th><th>W–T–L</th>"
      "<th>latency p50 / p99</th><th>tokens in / out</th><th>cost per case</th><th>per 1,000 cases</th>"
      "<th>ok</th><th>failed</th><th>skipped</th><th>unscored</th></tr></thead><tbody>";
  std::size_t i = 0;
  for (const auto& c : s.candidates) {
    h += "<tr><td><span class=\"swatch\" style=\"background:" + std::string(color(i++)) + "\"></span>" +
         html_escape(c.candidate) + "</td><td>" + score_text(c.score) + "</td><td>" + pct(c.pairwise.rate()) +
         "</td><td>" + std::to_string(c.pairwise.wins) + "–" + std::to_string(c.pairwise.ties) + "–" +
         std::to_string(c.pairwise.losses) + "</td><td>" + ms(c.latency_p50_ms) + " / " +
         ms(c.latency_p99_ms) + " ms</td><td>" + fmt(c.tokens_in_mean, 0) + " / " + fmt(c.tokens_out_mean, 0) +
         "</td><td>" + usd(c.cost_per_case_usd) + "</td><td>" + usd(c.cost_per_1000_usd) + "</td><td>" +
         std::to_string(c.ok) + "/" + std::to_string(c.units) + "</td><td>" + std::to_string(c.failed) +
         "</td><td>" + std::to_string(c.skipped) + "</td><td>" + std::to_string(c.unscored + c.judge_skipped) +
         "</td></tr>";
  }
  return h + "</tbody></table>";
}

// Mean score (with its interval as an error bar) against cost per 1,000 cases.
std::string score_cost_chart(const ScopeSummary& s) {
  const double W = 640, H = 360, left = 56, right = 150, top = 16, bottom = 44;
  const double pw = W - left - right, ph = H - top - bottom;
  double max_cost = 0;
  for (const auto& c : s.candidates)
    if (std::isfinite(c.cost_per_1000_usd)) max_cost = std::max(max_cost, c.cost_per_1000_usd);
  const double xmax = nice_ceiling(max_cost);
  auto x = [&](double v) { return left + v / xmax * pw; };
  auto y = [&](double score) { return top + (10.0 - std::clamp(score, 1.0, 10.0)) / 9.0 * ph; };
  std::string g = "<svg class=\"chart\" id=\"score-cost\" viewBox=\"0 0 640 360\" width=\"640\" height=\"360\" "
                  "role=\"img\" aria-label=\"mean score against cost per 1,000 cases\">";
  for (int sc = 1; sc <= 10; ++sc) {
    g += "<line class=\"grid\" x1=\"" + fmt(left, 1) + "\" x2=\"" + fmt(left + pw, 1) + "\" y1=\"" + fmt(y(sc), 1) +
         "\" y2=\"" + fmt(y(sc), 1) + "\"/>";
    g += "<text class=\"tick\" x=\"" + fmt(left - 8, 1) + "\" y=\"" + fmt(y(sc) + 4, 1) +
         "\" text-anchor=\"end\">" + std::to_string(sc) + "</text>";
  }
  for (int k = 0; k <= 5; ++k) {  // fifths of 1, 2 or 5 × 10^n are round numbers
    const double v = xmax * k / 5;
    g += "<text class=\"tick\" x=\"" + fmt(x(v), 1) + "\" y=\"" + fmt(top + ph + 18, 1) +
         "\" text-anchor=\"middle\">" + html_escape(usd(v)) + "</text>";
  }
  g += "<line class=\"axis\" x1=\"" + fmt(left, 1) + "\" x2=\"" + fmt(left + pw, 1) + "\" y1=\"" + fmt(top + ph, 1) +
       "\" y2=\"" + fmt(top + ph, 1) + "\"/>";
  g += "<line class=\"axis\" x1=\"" + fmt(left, 1) + "\" x2=\"" + fmt(left, 1) + "\" y1=\"" + fmt(top, 1) +
       "\" y2=\"" + fmt(top + ph, 1) + "\"/>";
  g += "<text class=\"label\" x=\"" + fmt(left + pw / 2, 1) + "\" y=\"" + fmt(H - 6, 1) +
       "\" text-anchor=\"middle\">cost per 1,000 cases (USD)</text>";
  g += "<text class=\"label\" transform=\"translate(14 " + fmt(top + ph / 2, 1) +
       ") rotate(-90)\" text-anchor=\"middle\">mean score</text>";
  std::vector<double> label_ys;
  for (std::size_t i = 0; i < s.candidates.size(); ++i) {
    const auto& c = s.candidates[i];
    if (!std::isfinite(c.score.mean) || !std::isfinite(c.cost_per_1000_usd)) continue;
    const double px = x(c.cost_per_1000_usd), py = y(c.score.mean);
    if (std::isfinite(c.score.low))
      g += "<line class=\"ci\" stroke=\"" + std::string(color(i)) + "\" x1=\"" + fmt(px, 1) + "\" x2=\"" +
           fmt(px, 1) + "\" y1=\"" + fmt(y(c.score.low), 1) + "\" y2=\"" + fmt(y(c.score.high), 1) + "\"/>";
    g += "<circle class=\"point\" data-candidate=\"" + html_escape(c.candidate) + "\" cx=\"" + fmt(px, 1) +
         "\" cy=\"" + fmt(py, 1) + "\" r=\"6\" fill=\"" + color(i) + "\"><title>" + html_escape(c.candidate) +
         ": " + fmt(c.score.mean, 2) + " at " + html_escape(usd(c.cost_per_1000_usd)) + " per 1,000</title></circle>";
    // Candidates at the same place (e.g. two local ones at cost 0) get stacked labels.
    double ly = py + 4;
    for (bool moved = true; moved;) {
      moved = false;
      for (double used : label_ys)
        if (std::fabs(used - ly) < 14) ly = used + 14, moved = true;
    }
    label_ys.push_back(ly);
    g += "<text class=\"name\" x=\"" + fmt(px + 10, 1) + "\" y=\"" + fmt(ly, 1) + "\">" + html_escape(c.candidate) +
         "</text>";
  }
  return g + "</svg>";
}

// Scored answers per score (1..10), one bar per candidate in each group.
std::string distribution_chart(const ScopeSummary& s) {
  const double W = 640, H = 300, left = 48, right = 16, top = 16, bottom = 60;
  const double pw = W - left - right, ph = H - top - bottom;
  std::size_t most = 1;
  for (const auto& c : s.candidates)
    for (auto n : c.histogram) most = std::max(most, n);
  // Counts are whole numbers: four whole steps up to at least the largest.
  const std::size_t step = (most + 3) / 4, max_count = step * 4;
  const double group = pw / 10, n = static_cast<double>(std::max<std::size_t>(1, s.candidates.size()));
  const double bar = (group - 6) / n;
  std::string g = "<svg class=\"chart\" id=\"score-distribution\" viewBox=\"0 0 640 300\" width=\"640\" "
                  "height=\"300\" role=\"img\" aria-label=\"score distribution per candidate\">";
  for (std::size_t k = 0; k <= 4; ++k) {
    const double v = static_cast<double>(step * k), yy = top + ph - v / static_cast<double>(max_count) * ph;
    g += "<line class=\"grid\" x1=\"" + fmt(left, 1) + "\" x2=\"" + fmt(left + pw, 1) + "\" y1=\"" + fmt(yy, 1) +
         "\" y2=\"" + fmt(yy, 1) + "\"/><text class=\"tick\" x=\"" + fmt(left - 6, 1) + "\" y=\"" + fmt(yy + 4, 1) +
         "\" text-anchor=\"end\">" + fmt(v, 0) + "</text>";
  }
  for (int sc = 1; sc <= 10; ++sc) {
    const double gx = left + (sc - 1) * group + 3;
    for (std::size_t i = 0; i < s.candidates.size(); ++i) {
      const auto count = s.candidates[i].histogram[static_cast<std::size_t>(sc - 1)];
      const double h = static_cast<double>(count) / static_cast<double>(max_count) * ph;
      g += "<rect class=\"bar\" data-candidate=\"" + html_escape(s.candidates[i].candidate) + "\" data-score=\"" +
           std::to_string(sc) + "\" data-count=\"" + std::to_string(count) + "\" x=\"" +
           fmt(gx + static_cast<double>(i) * bar, 1) + "\" y=\"" + fmt(top + ph - h, 1) + "\" width=\"" +
           fmt(std::max(1.0, bar - 1), 1) + "\" height=\"" + fmt(h, 1) + "\" fill=\"" + color(i) + "\"><title>" +
           html_escape(s.candidates[i].candidate) + ": " + std::to_string(count) + " answer(s) scored " +
           std::to_string(sc) + "</title></rect>";
    }
    g += "<text class=\"tick\" x=\"" + fmt(gx + (group - 6) / 2, 1) + "\" y=\"" + fmt(top + ph + 16, 1) +
         "\" text-anchor=\"middle\">" + std::to_string(sc) + "</text>";
  }
  g += "<line class=\"axis\" x1=\"" + fmt(left, 1) + "\" x2=\"" + fmt(left + pw, 1) + "\" y1=\"" + fmt(top + ph, 1) +
       "\" y2=\"" + fmt(top + ph, 1) + "\"/>";
  double lx = left;
  for (std::size_t i = 0; i < s.candidates.size(); ++i) {
    g += "<rect x=\"" + fmt(lx, 1) + "\" y=\"" + fmt(H - 22, 1) + "\" width=\"10\" height=\"10\" fill=\"" +
         color(i) + "\"/><text class=\"name\" x=\"" + fmt(lx + 14, 1) + "\" y=\"" + fmt(H - 13, 1) + "\">" +
         html_escape(s.candidates[i].candidate) + "</text>";
    lx += 24 + 7.0 * static_cast<double>(s.candidates[i].candidate.size());
  }
  g += "<text class=\"label\" x=\"" + fmt(left + pw / 2, 1) + "\" y=\"" + fmt(top + ph + 34, 1) +
       "\" text-anchor=\"middle\">score</text>";
  return g + "</svg>";
}

std::string pair_table(const Summary& s) {
  if (s.pairs.empty()) return "<p>One candidate: no pairwise comparison.</p>";
  std::string h = "<table><thead><tr><th>A</th><th>B</th><th>A wins</th><th>B wins</th><th>ties</th>"
                  "<th>unscored</th><th>skipped</th></tr></thead><tbody>";
  for (const auto& p : s.pairs)
    h += "<tr><td>" + html_escape(p.a) + "</td><td>" + html_escape(p.b) + "</td><td>" + std::to_string(p.a_wins) +
         "</td><td>" + std::to_string(p.b_wins) + "</td><td>" + std::to_string(p.ties) + "</td><td>" +
         std::to_string(p.unscored) + "</td><td>" + std::to_string(p.skipped) + "</td></tr>";
  return h + "</tbody></table>";
}

std::string case_table(const Summary& s) {
  std::string h = "<table class=\"cases\"><thead><tr><th>case</th><th>tags</th>";
  for (const auto& c : s.candidates) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr></thead><tbody>";
  for (const auto& row : s.case_rows) {
    std::string tags;
    for (const auto& t : row.tags) tags += (tags.empty() ? "" : ", ") + html_escape(t);
    h += "<tr><td>" + html_escape(row.id) + "</td><td>" + tags + "</td>";
    for (const auto& cell : row.cells) {
      const bool numeric = !cell.empty() && std::isdigit(static_cast<unsigned char>(cell[0]));
      h += std::string("<td") + (numeric ? "" : " class=\"status\"") + ">" + html_escape(cell) + "</td>";
    }
    h += "</tr>";
  }
  return h + "</tbody></table>";
}

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a202c;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
p.meta{color:#4a5568;margin:0 0 12px}p.note{color:#4a5568;font-size:13px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #e2e8f0;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f7fafc;font-weight:600}
td.status{color:#a0aec0;font-style:italic}.ci{color:#718096;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
svg.chart{display:block;margin:8px 0;background:#fff}svg .grid{stroke:#edf2f7}svg .axis{stroke:#4a5568}
svg .ci{stroke-width:2}svg text{font-size:11px;fill:#4a5568}svg .name{font-size:12px;fill:#1a202c}
svg .label{font-size:12px;fill:#2d3748}
)";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_report(const Summary& s) {
  std::string names;
  for (const auto& c : s.candidates) names += (names.empty() ? "" : ", ") + html_escape(c);
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>hybridgw eval report</title><style>";
  h += kStyle;
  h += "</style></head><body>";
  h += "<h1>Is the local model good enough?</h1>";
  h += "<p class=\"meta\">" + std::to_string(s.cases) + " cases × " + std::to_string(s.repeat) +
       " repetition(s); candidates: " + names + "; judge: " + html_escape(s.judge) + " (" +
       std::to_string(s.judge_calls) + " calls, " + html_escape(usd(s.judge_cost_usd)) + ")</p>";
  h += "<h2>Candidates</h2>" + candidate_table(s.overall);
  h += "<p class=\"note\">Mean score: each case's mean over its scored repetitions, then the mean over cases with a "
       "95% Student's t interval. Win rate: (wins + ties/2) / comparisons; a pair is a win only when the judge "
       "picks the same answer with A shown first and with B shown first, else a tie. Latency, tokens and cost: "
       "over answers that succeeded; cost from the gateway's x-hybridgw-cost-usd. Skipped: the gateway refused by "
       "policy (e.g. restricted data for a remote backend).</p>";
  h += "<h2>Score against cost</h2>" + score_cost_chart(s.overall);
  h += "<h2>Score distribution</h2>" + distribution_chart(s.overall);
  h += "<h2>Pairwise</h2>" + pair_table(s);
  for (const auto& t : s.tags)
    h += "<h2>Tag: " + html_escape(t.scope) + " (" + std::to_string(t.cases) + " cases)</h2>" + candidate_table(t);
  h += "<h2>Cases</h2>" + case_table(s);
  h += "</body></html>\n";
  return h;
}

}  // namespace hgw::eval
