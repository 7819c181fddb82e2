#include "policies/routing/WeightedState.hpp"

namespace hgw::routing {

int WeightedState::pick(const std::string& key,
                        const std::vector<std::pair<std::string, std::uint32_t>>& candidates) {
  if (candidates.empty()) return -1;
  std::lock_guard lock(mu_);
  auto& cur = current_[key];
  std::int64_t total = 0;
  int best = -1;
  std::int64_t best_w = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& [name, weight] = candidates[i];
    auto& c = cur[name];
    c += weight;
    total += weight;
    if (best < 0 || c > best_w) {
      best = static_cast<int>(i);
      best_w = c;
    }
  }
  cur[candidates[best].first] -= total;
  return best;
}

void WeightedState::reset() {
  std::lock_guard lock(mu_);
  current_.clear();
}

}  // namespace hgw::routing
