// The routing decision engine (pure): from the configuration, the request view,
// the tenant, compliance eligibility, backend runtime state and the budget
// status, produce an ordered list of backends to try, with the reasons.
//
// Order of checks per target (the first failing one is the reason given):
//   compliance ("compliance") → context window ("context_window") →
//   budget downgrade ("budget") → health ("health") → circuit ("circuit_breaker").
// Outcome when nothing is left (fail closed):
//   403 route_not_allowed     the tenant is limited to other routes
//   403 compliance_forbidden  compliance leaves no target
//   400 context_length_exceeded  no compliant target can hold prompt + max_tokens
//   429 budget_exceeded       budget exhausted and on_exhausted=reject
//   503 no_healthy_backend    compliant targets exist, none is usable now
//
// Strategies (primary pick; the other usable targets follow as fallbacks in
// config order, except cheapest which orders everything by estimated cost):
//   priority      config order.
//   weighted      smooth weighted round-robin over the usable targets (state in
//                 PlanInput::weighted, per route+rule; without state: highest weight).
//   cheapest      estimated cost of this request (prompt at the input price +
//                 max_tokens, or 256 when absent, at the output price); ties keep config order.
//   least_loaded  inflight ÷ max_concurrency; an unlimited backend (0) counts as
//                 capacity 1e9, so it is nearly always least loaded and fewer in-flight
//                 wins among unlimited ones; ties keep config order.
//   fastest       EWMA time to first token for streams, total latency otherwise.
//                 A usable backend without samples is picked first (first in config
//                 order) so that it gets measured; afterwards the lowest EWMA wins.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/config/Config.hpp"
#include "policies/RequestFeatures.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/routing/Decision.hpp"
#include "policies/routing/WeightedState.hpp"

namespace hgw::routing {

struct BackendRuntime {
  bool healthy = true;
  bool circuit_open = false;
  std::uint32_t inflight = 0;
  double ewma_latency_s = 0;
  double ewma_ttft_s = 0;
  bool has_samples = false;
};

struct PlanInput {
  const config::Config& config;
  const config::RouteConfig& route;
  const config::TenantConfig* tenant;                  // nullptr = open gateway
  const policy::RequestFeatures& request;
  const std::vector<bool>* compliance_eligible;        // per backend index (nullptr = all)
  const std::vector<std::string>* compliance_reasons;  // per backend index (may be nullptr)
  const std::vector<BackendRuntime>& runtime;          // per backend index (missing = defaults)
  cost::BudgetStatus budget;                           // of the tenant for this request
  WeightedState* weighted = nullptr;
  // Optional: when set, a 429 budget_exceeded decision carries retry_after_s
  // (seconds until budget.resets_at).
  std::chrono::system_clock::time_point now{};
  // false: the selected and fallback candidates' reasons are left empty
  // (only explain shows them; rejections always say why).
  bool explain = true;
};

Decision plan(const PlanInput&);

// First when-rule whose conditions all hold, or nullptr (the route's default
// targets). Conditions: tenants (any of; no tenant never matches a list),
// headers (all, exact value; names lowercase), min_prompt_tokens (estimated ≥),
// max_prompt_tokens (estimated ≤), has_tools, has_images, json_mode (equal).
const config::WhenRule* match_rule(const config::RouteConfig&, const config::TenantConfig*,
                                   const policy::RequestFeatures&);

// The largest estimated cost of this request over the targets of the rule it
// matches that it may be sent to (compliance-eligible, when `eligible` is
// given; unknown backends ignored): failover may take it to the dearest of
// them, so the budget check that runs before plan() charges that.
double max_estimated_cost_usd(const config::Config&, const config::RouteConfig&, const config::TenantConfig*,
                              const policy::RequestFeatures&, const std::vector<bool>* eligible = nullptr);

// The name used for a rule in decisions: its name, or "when[i]" when unnamed.
std::string rule_name(const config::RouteConfig&, const config::WhenRule*);

}  // namespace hgw::routing
