// How two pairwise verdicts on the same pair — one with A shown first, one
// with B shown first — become one outcome, so that a judge's position bias
// cancels out: a pair counts as a win only when both orders pick the same
// answer; any disagreement, or a tie in either order, is a tie.
#pragma once

#include "gateway/eval/JudgePrompt.hpp"

namespace hgw::eval {

enum class PairOutcome { a_wins, b_wins, tie };

// a_first: the verdict when A was shown first; b_first: when B was.
PairOutcome combine_orders(Position a_first, Position b_first);

const char* to_string(PairOutcome);

}  // namespace hgw::eval
