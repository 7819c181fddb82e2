#include "gateway/eval/Statistics.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>

namespace hgw::eval {

double mean(const std::vector<double>& xs) {
  if (xs.empty()) return kUndefined;
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

double t_critical(std::size_t df, double level) {
  if (df == 0 || !(level > 0 && level < 1)) return kUndefined;
  boost::math::students_t dist(static_cast<double>(df));
  return boost::math::quantile(dist, 1.0 - (1.0 - level) / 2.0);
}

MeanCi mean_ci(const std::vector<double>& xs, double level) {
  MeanCi r;
  r.n = xs.size();
  if (xs.empty()) return r;
  r.mean = mean(xs);
  if (xs.size() < 2) return r;
  double ss = 0;
  for (double x : xs) ss += (x - r.mean) * (x - r.mean);
  const double n = static_cast<double>(xs.size());
  r.stdev = std::sqrt(ss / (n - 1));
  const double half = t_critical(xs.size() - 1, level) * r.stdev / std::sqrt(n);
  r.low = r.mean - half;
  r.high = r.mean + half;
  return r;
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty() || !(p > 0 && p <= 100)) return kUndefined;
  std::sort(xs.begin(), xs.end());
  // p/100 · n can land a hair above an integer in floating point (0.29 · 100):
  // round to 1e-9 before taking the ceiling.
  const double exact = p / 100.0 * static_cast<double>(xs.size());
  auto rank = static_cast<std::size_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, xs.size());
  return xs[rank - 1];
}

double WinTally::rate() const {
  const auto n = comparisons();
  if (n == 0) return kUndefined;
  return (static_cast<double>(wins) + 0.5 * static_cast<double>(ties)) / static_cast<double>(n);
}

}  // namespace hgw::eval
