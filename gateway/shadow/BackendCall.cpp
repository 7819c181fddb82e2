#include "gateway/shadow/BackendCall.hpp"

#include "gateway/pipeline/BackendLease.hpp"
#include "gateway/pipeline/TransportOutcome.hpp"
#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/UpstreamRequest.hpp"
#include "gateway/upstream/Exchange.hpp"
#include "policies/cost/Pricing.hpp"
#include "policies/failover/UpstreamErrorClassifier.hpp"

namespace hgw::shadow {

namespace json = boost::json;
using failover::Outcome;

namespace {

constexpr std::size_t kMaxAnswer = 64 * 1024 * 1024;  // as a live whole answer
constexpr std::size_t kMaxErrorBody = 1024 * 1024;

// The task watches the exchange while it runs, on every way out.
struct WatchGuard {
  ShadowTask& task;
  WatchGuard(ShadowTask& t, upstream::Exchange& ex) : task(t) { task.watch(&ex); }
  ~WatchGuard() { task.watch(nullptr); }
};

bool is_timeout(Outcome o) {
  return o == Outcome::timeout_connect || o == Outcome::timeout_first_token || o == Outcome::timeout_idle ||
         o == Outcome::timeout_total;
}

void transport_failure(BackendReply& r, upstream::TransportFailure f, const std::string& name) {
  r.outcome = pipeline::outcome_of(f);
  r.detail = "backend " + name + ": " + upstream::to_string(f);
  if (r.outcome == Outcome::cancelled) r.result = BackendReply::Result::cancelled;
  else if (is_timeout(r.outcome)) r.result = BackendReply::Result::timed_out;
  else r.result = BackendReply::Result::failed;
}

// The answer's JSON in the OpenAI format, its usage and cost.
void read_answer(const pipeline::BackendState& state, const std::string& body, BackendReply& r) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    r.result = BackendReply::Result::failed;
    r.outcome = Outcome::malformed;
    r.detail = "backend " + state.config.name + " sent an answer that is not a JSON object";
    return;
  }
  const auto& codec = protocol::backend_codec(state.config.protocol);
  r.answer = codec.speaks_openai() ? std::move(v.as_object()) : codec.answer_to_openai(v.as_object());
  r.usage = protocol::read_usage(r.answer);
  r.cost_usd = r.usage.known ? cost::cost_usd(state.pricing, {r.usage.input, r.usage.output, r.usage.cached}) : 0.0;
  r.result = BackendReply::Result::answered;
  r.outcome = Outcome::success;
}

// The exchange itself; `r` says how it went.
awaitable<void> exchange(BackgroundContext& ctx, int b, const std::string& wire, BackendReply& r) {
  auto& state = ctx.snap->backend(b);
  const auto& backend = state.config;
  auto pool = ctx.pools.pool(ctx.snap->generation(), b, backend, state.tls.get());
  const auto deadline = Clock::now() + std::chrono::milliseconds(backend.timeouts.total_ms);
  upstream::Exchange ex(std::move(pool), deadline);
  WatchGuard watch(ctx.task, ex);
  const auto sent = co_await ex.send(wire);
  if (sent != upstream::TransportFailure::none) {
    transport_failure(r, sent, backend.name);
    co_return;
  }
  const unsigned status = ex.status();
  std::string body;
  if (status < 200 || status > 299) {
    co_await ex.read_all(body, kMaxErrorBody);
    r.result = BackendReply::Result::failed;
    r.outcome = failover::classify_http_error(static_cast<int>(status), body);
    r.detail = "backend " + backend.name + " answered HTTP " + std::to_string(status);
    co_return;
  }
  const auto read = co_await ex.read_all(body, kMaxAnswer);
  if (read != upstream::TransportFailure::none) {
    transport_failure(r, read, backend.name);
    co_return;
  }
  read_answer(state, body, r);
}

}  // namespace

bool encode_request(const config::BackendConfig& backend, const json::object& request, std::string& body,
                    std::string& error) {
  return protocol::backend_codec(backend.protocol).encode_body(request, {}, backend, false, body, error);
}

awaitable<BackendReply> call_backend(BackgroundContext& ctx, int b, policy::Endpoint endpoint,
                                     const std::string& body, const std::string& request_id) {
  BackendReply r;
  if (ctx.task.cancelled()) {
    r.result = BackendReply::Result::cancelled;
    r.outcome = Outcome::cancelled;
    co_return r;
  }
  auto acquired = pipeline::BackendLease::acquire_now(ctx.snap, b);
  if (!acquired.lease) {
    r.outcome = acquired.refused;
    r.detail = std::move(acquired.detail);
    r.result = r.outcome == Outcome::queue_full ? BackendReply::Result::refused : BackendReply::Result::failed;
    co_return r;
  }
  auto& state = ctx.snap->backend(b);
  const std::string wire = protocol::make_upstream_request(state.config, state.api_key, endpoint, body, false,
                                                           request_id, "application/json");
  const auto start = Clock::now();
  co_await exchange(ctx, b, wire, r);
  // The backend's breaker and latency average learn from it as from live
  // traffic; an abandoned call tells them nothing.
  acquired.lease->record(r.outcome, Clock::now() - start);
  co_return r;
}

}  // namespace hgw::shadow
