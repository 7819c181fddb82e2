#include "gateway/pipeline/TenantLimits.hpp"

#include "policies/cost/Pricing.hpp"

namespace hgw::pipeline {

std::optional<RateRefusal> charge_rate_limits(Services& services, Call& call) {
  if (!call.tenant) return std::nullopt;
  const std::uint64_t estimate = cost::saturating_add(call.features.estimated_prompt_tokens,
                                                      cost::estimated_output_tokens(call.features.max_tokens));
  auto verdict = services.rate_limiter().admit(*call.tenant, estimate, Clock::now());
  if (verdict.allowed) {
    call.rate_charged_tokens = estimate;
    return std::nullopt;
  }
  const bool tokens = verdict.limit == cost::RateLimiter::Limit::tokens_per_minute;
  call.snap->metrics().rate_limited(call.tenant_index, tokens ? "tokens" : "requests").Increment();
  return RateRefusal{verdict.message, std::max<std::uint32_t>(1, verdict.retry_after_s)};
}

void settle_rate_limits(Services& services, const Call& call) {
  if (!call.tenant || call.rate_charged_tokens == 0) return;
  const std::uint64_t actual = call.usage.known ? cost::saturating_add(call.usage.input, call.usage.output) : 0;
  // Both sides fit in int64: the charge is bounded by validation, usage by the scanner.
  const auto delta = static_cast<std::int64_t>(std::min<std::uint64_t>(actual, INT64_MAX)) -
                     static_cast<std::int64_t>(std::min<std::uint64_t>(call.rate_charged_tokens, INT64_MAX));
  services.rate_limiter().correct(*call.tenant, delta, Clock::now());
}

}  // namespace hgw::pipeline
