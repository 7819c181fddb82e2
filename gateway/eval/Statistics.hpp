// The numbers of an eval report, as pure functions. Undefined values (the mean
// of nothing, an interval from one sample) are NaN, written as null / "—".
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

namespace hgw::eval {

inline constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

double mean(const std::vector<double>& xs);

// Mean with a two-sided confidence interval from Student's t distribution:
// mean ± t(1 − (1 − level)/2, n − 1) · s / √n, with s the sample standard
// deviation (n − 1 in the denominator). n ≥ 2 for an interval; with one
// sample low/high are undefined; with zero spread the interval is the mean.
struct MeanCi {
  std::size_t n = 0;
  double mean = kUndefined;
  double stdev = kUndefined;
  double low = kUndefined;
  double high = kUndefined;
};
MeanCi mean_ci(const std::vector<double>& xs, double level = 0.95);

// The two-sided critical value of Student's t (e.g. 12.706 for df 1 at 95%).
double t_critical(std::size_t degrees_of_freedom, double level = 0.95);

// Nearest-rank percentile: the smallest value such that at least p% of the
// values are ≤ it (sorted[ceil(p/100 · n) − 1]); p in (0, 100]. NaN if empty.
double percentile(std::vector<double> xs, double p);

// A candidate's pairwise record. Win rate counts a tie as half a win:
// (wins + ties/2) / comparisons.
struct WinTally {
  std::size_t wins = 0, ties = 0, losses = 0;
  std::size_t comparisons() const { return wins + ties + losses; }
  double rate() const;
};

}  // namespace hgw::eval
