// summary.csv: one row per scope (all, then tag:NAME) and candidate, for
// spreadsheets. Undefined numbers are empty cells; text is quoted per RFC 4180.
#pragma once

#include "gateway/eval/Summary.hpp"

#include <string>

namespace hgw::eval {

std::string summary_csv(const Summary&);

}  // namespace hgw::eval
