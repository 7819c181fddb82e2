// Exactly once per request, whatever happened to it: metrics, tokens and
// cost, the tenant's spend and rate-limit correction, the access log line and
// the audit record ("one request, one outcome", DESIGN.md §1).
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Services.hpp"

namespace hgw::pipeline {

void account_request(Services& services, Call& call);

}  // namespace hgw::pipeline
