#include "gateway/pipeline/ProxyHandler.hpp"

#include "gateway/pipeline/AttemptLoop.hpp"
#include "gateway/pipeline/Authentication.hpp"
#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/Conversation.hpp"
#include "gateway/pipeline/LocalAnswers.hpp"
#include "gateway/pipeline/PolicyEvaluation.hpp"
#include "gateway/pipeline/PolicyHeaders.hpp"
#include "gateway/pipeline/RequestAccounting.hpp"
#include "gateway/pipeline/RequestId.hpp"
#include "gateway/pipeline/RequestIntake.hpp"
#include "gateway/pipeline/TokenCount.hpp"
#include "gateway/pipeline/QuotaAdmission.hpp"
#include "gateway/shadow/ShadowRequest.hpp"
#include "gateway/shadow/ShadowTap.hpp"

#include <iostream>

namespace hgw::pipeline {

namespace {

struct InflightGuard {
  std::atomic<long>& counter;
  explicit InflightGuard(std::atomic<long>& c) : counter(c) { counter.fetch_add(1); }
  ~InflightGuard() { counter.fetch_sub(1); }
};

// The policies' verdict becomes the call's plan; what it found is counted.
void adopt(Call& call, PolicyVerdict&& v) {
  auto& metrics = call.snap->metrics();
  call.route = v.route;
  call.route_index = call.snap->route_index(call.route);
  call.features = std::move(v.features);
  call.stream = call.features.stream;
  call.client_wants_usage =
      call.client->always_streams_usage() || protocol::client_wants_stream_usage(call.body.as_object());
  call.decision = std::move(v.decision);
  if (!call.decision.route.empty()) call.decision_short = call.decision.short_form();
  call.downgraded = call.decision.downgraded;
  call.redacted_body = std::move(v.redacted_body);
  call.redaction_mapping = std::move(v.redaction_mapping);
  if (v.compliance) {
    const char* action = action_name(v.compliance->action);
    for (const auto& [type, count] : v.compliance->detected) metrics.pii(type, action).Increment(count);
    for (const auto& rule : v.compliance->rules_matched) metrics.compliance(rule, action).Increment();
    call.compliance = std::move(v.compliance);
  }
}

// What the quota store said of the tenant's budget, for the gauges.
void show_budget(Call& call, const state::QuotaGrant& grant) {
  auto& metrics = call.snap->metrics();
  const auto& budget = call.tenant->budget;
  if (budget.daily_usd) {
    metrics.budget_spent(call.tenant_index, "daily").Set(grant.spent_today);
    metrics.budget_limit(call.tenant_index, "daily").Set(*budget.daily_usd);
  }
  if (budget.monthly_usd) {
    metrics.budget_spent(call.tenant_index, "monthly").Set(grant.spent_month);
    metrics.budget_limit(call.tenant_index, "monthly").Set(*budget.monthly_usd);
  }
}

}  // namespace

awaitable<void> ProxyHandler::handle(server::Request& request, Clock::time_point received_at,
                                     server::ClientChannel& channel) {
  InflightGuard inflight(services_.inflight_requests);
  shadow::ShadowTap tap(channel);  // the client's channel, as it is; keeps the answer of a request to be judged
  Call call{services_, services_.snapshot(), request, tap, received_at};
  call.request_id = request_id_of(request["x-request-id"]);
  const std::string_view target = request.target();
  call.path = std::string(target.substr(0, target.find('?')));

  // One request, one outcome — also when code throws: the client gets an
  // answer, the request is accounted, and every lease and slot is given back
  // by its destructor on the way out.
  std::string failure;
  try {
    co_await serve(call, tap);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) co_await answer_internal_error(call, failure);
  if (call.path == "/healthz") co_return;  // health probes are not traffic
  try {
    account_request(services_, call);
  } catch (const std::exception& e) {
    std::cerr << "hybridgw: accounting request " << call.request_id << " failed: " << e.what() << "\n";
  }
  // Shadow traffic starts now, after the answer, and runs on its own.
  try {
    auto executor = co_await net::this_coro::executor;
    shadow::start_shadow(services_, pools_, call, tap, executor);
  } catch (const std::exception& e) {
    std::cerr << "hybridgw: shadow of request " << call.request_id << " failed: " << e.what() << "\n";
  }
}

awaitable<bool> ProxyHandler::admit(Call& call) {
  if (auto local = answer_locally(call)) {
    co_await call.channel.send(std::move(*local));
    co_return false;
  }
  const auto& cfg = call.config();
  const auto max_inflight = cfg.server.limits.max_inflight;
  if (max_inflight > 0 && services_.inflight_requests.load() > static_cast<long>(max_inflight)) {
    // Overload answers fast instead of queueing without bound, and sheds shadow traffic first.
    services_.shadows().cancel_all();
    const std::string message = "the gateway is at its limit of " + std::to_string(max_inflight) +
                                " requests in flight (server.limits.max_inflight); retry shortly";
    co_await reply_error(call, 503, message, "service_unavailable", "gateway_overloaded", 1);
    co_return false;
  }
  if (!cfg.tenants.empty()) {
    call.tenant_index = authenticate(*call.snap, call.request);
    if (call.tenant_index < 0) {
      co_await reply_error(call, 401, "missing or invalid API key: send it as 'Authorization: Bearer <key>'",
                           "authentication_error", "invalid_api_key");
      co_return false;
    }
    call.tenant = &cfg.tenants[call.tenant_index];
  }
  if (call.path == kCountTokensPath) {
    co_await serve_token_count(call);
    co_return false;
  }
  if (call.endpoint == policy::Endpoint::responses && call.path != "/v1/responses") {
    co_await serve_stored_response(services_, call);
    co_return false;
  }
  auto bad = parse_request(call);
  if (!bad && call.endpoint == policy::Endpoint::responses) bad = co_await begin_turn(services_, call);
  if (!bad) bad = decode_request(call);
  if (bad) {
    const IntakeError e = std::move(*bad);
    co_await reply_error(call, e.status, e.message, e.type, e.code);
    co_return false;
  }

  PolicyRequest policy;
  policy.endpoint = call.endpoint;
  policy.body = &call.body;
  policy.tenant = call.tenant;
  policy.policy_headers = policy_headers(call.request);
  policy.data_class_header = std::string(call.request["x-hybridgw-data-class"]);
  if (call.responses) policy.conversation_class = call.responses->history_class;
  services_.fault_point("policies");
  PolicyVerdict verdict = evaluate_policies(*call.snap, policy);  // the budget comes next, from the quota store
  if (verdict.status == 0 && call.tenant && (call.tenant->budget.daily_usd || call.tenant->budget.monthly_usd ||
                                             call.tenant->rate_limit.requests_per_minute ||
                                             call.tenant->rate_limit.tokens_per_minute)) {
    call.features = verdict.features;  // the token estimate
    // Two statements, not a conditional around the co_await: GCC 12 miscompiles that.
    state::QuotaGrant grant;
    if (quota_decides_at_once(services_))
      grant = admit_quota_at_once(services_, call, verdict.budget_estimate_usd);
    else
      grant = co_await admit_quota(services_, call, verdict.budget_estimate_usd);
    show_budget(call, grant);
    using Result = state::QuotaGrant::Result;
    if (grant.result == Result::rate_limited) {
      call.snap->metrics()
          .rate_limited(call.tenant_index,
                        grant.limit == cost::RateLimiter::Limit::tokens_per_minute ? "tokens" : "requests")
          .Increment();
      adopt(call, std::move(verdict));
      co_await reply_error(call, 429, grant.message, "rate_limit_error", "rate_limit_exceeded", grant.retry_after_s);
      co_return false;
    }
    if (grant.result == Result::unavailable) {
      adopt(call, std::move(verdict));
      co_await reply_error(call, 503, grant.message, "service_unavailable", "budget_store_unavailable",
                           grant.retry_after_s);
      co_return false;
    }
    // Exhausted: the plan again — downgraded, or the budget's 429.
    if (grant.result == Result::budget_exhausted || grant.downgraded)
      replan_with_budget(*call.snap, policy, verdict, grant.budget);
    call.quota_taken = true;
    call.quota = {grant.reservation, grant.reserved_usd, grant.local};
  }
  const unsigned status = verdict.status;
  const std::string type = verdict.error_type, code = verdict.error_code, message = verdict.error_message;
  const auto retry_after = verdict.retry_after_s;
  adopt(call, std::move(verdict));
  if (status != 0) {
    co_await reply_error(call, status, message, type, code, retry_after);
    co_return false;
  }
  co_return true;
}

awaitable<void> ProxyHandler::serve(Call& call, shadow::ShadowTap& tap) {
  // admit()'s frame, with the policy request and verdict, is freed before
  // the attempts: a stream keeps only what its answer needs.
  const bool dispatch = co_await admit(call);
  if (!dispatch) co_return;
  tap.draw(*call.route);  // shadow sampling, before the answer (a judged one is kept)
  co_await run_attempts(services_, pools_, call);
}

awaitable<void> ProxyHandler::answer_internal_error(Call& call, const std::string& what) {
  std::cerr << "hybridgw: request " << call.request_id << " failed inside the gateway: " << what << "\n";
  call.outcome = "internal_error";
  const std::string message = "the gateway failed while serving this request (" + what + "); request id " +
                              call.request_id;
  if (call.channel.streaming()) {
    // The head went out: the stream ends with an error event, never a [DONE].
    const std::string event = call.client->stream_error_event(message);
    const bool sent = co_await call.channel.send_chunk(event);
    if (sent) co_await call.channel.finish_stream();
    co_return;
  }
  if (call.channel.answered()) co_return;  // the answer is out: nothing more to say
  call.status = 500;
  auto res = json_response(call, 500, call.client->error_body(500, message, "internal_error", "internal_error"));
  co_await call.channel.send(std::move(res));
}

}  // namespace hgw::pipeline
