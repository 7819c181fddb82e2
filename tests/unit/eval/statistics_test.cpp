// The statistics of eval reports: pure functions checked against values
// worked out by hand (and Student's t tables).
#include <catch2/catch.hpp>

#include "gateway/eval/PairRule.hpp"
#include "gateway/eval/Statistics.hpp"

#include <cmath>

using namespace hgw::eval;
using Catch::Detail::Approx;

TEST_CASE("t critical values match the tables", "[eval][stats]") {
  CHECK(t_critical(1) == Approx(12.7062).epsilon(1e-5));
  CHECK(t_critical(3) == Approx(3.18245).epsilon(1e-5));
  CHECK(t_critical(10) == Approx(2.22814).epsilon(1e-5));
  CHECK(t_critical(30) == Approx(2.04227).epsilon(1e-5));
  CHECK(t_critical(10, 0.99) == Approx(3.16927).epsilon(1e-5));
  CHECK(std::isnan(t_critical(0)));
}

TEST_CASE("mean with a Student's t interval", "[eval][stats]") {
  // 6, 7, 8, 9: mean 7.5, s = sqrt(5/3), half width = t(3) · s / 2.
  auto m = mean_ci({6, 7, 8, 9});
  CHECK(m.n == 4);
  CHECK(m.mean == Approx(7.5));
  CHECK(m.stdev == Approx(std::sqrt(5.0 / 3.0)));
  const double half = 3.18244630528 * std::sqrt(5.0 / 3.0) / 2.0;
  CHECK(m.low == Approx(7.5 - half));
  CHECK(m.high == Approx(7.5 + half));

  auto same = mean_ci({5, 5, 5});
  CHECK(same.mean == 5);
  CHECK(same.low == 5);
  CHECK(same.high == 5);

  auto one = mean_ci({8});
  CHECK(one.mean == 8);
  CHECK(std::isnan(one.low));
  CHECK(std::isnan(one.stdev));

  auto none = mean_ci({});
  CHECK(none.n == 0);
  CHECK(std::isnan(none.mean));
  CHECK(std::isnan(mean({})));
}

TEST_CASE("nearest-rank percentiles", "[eval][stats]") {
  CHECK(percentile({4, 1, 3, 2}, 50) == 2);  // ceil(0.5 · 4) = 2nd smallest
  CHECK(percentile({1, 2, 3, 4, 5}, 50) == 3);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(percentile(hundred, 99) == 99);
  CHECK(percentile(hundred, 29) == 29);  // 0.29 · 100 is 28.999… in floating point
  CHECK(percentile({10, 20, 30}, 99) == 30);
  CHECK(percentile({7}, 50) == 7);
  CHECK(std::isnan(percentile({}, 50)));
  CHECK(std::isnan(percentile({1, 2}, 0)));
}

TEST_CASE("win rate counts a tie as half a win", "[eval][stats]") {
  WinTally t;
  CHECK(std::isnan(t.rate()));
  t.wins = 3;
  t.ties = 2;
  t.losses = 5;
  CHECK(t.comparisons() == 10);
  CHECK(t.rate() == Approx(0.4));
}

TEST_CASE("a pair is a win only when both orders agree", "[eval][stats]") {
  using P = Position;
  CHECK(combine_orders(P::first, P::second) == PairOutcome::a_wins);   // A first: A; B first: A
  CHECK(combine_orders(P::second, P::first) == PairOutcome::b_wins);   // both pick B
  CHECK(combine_orders(P::first, P::first) == PairOutcome::tie);       // position bias: always the first
  CHECK(combine_orders(P::second, P::second) == PairOutcome::tie);     // always the second
  CHECK(combine_orders(P::tie, P::second) == PairOutcome::tie);
  CHECK(combine_orders(P::first, P::tie) == PairOutcome::tie);
  CHECK(combine_orders(P::tie, P::tie) == PairOutcome::tie);
}
