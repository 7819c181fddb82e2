#include "policies/cost/BreakEven.hpp"

#include <algorithm>
#include <cmath>

#include "policies/cost/Pricing.hpp"

namespace hgw::cost {

BreakEven break_even(const config::BackendConfig& remote, const config::BackendConfig& local,
                     double observed_tokens_per_day, double peak_tokens_per_second, double input_share) {
  BreakEven r;
  r.observed_tokens_per_day = observed_tokens_per_day;
  input_share = std::clamp(input_share, 0.0, 1.0);
  const Pricing rp = pricing_of(remote);
  r.remote_usd_per_token = rp.input_per_token * input_share + rp.output_per_token * (1.0 - input_share);
  r.observed_remote_usd_per_day = r.remote_usd_per_token * observed_tokens_per_day;
  const auto& lc = local.cost;
  r.gpus_configured = lc.gpus ? lc.gpus : 1;
  const bool hw = lc.gpu_hour_usd && lc.tokens_per_second && *lc.tokens_per_second > 0;
  if (hw) {
    r.local_usd_per_day = *lc.gpu_hour_usd * r.gpus_configured * 24.0;
    r.local_capacity_tokens_per_day = *lc.tokens_per_second * 86400.0;
    r.utilisation = observed_tokens_per_day / r.local_capacity_tokens_per_day;
    const double per_gpu_tps = *lc.tokens_per_second / r.gpus_configured;
    r.gpus_needed_for_peak =
        peak_tokens_per_second > 0 ? static_cast<std::uint32_t>(std::ceil(peak_tokens_per_second / per_gpu_tps - 1e-9)) : 0;
  }
  if (!rp.known || r.remote_usd_per_token <= 0) {
    r.note = "remote backend '" + remote.name + "' has no list prices";
    return r;
  }
  if (!hw) {
    r.note = "local backend '" + local.name + "' has no gpu_hour_usd and tokens_per_second";
    return r;
  }
  r.valid = true;
  const double local_per_token_full = r.local_usd_per_day / r.local_capacity_tokens_per_day;
  if (local_per_token_full >= r.remote_usd_per_token) {
    r.never_cheaper = true;
    r.note = "even fully used, local hardware costs more per token than the API";
    return r;
  }
  r.break_even_tokens_per_day = r.local_usd_per_day / r.remote_usd_per_token;
  r.local_cheaper_at_observed = observed_tokens_per_day >= r.break_even_tokens_per_day;
  return r;
}

}  // namespace hgw::cost
