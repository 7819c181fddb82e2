// A tenant's rate limits around one request: charged up front with the
// estimate (prompt + max_tokens), corrected with the actual usage at the end.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Services.hpp"

#include <optional>
#include <string>

namespace hgw::pipeline {

struct RateRefusal {
  std::string message;
  std::uint32_t retry_after_s = 1;
};

// nullopt: admitted (and charged); else the 429 to answer.
std::optional<RateRefusal> charge_rate_limits(Services& services, Call& call);

// The difference between the charged estimate and what the request used.
void settle_rate_limits(Services& services, const Call& call);

}  // namespace hgw::pipeline
