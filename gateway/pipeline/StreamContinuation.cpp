#include "gateway/pipeline/StreamContinuation.hpp"

#include "policies/compliance/BodyScanner.hpp"

#include <algorithm>
#include <optional>

namespace hgw::pipeline {

bool continuation_wanted(const Call& call, const protocol::StreamPipeline& pipeline) {
  return call.route && call.route->failover.mid_stream_continue && call.endpoint != policy::Endpoint::completions &&
         pipeline.continuable();
}

namespace {

bool partial_answer_flagged(const Call& call, const std::string& partial_answer) {
  const auto* detectors = call.snap->detectors();
  if (!detectors || detectors->empty()) return false;
  const auto scan = compliance::scan_body(*detectors, boost::json::value(partial_answer),
                                          call.config().compliance.max_scan_bytes);
  return !scan.findings.empty() || !scan.complete();
}

}  // namespace

int next_continuation(const Call& call, std::size_t after, int broken, const std::string& partial_answer) {
  const auto& order = call.decision.order;
  std::optional<bool> flagged;
  for (std::size_t p = after + 1; p < order.size(); ++p) {
    const int b = order[p];
    const auto& backend = call.config().backends[b];
    if (b == broken || !backend.takes_prefill()) continue;
    if (!protocol::backend_codec(backend.protocol).serves(call.endpoint)) continue;
    if (backend.locality == config::Locality::remote) {
      if (!flagged) flagged = partial_answer_flagged(call, partial_answer);
      if (*flagged) continue;
    }
    return static_cast<int>(p);
  }
  return -1;
}

protocol::TokenUsage carried_usage(const Call& call) {
  protocol::TokenUsage sum;
  for (const auto& [backend, part] : call.earlier_usage) sum = sum + part;
  return sum;
}

std::size_t plan_position(const Call& call, int b) {
  const auto& order = call.decision.order;
  return static_cast<std::size_t>(std::find(order.begin(), order.end(), b) - order.begin());
}

}  // namespace hgw::pipeline
