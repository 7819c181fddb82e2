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

// What a stream that broke before its usage arrived is charged: the prompt
// estimate and one output token per content chunk received (each chunk
// carries at least one token). Nothing when no content came.
inline Usage broken_stream_usage(std::uint64_t estimated_prompt_tokens, std::uint64_t content_chunks) {
  if (content_chunks == 0) return {};
  return {estimated_prompt_tokens, content_chunks, 0};
}

// Output tokens assumed for estimates when the client gave no max_tokens.
inline constexpr std::uint64_t kDefaultEstimatedOutputTokens = 256;
// a + b, or the largest value when that does not fit: token estimates add
// numbers that come from requests, and a wrapped sum would pass every limit.
inline std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

inline std::uint64_t estimated_output_tokens(std::uint64_t max_tokens) {
  return max_tokens ? max_tokens : kDefaultEstimatedOutputTokens;
}

}  // namespace hgw::cost
