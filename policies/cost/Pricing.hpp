// Prices and the cost of a request (pure). Remote backends: list prices per
// million tokens; local backends: amortised hardware, gpu_hour_usd × gpus ÷
// (tokens_per_second × 3600) per token, for input and output alike. Explicit
// per-mtok prices always win over the amortised estimate.
#pragma once

#include <cstdint>

#include "gateway/config/Config.hpp"

namespace hgw::cost {

// Token counts of one request. cached ⊆ input (OpenAI semantics: prompt_tokens
// includes cached_tokens).
struct Usage {
  std::uint64_t input = 0, output = 0, cached = 0;
};

struct Pricing {
  double input_per_token = 0, output_per_token = 0, cached_input_per_token = 0;
  bool known = false;               // false: no price configured, every cost is 0
  bool cached_price_given = false;  // false: cached input tokens cost input_per_token
  bool amortised = false;           // true: derived from gpu_hour_usd (local hardware)
};

Pricing pricing_of(const config::BackendConfig&);

// (input - cached) × in + cached × cached_in (falls back to in) + output × out.
double cost_usd(const Pricing&, const Usage&);

// Before dispatch: prompt_tokens at the input price (no cache assumed) plus
// max_output_tokens at the output price.
double estimate_cost_usd(const Pricing&, std::uint64_t prompt_tokens, std::uint64_t max_output_tokens);

// Output tokens assumed for estimates when the client gave no max_tokens.
inline constexpr std::uint64_t kDefaultEstimatedOutputTokens = 256;
inline std::uint64_t estimated_output_tokens(std::uint64_t max_tokens) {
  return max_tokens ? max_tokens : kDefaultEstimatedOutputTokens;
}

}  // namespace hgw::cost
