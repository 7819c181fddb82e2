// /_sim/* control API, for tests and scripts that run hybridgw-sim as a
// separate process (in-process tests call Simulator directly). These requests
// are not recorded and never faulted.
#pragma once

#include <string_view>

#include "tests/sim/ResponseBuilder.hpp"

namespace hgw::sim {

class SimState;

inline bool is_control_target(std::string_view target) { return target.starts_with("/_sim/"); }

//   GET    /_sim/requests   JSON array of {method, target, headers{}, body}
//   DELETE /_sim/requests   forget them
//   POST   /_sim/fault      {"fault":"<spec>","count":N}  (count optional, -1 = persistent)
//   DELETE /_sim/fault
//   GET    /_sim/stats      {"received","open_connections","cancelled_streams"}
//   POST   /_sim/options    {"latency_ms","ttft_ms","token_delay_ms","tokens","cached_tokens"}
Plan handle_control(std::string_view method, std::string_view target, std::string_view body,
                    SimState& state);

}  // namespace hgw::sim
