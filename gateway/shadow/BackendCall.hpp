// One whole (non-streamed) call to a backend that no client waits for — a
// mirrored request, or a question to the judge — with the live traffic's
// parts: the backend's codec, its circuit breaker and concurrency slot (a
// BackendLease, taken without waiting: shadow traffic never queues ahead of
// live traffic), its pooled connections and its timeouts (the whole call
// within timeouts.total_ms). The answer is read whole and translated to the
// OpenAI format. ShadowTask::cancel() aborts it.
#pragma once

#include "gateway/pipeline/Snapshot.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/shadow/ShadowTraffic.hpp"
#include "gateway/upstream/PoolSet.hpp"
#include "policies/RequestFeatures.hpp"
#include "policies/failover/Outcome.hpp"

#include <boost/json.hpp>

#include <memory>
#include <string>

namespace hgw::shadow {

struct BackendReply {
  enum class Result {
    answered,   // 2xx with a JSON object
    refused,    // not sent: no free concurrency slot at the backend
    failed,     // open circuit, transport error, error status, malformed answer
    timed_out,  // one of the backend's timeouts
    cancelled,  // ShadowTask::cancel()
  };
  Result result = Result::failed;
  failover::Outcome outcome = failover::Outcome::success;  // as the breaker and the logs know it
  boost::json::object answer;                              // OpenAI format (answered)
  protocol::TokenUsage usage;
  double cost_usd = 0;  // from usage and the backend's prices
  std::string detail;   // why, for a failure
};

// Where background calls of one io thread run: the snapshot the request had,
// the thread's upstream pools, the task to watch for cancellation.
struct BackgroundContext {
  std::shared_ptr<pipeline::Snapshot> snap;
  upstream::PoolSet& pools;
  ShadowTask& task;
};

// The body `backend` receives for an OpenAI request (not streamed); false with
// `error` when the backend's codec cannot express it.
bool encode_request(const config::BackendConfig& backend, const boost::json::object& request, std::string& body,
                    std::string& error);

// `body` is what encode_request made. The strings must outlive the call (the
// caller's named locals: no temporaries in an awaited expression, GCC 12).
awaitable<BackendReply> call_backend(BackgroundContext& ctx, int backend, policy::Endpoint endpoint,
                                     const std::string& body, const std::string& request_id);

}  // namespace hgw::shadow
