// report.html: one self-contained page — inline CSS, SVG charts drawn here
// (mean score with its 95% interval against cost per 1,000 cases; the score
// distribution of each candidate), the tables of summary.json. No script, no
// external reference of any kind: it opens offline and sends nothing.
#pragma once

#include "gateway/eval/Summary.hpp"

#include <string>

namespace hgw::eval {

std::string html_report(const Summary&);

// HTML text escaping (& < > " ').
std::string html_escape(std::string_view text);

}  // namespace hgw::eval
