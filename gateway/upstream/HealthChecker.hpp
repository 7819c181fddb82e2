// Active health checks: GET {url}{health_check.path} per backend at its
// interval, within its timeout; results feed the backend's HealthState and
// the hybridgw_backend_healthy gauge.
#pragma once

#include "gateway/pipeline/Services.hpp"

namespace hgw::upstream {

// Runs until the io_context stops; picks up config reloads (new snapshots).
awaitable<void> run_health_checks(pipeline::Services& services, int backend_index, std::uint64_t generation);

// Starts one check loop per backend of the current snapshot on ex, and again
// for every later generation (call after each reload).
void start_health_checks(Executor ex, pipeline::Services& services);

}  // namespace hgw::upstream
