// One deadline per request bounds every attempt and every wait (README
// "Failover": rule 2): the route's deadline_ms when given, else the longest
// total_ms of the backends the request may try.
#pragma once

#include <chrono>
#include <vector>

#include "gateway/config/Config.hpp"

namespace hgw::failover {

std::chrono::milliseconds request_deadline(const config::RouteConfig& route, const config::Config& config,
                                           const std::vector<int>& candidates);

}  // namespace hgw::failover
