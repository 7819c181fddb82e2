#include "gateway/pipeline/RequestRecord.hpp"

#include "gateway/pipeline/PolicyEvaluation.hpp"

namespace hgw::pipeline {

obs::AccessRecord access_record(const Call& call, unsigned status, double latency_s) {
  obs::AccessRecord rec;
  rec.request_id = call.request_id;
  rec.method = call.request.method_string();
  rec.path = call.path;
  if (call.route) rec.route = call.route->name;
  if (call.backend >= 0) rec.backend = call.config().backends[call.backend].name;
  if (call.tenant) rec.tenant = call.tenant->name;
  rec.status = status;
  rec.outcome = call.outcome;
  rec.attempts = call.attempts;
  rec.latency_ms = latency_s * 1000;
  rec.ttft_ms = call.ttft_s >= 0 ? call.ttft_s * 1000 : -1;
  rec.stream = call.stream;
  rec.input_tokens = call.usage.input;
  rec.output_tokens = call.usage.output;
  rec.cached_tokens = call.usage.cached;
  rec.cost_usd = call.cost_usd;
  rec.decision = call.decision_short;
  rec.continued = call.continued;
  return rec;
}

obs::AuditRecord audit_record(const Call& call, std::string time, unsigned status) {
  const auto& c = *call.compliance;
  obs::AuditRecord a;
  a.time = std::move(time);
  a.request_id = call.request_id;
  a.tenant = call.tenant ? call.tenant->name : "";
  a.data_class = c.data_class;
  a.detected = c.detected;
  a.rules_matched = c.rules_matched;
  a.action = action_name(c.action);
  if (call.backend >= 0) {
    const auto& b = call.config().backends[call.backend];
    a.backend = b.name;
    a.backend_locality = config::to_string(b.locality);
    a.backend_region = b.region;
  }
  a.continued = call.continued;
  a.attempts = call.attempts;
  a.status = status;
  a.outcome = call.outcome;
  return a;
}

}  // namespace hgw::pipeline
