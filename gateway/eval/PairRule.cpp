#include "gateway/eval/PairRule.hpp"

namespace hgw::eval {

PairOutcome combine_orders(Position a_first, Position b_first) {
  // In candidate terms: "first" means A in the first order and B in the second.
  if (a_first == Position::first && b_first == Position::second) return PairOutcome::a_wins;
  if (a_first == Position::second && b_first == Position::first) return PairOutcome::b_wins;
  return PairOutcome::tie;
}

const char* to_string(PairOutcome o) {
  switch (o) {
    case PairOutcome::a_wins: return "a";
    case PairOutcome::b_wins: return "b";
    case PairOutcome::tie: return "tie";
  }
  return "tie";
}

}  // namespace hgw::eval
