#include "policies/cost/Pricing.hpp"

namespace hgw::cost {

Pricing pricing_of(const config::BackendConfig& b) {
  Pricing p;
  const auto& c = b.cost;
  if (c.input_per_mtok || c.output_per_mtok || c.cached_input_per_mtok) {
    p.known = true;
    p.input_per_token = c.input_per_mtok.value_or(0.0) / 1e6;
    p.output_per_token = c.output_per_mtok.value_or(0.0) / 1e6;
    if (c.cached_input_per_mtok) {
      p.cached_input_per_token = *c.cached_input_per_mtok / 1e6;
      p.cached_price_given = true;
    } else {
      p.cached_input_per_token = p.input_per_token;
    }
    return p;
  }
  if (c.gpu_hour_usd && c.tokens_per_second && *c.tokens_per_second > 0) {
    const double per_token = *c.gpu_hour_usd * static_cast<double>(c.gpus ? c.gpus : 1) /
                             (*c.tokens_per_second * 3600.0);
    p.known = true;
    p.amortised = true;
    p.input_per_token = p.output_per_token = p.cached_input_per_token = per_token;
  }
  return p;
}

double cost_usd(const Pricing& p, const Usage& u) {
  if (!p.known) return 0.0;
  const std::uint64_t cached = u.cached < u.input ? u.cached : u.input;
  const double cached_price = p.cached_price_given ? p.cached_input_per_token : p.input_per_token;
  return static_cast<double>(u.input - cached) * p.input_per_token +
         static_cast<double>(cached) * cached_price +
         static_cast<double>(u.output) * p.output_per_token;
}

double estimate_cost_usd(const Pricing& p, std::uint64_t prompt_tokens, std::uint64_t max_output_tokens) {
  return cost_usd(p, Usage{prompt_tokens, max_output_tokens, 0});
}

}  // namespace hgw::cost
