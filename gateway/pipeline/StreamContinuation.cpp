#include "gateway/pipeline/StreamContinuation.hpp"

#include "policies/compliance/BodyScanner.hpp"

#include <algorithm>

namespace hgw::pipeline {

bool continuation_wanted(const Call& call, const protocol::StreamPipeline& pipeline) {
  return call.route && call.route->failover.mid_stream_continue && call.endpoint != policy::Endpoint::completions &&
         pipeline.continuable();
}

bool may_continue_on(const Call& call, int b, int broken, const std::string& partial_answer) {
  const auto& backend = call.config().backends[b];
  if (b == broken || !backend.takes_prefill()) return false;
  if (!protocol::backend_codec(backend.protocol).serves(call.endpoint)) return false;
  if (backend.locality == config::Locality::remote) {
    const auto* detectors = call.snap->detectors();
    if (detectors && !detectors->empty()) {
      const auto scan = compliance::scan_body(*detectors, boost::json::value(partial_answer),
                                              call.config().compliance.max_scan_bytes);
      if (!scan.findings.empty() || !scan.complete()) return false;
    }
  }
  return true;
}

int next_continuation(const Call& call, std::size_t after, int broken, const std::string& partial_answer) {
  const auto& order = call.decision.order;
  for (std::size_t p = after + 1; p < order.size(); ++p)
    if (may_continue_on(call, order[p], broken, partial_answer)) return static_cast<int>(p);
  return -1;
}

std::size_t plan_position(const Call& call, int b) {
  const auto& order = call.decision.order;
  return static_cast<std::size_t>(std::find(order.begin(), order.end(), b) - order.begin());
}

}  // namespace hgw::pipeline
