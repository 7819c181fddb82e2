// The main listener's request handler: the pipeline of DESIGN.md §1 as a
// short sequence of named steps, each in a file of its own —
//   LocalAnswers → Authentication → RequestIntake → PolicyEvaluation →
//   TenantLimits → AttemptLoop (BackendLease, UpstreamAttempt, StreamRelay /
//   AnswerRelay) → RequestAccounting —
// with a guard that turns anything thrown on the way into an answer (500, or
// an SSE error event on a started stream) and still accounts the request.
// One instance per io thread.
#pragma once

#include "gateway/pipeline/Services.hpp"
#include "gateway/server/ClientChannel.hpp"
#include "gateway/upstream/PoolSet.hpp"

namespace hgw::shadow {
class ShadowTap;
}

namespace hgw::pipeline {

struct Call;

class ProxyHandler final : public server::RequestHandler {
 public:
  explicit ProxyHandler(Services& services) : services_(services) {}

  awaitable<void> handle(server::Request& request, Clock::time_point received_at,
                         server::ClientChannel& channel) override;

  // Closes the pooled upstream connections; call while their io_context lives.
  void close_upstreams() { pools_.clear(); }
  // Closes pooled upstream connections that have been idle too long.
  void expire_idle_upstreams() { pools_.expire_idle(); }

 private:
  awaitable<void> serve(Call& call, shadow::ShadowTap& tap);
  // Everything before the first upstream attempt — local answers,
  // authentication, intake, policies, quota. False when the answer is out.
  awaitable<bool> admit(Call& call);
  awaitable<void> answer_internal_error(Call& call, const std::string& what);

  Services& services_;
  upstream::PoolSet pools_;
};

}  // namespace hgw::pipeline
