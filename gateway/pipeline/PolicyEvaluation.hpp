// Every policy on one request, from the parsed body to a routing decision:
// route by model, request features, compliance (detectors, data class,
// rules), budget status, plan.
// The one code path behind live routing and `explain` (DESIGN.md §1): the
// caller supplies what differs — where tenant spend comes from.
#pragma once

#include "gateway/pipeline/Snapshot.hpp"
#include "policies/compliance/ComplianceDecision.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/routing/Decision.hpp"

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hgw::pipeline {

struct PolicyRequest {
  policy::Endpoint endpoint = policy::Endpoint::chat;
  const boost::json::value* body = nullptr;    // parsed; an object with a string "model"
  const config::TenantConfig* tenant = nullptr;
  std::vector<std::pair<std::string, std::string>> policy_headers;  // x-hybridgw-*, lowercase names
  std::string data_class_header;               // x-hybridgw-data-class
  std::string conversation_class;              // the data class of the conversation this turn continues
  // Spend of a tenant in a window key, for a budget decided here (explain).
  // nullptr: the budget is not decided here — live traffic reserves it in the
  // quota store after this step (QuotaAdmission), then replan_with_budget().
  std::function<double(const std::string& tenant, const std::string& window)> spent;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  // Live traffic advances the weighted round-robin; explain must not.
  bool advance_weighted = true;
  // Explain shows why each candidate was selected or is a fallback; live
  // traffic does not make those texts (routing::PlanInput::explain).
  bool explain = false;
};

struct PolicyVerdict {
  // Set when the request cannot go anywhere (404 model, 403 compliance, ...).
  unsigned status = 0;
  std::string error_type, error_code, error_message;
  std::uint32_t retry_after_s = 0;

  const config::RouteConfig* route = nullptr;
  policy::RequestFeatures features;
  std::vector<compliance::Finding> findings;
  std::optional<compliance::ComplianceDecision> compliance;
  std::optional<boost::json::value> redacted_body;  // what remote backends get, when redacting
  std::vector<std::pair<std::string, std::string>> redaction_mapping;
  cost::BudgetStatus budget;
  double budget_spent_today = 0, budget_spent_month = 0;
  double budget_estimate_usd = 0;  // the request's cost on the dearest target it may reach
  routing::Decision decision;
  // What the plan was made from, to make it again with a budget verdict.
  std::vector<bool> eligible;
  std::vector<std::string> reasons;
};

PolicyVerdict evaluate_policies(const Snapshot& snap, PolicyRequest& request);

// The plan again, now that the budget is known to be exhausted: downgraded
// (on_exhausted: downgrade) or a 429 (reject) — in `verdict`.
void replan_with_budget(const Snapshot& snap, const PolicyRequest& request, PolicyVerdict& verdict,
                        const cost::BudgetStatus& budget);

const char* action_name(compliance::ComplianceDecision::Action);

}  // namespace hgw::pipeline
