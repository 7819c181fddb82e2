// The table printed at the end of `hybridgw eval`: one row per candidate
// (overall), then one block per tag.
#pragma once

#include "gateway/eval/Summary.hpp"

#include <string>

namespace hgw::eval {

std::string terminal_table(const Summary&);

}  // namespace hgw::eval
