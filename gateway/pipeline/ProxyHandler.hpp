// The main listener's request handler: the pipeline of DESIGN.md §1 —
// authenticate, parse once, classify, plan, dispatch attempts with failover,
// relay (streamed or whole), account. One instance per io thread.
#pragma once

#include "gateway/pipeline/Services.hpp"
#include "gateway/server/ClientChannel.hpp"
#include "gateway/upstream/Exchange.hpp"
#include "gateway/upstream/PoolSet.hpp"

namespace hgw::pipeline {

struct Call;
struct AttemptResult;

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
  awaitable<void> proxy(Call& call);
  awaitable<void> run_attempts(Call& call);
  awaitable<void> attempt(Call& call, int backend, Clock::time_point deadline, AttemptResult& r);
  awaitable<void> exchange(Call& call, int backend, upstream::Exchange& ex,
                           const std::string& upstream_request, AttemptResult& r);
  awaitable<void> relay_stream(Call& call, int backend, upstream::Exchange& ex, AttemptResult& r);
  awaitable<void> relay_whole(Call& call, int backend, upstream::Exchange& ex, AttemptResult& r);
  // A slot of a backend with a queue (max_queue > 0), waiting up to queue_timeout_ms.
  awaitable<bool> wait_for_slot(Call& call, int backend, Clock::time_point deadline);
  awaitable<void> reply_error(Call& call, unsigned status, std::string_view message,
                              std::string_view type, std::string_view code,
                              std::uint32_t retry_after_s = 0);
  awaitable<void> reply_upstream_failure(Call& call, const AttemptResult& last);
  void finish(Call& call);

  Services& services_;
  upstream::PoolSet pools_;
};

}  // namespace hgw::pipeline
