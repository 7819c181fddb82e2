#include "gateway/pipeline/PolicyEvaluation.hpp"

#include "gateway/protocol/OpenAiWire.hpp"
#include "policies/compliance/Redactor.hpp"
#include "policies/compliance/BodyScanner.hpp"
#include "policies/cost/Pricing.hpp"
#include "policies/routing/Planner.hpp"

namespace hgw::pipeline {

namespace json = boost::json;

const char* action_name(compliance::ComplianceDecision::Action a) {
  switch (a) {
    case compliance::ComplianceDecision::Action::block: return "block";
    case compliance::ComplianceDecision::Action::redact: return "redact";
    case compliance::ComplianceDecision::Action::route: return "route";
  }
  return "route";
}

namespace {
void fail(PolicyVerdict& p, unsigned status, std::string type, std::string code, std::string message) {
  p.status = status;
  p.error_type = std::move(type);
  p.error_code = std::move(code);
  p.error_message = std::move(message);
}
}  // namespace

namespace {

// Plan: the ordered candidates, with the reason for each.
void plan(const Snapshot& snap, const PolicyRequest& request, PolicyVerdict& p) {
  const auto runtime = snap.runtime();
  routing::PlanInput input{snap.config(), *p.route, request.tenant, p.features, &p.eligible, &p.reasons,
                           runtime, p.budget, request.advance_weighted ? &snap.weighted() : nullptr,
                           request.now};
  input.explain = request.explain;
  p.decision = routing::plan(input);
  p.status = 0;
  if (!p.decision.ok()) {
    const int s = p.decision.status ? p.decision.status : 503;
    const char* type = s == 429 ? "budget_error"
                       : s == 403 ? "permission_error"
                       : s == 503 ? "service_unavailable"
                                  : "invalid_request_error";
    fail(p, static_cast<unsigned>(s), type, p.decision.error_code, p.decision.error_message);
    p.retry_after_s = p.decision.retry_after_s;
    // Nothing usable now (health checks or open circuits): worth a retry soon.
    if (s == 503 && p.retry_after_s == 0) p.retry_after_s = 1;
  }
}

}  // namespace

void replan_with_budget(const Snapshot& snap, const PolicyRequest& request, PolicyVerdict& verdict,
                        const cost::BudgetStatus& budget) {
  verdict.budget = budget;
  plan(snap, request, verdict);
}

PolicyVerdict evaluate_policies(const Snapshot& snap, PolicyRequest& request) {
  const auto& cfg = snap.config();
  PolicyVerdict p;
  const auto& body = request.body->as_object();
  const std::string_view model = body.at("model").as_string();

  // Route by model name.
  p.route = cfg.find_route_by_model(model);
  if (!p.route) {
    std::string names;
    for (const auto& r : cfg.routes)
      for (const auto& m : r.models) names += (names.empty() ? "" : ", ") + m;
    fail(p, 404, "invalid_request_error", "model_not_found",
         "model '" + std::string(model) + "' is not served here; available models: " + names);
    return p;
  }

  p.features = protocol::features_of(body, request.endpoint);
  if (request.endpoint == policy::Endpoint::embeddings) p.features.stream = false;
  p.features.headers = request.policy_headers;

  // What is in the request decides where it may go: every text of the body
  // the backends will receive (BodyScanner.hpp). With no detectors there is
  // nothing to look for.
  std::string scan_failure;
  if (const auto* detectors = snap.detectors(); detectors && !detectors->empty()) {
    auto scan = compliance::scan_body(*detectors, *request.body, cfg.compliance.max_scan_bytes);
    p.findings = std::move(scan.findings);
    scan_failure = std::move(scan.failure);
  }
  p.compliance = compliance::decide(cfg.compliance, cfg.backends, request.tenant,
                                    request.data_class_header, p.findings, scan_failure, request.conversation_class);
  const auto& cd = *p.compliance;
  if (cd.action == compliance::ComplianceDecision::Action::block) {
    fail(p, 403, "compliance_error", "compliance_blocked", cd.block_message);
    return p;
  }
  if (cd.action == compliance::ComplianceDecision::Action::redact && !p.findings.empty()) {
    // Remote backends get a copy with typed placeholders, local ones the original.
    p.redacted_body = json::value(*request.body, json::make_shared_resource<json::monotonic_resource>());
    compliance::Redactor redactor;
    compliance::redact_body(*p.redacted_body, p.findings, cd.redact_types, redactor);
    p.redaction_mapping = redactor.mapping();
  }

  p.eligible.reserve(cd.backends.size());
  p.reasons.reserve(cd.backends.size());
  for (const auto& v : cd.backends) {
    p.eligible.push_back(v.eligible);
    p.reasons.push_back(v.reason);
  }

  // Budget, with this request's estimated cost on the dearest target it may
  // be sent to (failover may take it there).
  const auto* tenant = request.tenant;
  if (tenant && (tenant->budget.daily_usd || tenant->budget.monthly_usd)) {
    p.budget_estimate_usd = std::max(0.0, routing::max_estimated_cost_usd(cfg, *p.route, tenant, p.features, &p.eligible));
    if (request.spent) {
      p.budget_spent_today = request.spent(tenant->name, cost::day_key(request.now));
      p.budget_spent_month = request.spent(tenant->name, cost::month_key(request.now));
      p.budget = cost::check_budget(tenant->budget, p.budget_spent_today, p.budget_spent_month,
                                    p.budget_estimate_usd, request.now);
    }
  }
  plan(snap, request, p);
  return p;
}

}  // namespace hgw::pipeline
