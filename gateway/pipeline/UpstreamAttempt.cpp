#include "gateway/pipeline/UpstreamAttempt.hpp"

#include "gateway/pipeline/AnswerRelay.hpp"
#include "gateway/pipeline/StreamContinuation.hpp"
#include "gateway/pipeline/StreamRelay.hpp"
#include "gateway/pipeline/TransportOutcome.hpp"
#include "gateway/protocol/RetryAfter.hpp"
#include "gateway/protocol/UpstreamRequest.hpp"
#include "policies/failover/UpstreamErrorClassifier.hpp"

namespace hgw::pipeline {

using failover::Outcome;

namespace {

constexpr std::size_t kMaxUpstreamErrorBody = 1024 * 1024;

// Stops watching for the client's close on every way out of the attempt.
struct CloseWatchGuard {
  std::shared_ptr<server::ClientChannel::CloseWatch> watch;
  ~CloseWatchGuard() {
    if (watch) watch->active = false;
  }
};

// `upstream_request` is released once sent: a stream's frames keep only
// what its answer needs.
awaitable<void> exchange(Services& services, Call& call, int b, upstream::Exchange& ex,
                         std::string& upstream_request, AttemptResult& r) {
  const auto& backend = call.config().backends[b];
  const auto failure = co_await ex.send(upstream_request);
  std::string().swap(upstream_request);
  if (failure != upstream::TransportFailure::none) {
    r.outcome = outcome_of(failure);
    r.detail = "backend " + backend.name + ": " + upstream::to_string(failure);
    co_return;
  }
  const unsigned status = ex.status();
  if (status < 200 || status > 299) {
    std::string body;
    co_await ex.read_all(body, kMaxUpstreamErrorBody);
    r.outcome = failover::classify_http_error(static_cast<int>(status), body);
    r.upstream_status = status;
    r.upstream_body = std::move(body);
    r.upstream_codec = &protocol::backend_codec(backend.protocol);
    r.retry_after = protocol::parse_retry_after(ex.retry_after(), ex.retry_after_ms(),
                                                std::chrono::system_clock::now());
    r.detail = "backend " + backend.name + " answered HTTP " + std::to_string(status);
    co_return;
  }
  services.fault_point("relay");
  const std::string_view content_type = ex.content_type();
  if (call.stream && content_type.find("text/event-stream") != std::string_view::npos)
    co_await relay_stream(call, b, ex, r);
  else
    co_await relay_answer(call, b, ex, r);
}

// The request's bytes for backend b (nullopt, with r saying why, when its
// codec cannot express the request). A plain function: what encoding builds
// is freed before the exchange.
std::optional<std::string> upstream_request_for(const Call& call, int b, AttemptResult& r) {
  const auto& backend = call.config().backends[b];
  const auto& state = call.snap->backend(b);
  const auto& codec = protocol::backend_codec(backend.protocol);
  const bool remote = backend.locality == config::Locality::remote;
  const boost::json::value& body = (remote && call.redacted_body) ? *call.redacted_body : call.body;
  // A continuation sends the conversation with the partial answer as prefill.
  std::optional<boost::json::object> continued;
  if (call.continuation)
    continued = protocol::continuation_request(
        body.as_object(), protocol::make_prefill(call.continuation->pipeline->answer_text()), backend.protocol);
  const std::string_view request_text =
      (&body == &call.body && !continued && call.body_is_request_text) ? std::string_view(call.request.body())
                                                                        : std::string_view();
  std::string encoded, why;
  if (!codec.encode_body(continued ? *continued : body.as_object(), request_text, backend, call.stream, encoded,
                         why)) {
    r.outcome = Outcome::bad_request;
    r.detail = why;
    return std::nullopt;
  }
  return protocol::make_upstream_request(backend, state.api_key, call.endpoint, encoded, call.stream,
                                         call.request_id, call.request[http::field::accept]);
}

}  // namespace

awaitable<void> run_attempt(Services& services, upstream::PoolSet& pools, Call& call, int b,
                            Clock::time_point deadline, AttemptResult& r) {
  const auto& backend = call.config().backends[b];
  auto& state = call.snap->backend(b);
  auto upstream_request = upstream_request_for(call, b, r);
  if (!upstream_request) co_return;
  services.fault_point("attempt");

  auto pool = pools.pool(call.snap->generation(), b, backend, state.tls.get());
  const auto attempt_deadline = std::min(deadline, Clock::now() + std::chrono::milliseconds(backend.timeouts.total_ms));
  upstream::Exchange ex(std::move(pool), attempt_deadline);
  // A client that leaves cancels the upstream call (its connection is not reused).
  bool client_gone = false;
  CloseWatchGuard watch{call.channel.watch_close([&client_gone, &ex] {
    client_gone = true;
    ex.abort();
  })};
  co_await exchange(services, call, b, ex, *upstream_request, r);
  // A client that closed after its whole answer was handed over was served.
  if (client_gone && r.outcome != Outcome::success) {
    r.outcome = Outcome::cancelled;
    ex.abort();
  }
}

}  // namespace hgw::pipeline
