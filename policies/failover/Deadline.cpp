#include "policies/failover/Deadline.hpp"

#include <algorithm>

namespace hgw::failover {

std::chrono::milliseconds request_deadline(const config::RouteConfig& route, const config::Config& config,
                                           const std::vector<int>& candidates) {
  if (route.deadline_ms > 0) return std::chrono::milliseconds(route.deadline_ms);
  std::chrono::milliseconds longest{0};
  for (int b : candidates)
    if (b >= 0 && static_cast<std::size_t>(b) < config.backends.size())
      longest = std::max(longest, std::chrono::milliseconds(config.backends[b].timeouts.total_ms));
  return longest;
}

}  // namespace hgw::failover
