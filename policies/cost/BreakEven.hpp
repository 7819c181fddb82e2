// Break-even between a remote API and local hardware (pure).
//
// Definitions (all documented in README "Break-even report"):
//  - remote_usd_per_token: the remote list price blended by the input share of
//    the traffic: input_share × input price + (1 - input_share) × output price.
//  - local_usd_per_day: gpu_hour_usd × gpus × 24 (hardware is paid whether used or not).
//  - local_capacity_tokens_per_day: tokens_per_second × 86400, where
//    tokens_per_second is the throughput of the whole local backend (all its gpus).
//  - break_even_tokens_per_day: local_usd_per_day ÷ remote_usd_per_token — above
//    this daily volume the local hardware is cheaper than the API. If even a
//    fully used local backend costs more per token than the API
//    (never_cheaper), no volume breaks even.
//  - utilisation: observed_tokens_per_day ÷ local_capacity_tokens_per_day.
//  - gpus_needed_for_peak: ceil(peak_tokens_per_second ÷ (tokens_per_second ÷ gpus)).
#pragma once

#include <cstdint>
#include <string>

#include "gateway/config/Config.hpp"

namespace hgw::cost {

struct BreakEven {
  bool valid = false;           // false: prices missing (see note)
  std::string note;
  double remote_usd_per_token = 0;
  double local_usd_per_day = 0;
  double local_capacity_tokens_per_day = 0;
  double break_even_tokens_per_day = 0;   // 0 when !valid or never_cheaper
  bool never_cheaper = false;
  double observed_tokens_per_day = 0;
  double utilisation = 0;
  std::uint32_t gpus_configured = 0;
  std::uint32_t gpus_needed_for_peak = 0;
  double observed_remote_usd_per_day = 0;   // observed volume at the remote price
  bool local_cheaper_at_observed = false;   // observed volume >= break-even
};

BreakEven break_even(const config::BackendConfig& remote, const config::BackendConfig& local,
                     double observed_tokens_per_day, double peak_tokens_per_second,
                     double input_share = 0.75);

}  // namespace hgw::cost
