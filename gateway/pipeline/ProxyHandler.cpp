#include "gateway/pipeline/ProxyHandler.hpp"

#include "gateway/pipeline/AnswerFilter.hpp"
#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Planning.hpp"
#include "gateway/pipeline/PolicyHeaders.hpp"
#include "gateway/pipeline/RequestId.hpp"
#include "gateway/protocol/AnthropicTranslate.hpp"
#include "gateway/protocol/RequestValidation.hpp"
#include "gateway/protocol/StreamTransformer.hpp"
#include "gateway/protocol/UpstreamRequest.hpp"
#include "gateway/protocol/UsageScanner.hpp"
#include "policies/cost/ApiKey.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/failover/RetryPolicy.hpp"


#include <charconv>
#include <cmath>
#include <random>

namespace hgw::pipeline {

namespace json = boost::json;
using failover::Outcome;

namespace {

constexpr std::size_t kMaxUpstreamBody = 64 * 1024 * 1024;  // a whole non-streamed answer
constexpr std::size_t kMaxUpstreamErrorBody = 1024 * 1024;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

Outcome outcome_of(upstream::TransportFailure f) {
  using upstream::TransportFailure;
  switch (f) {
    case TransportFailure::none: return Outcome::success;
    case TransportFailure::connect_error: return Outcome::connect_error;
    case TransportFailure::tls_error: return Outcome::tls_error;
    case TransportFailure::timeout_connect: return Outcome::timeout_connect;
    case TransportFailure::timeout_first_token: return Outcome::timeout_first_token;
    case TransportFailure::timeout_idle: return Outcome::timeout_idle;
    case TransportFailure::timeout_total: return Outcome::timeout_total;
    case TransportFailure::reset: return Outcome::reset;
    case TransportFailure::malformed: return Outcome::malformed;
    case TransportFailure::cancelled: return Outcome::cancelled;
  }
  return Outcome::reset;
}

std::optional<policy::Endpoint> endpoint_of(std::string_view path) {
  if (path == "/v1/chat/completions") return policy::Endpoint::chat;
  if (path == "/v1/completions") return policy::Endpoint::completions;
  if (path == "/v1/embeddings") return policy::Endpoint::embeddings;
  if (path == "/v1/messages") return policy::Endpoint::messages;
  return std::nullopt;
}

// The client's API key: OpenAI SDKs send "Authorization: Bearer", Anthropic's
// send x-api-key, Azure's send api-key.
std::string_view presented_key(const server::Request& req) {
  std::string_view auth = req[http::field::authorization];
  if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "bearer ")) return auth.substr(7);
  if (auto k = req["x-api-key"]; !k.empty()) return k;
  return req["api-key"];
}

std::string format_cost(double usd) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, usd, std::chars_format::fixed, 10).ptr;
  return std::string(buf, end);
}

double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

struct InflightGuard {
  std::atomic<long>& counter;
  explicit InflightGuard(std::atomic<long>& c) : counter(c) { counter.fetch_add(1); }
  ~InflightGuard() { counter.fetch_sub(1); }
};

}  // namespace

// ---------------------------------------------------------------------------
// Response helpers

namespace {

void set_gateway_headers(server::Response& res, const Call& call) {
  res.add("x-request-id", call.request_id);
  if (call.route) res.add("x-hybridgw-route", call.route->name);
  if (call.backend >= 0) res.add("x-hybridgw-backend", call.config().backends[call.backend].name);
  if (call.route) res.add("x-hybridgw-attempts", std::to_string(call.attempts));
  if (!call.decision.route.empty()) res.add("x-hybridgw-decision", call.decision.short_form());
  if (call.downgraded) res.add("x-hybridgw-downgraded", "budget");
}

server::Response json_response(const Call& call, unsigned status, std::string body) {
  server::Response res{status};
  res.add("Content-Type", "application/json");
  res.add("Server", "hybridgw");
  set_gateway_headers(res, call);
  res.body = std::move(body);
  return res;
}

// Reads the usage of a whole answer and applies what must change on the way
// (output filter, protocol translation). Synchronous, so that the parse arena
// is on the stack. Returns false with r filled when the answer cannot be sent.
bool prepare_whole_answer(Call& call, const config::BackendConfig& backend, std::string& body,
                          AttemptResult& r) {
  const bool anthropic_upstream = backend.protocol == config::Protocol::anthropic;
  auto filter = make_answer_filter(call);
  auto not_a_json_object = [&] {
    r.outcome = Outcome::malformed;
    r.detail = "backend " + backend.name + " sent an answer that is not a JSON object";
    return false;
  };
  if (!anthropic_upstream && !filter && !call.client_anthropic) {
    // Passed on as it is: only the usage is needed, read without a document.
    auto usage = protocol::scan_answer_usage(body);
    if (!usage) return not_a_json_object();
    call.usage = *usage;
    return true;
  }
  unsigned char arena_buffer[16384];
  json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  boost::system::error_code ec;
  json::value answer = json::parse(body, ec, &arena);
  if (ec || !answer.is_object()) return not_a_json_object();
  if (anthropic_upstream) answer = protocol::anthropic::messages_response_to_chat(answer.as_object());
  auto& obj = answer.as_object();
  call.usage = protocol::read_usage(obj);
  if (filter) {
    if (!filter_whole_answer(obj, *filter)) {
      r.outcome = Outcome::content_policy;
      r.upstream_status = 0;
      r.detail = "answer stopped by the output filter: " + filter->stop_reason();
      return false;
    }
  }
  if (call.client_anthropic) answer = protocol::anthropic::chat_response_to_messages(answer.as_object());
  body = json::serialize(answer);
  return true;
}

}  // namespace

awaitable<void> ProxyHandler::reply_error(Call& call, unsigned status, std::string_view message,
                                          std::string_view type, std::string_view code,
                                          std::uint32_t retry_after_s) {
  call.status = status;
  call.outcome = std::string(code.empty() ? type : code);
  auto res = json_response(call, status,
                           call.client_anthropic
                               ? protocol::anthropic::anthropic_error_body(
                                     protocol::anthropic::error_type_for_status(static_cast<int>(status)), message)
                               : protocol::error_body(message, type, code));
  if (retry_after_s > 0) res.add("Retry-After", std::to_string(retry_after_s));
  co_await call.channel.send(std::move(res));
}

// ---------------------------------------------------------------------------
// Entry

namespace {

server::Response local_error(Call& call, unsigned status, std::string_view message, std::string_view code) {
  call.status = status;
  call.outcome = std::string(code);
  return json_response(call, status, protocol::error_body(message, "invalid_request_error", code));
}

// Requests the gateway answers itself (health, model list, wrong paths), or
// nullopt for the ones to proxy. Synchronous: nothing here waits.
std::optional<server::Response> answer_locally(Call& call) {
  const auto method = call.request.method();
  if (call.path == "/healthz" && method == http::verb::get) {
    call.status = 200;
    return json_response(call, 200, R"({"status":"ok"})");
  }
  if (call.path == "/v1/models") {
    if (method != http::verb::get) return local_error(call, 405, "use GET /v1/models", "method_not_allowed");
    json::array data;
    for (const auto& route : call.config().routes)
      for (const auto& model : route.models)
        data.push_back(json::object{{"id", model}, {"object", "model"}, {"owned_by", "hybridgw"}, {"created", 0}});
    call.status = 200;
    return json_response(call, 200, json::serialize(json::object{{"object", "list"}, {"data", data}}));
  }
  if (auto endpoint = endpoint_of(call.path)) {
    call.endpoint = *endpoint;
    if (method != http::verb::post) return local_error(call, 405, "use POST " + call.path, "method_not_allowed");
    return std::nullopt;
  }
  return local_error(call, 404,
                     "unknown path " + call.path +
                         "; this gateway serves POST /v1/chat/completions, /v1/completions, "
                         "/v1/embeddings, /v1/messages and GET /v1/models",
                     "unknown_url");
}

}  // namespace

awaitable<void> ProxyHandler::handle(server::Request& request, Clock::time_point received_at,
                                     server::ClientChannel& channel) {
  InflightGuard inflight(services_.inflight_requests);
  Call call{services_.snapshot(), request, channel, received_at};
  call.request_id = request_id_of(request["x-request-id"]);
  const std::string_view target = request.target();
  call.path = std::string(target.substr(0, target.find('?')));

  if (auto local = answer_locally(call)) {
    co_await channel.send(std::move(*local));
    if (call.path != "/healthz") finish(call);  // health probes are not traffic
    co_return;
  }
  const auto max_inflight = call.config().server.limits.max_inflight;
  if (max_inflight > 0 && services_.inflight_requests.load() > static_cast<long>(max_inflight)) {
    // Overload answers fast instead of queueing without bound.
    co_await reply_error(call, 503,
                         "the gateway is at its limit of " + std::to_string(max_inflight) +
                             " requests in flight (server.limits.max_inflight); retry shortly",
                         "service_unavailable", "gateway_overloaded", 1);
    finish(call);
    co_return;
  }
  co_await proxy(call);
  finish(call);
}

// ---------------------------------------------------------------------------
// Before dispatch: authenticate, parse, classify, limit, plan

awaitable<void> ProxyHandler::proxy(Call& call) {
  const auto& cfg = call.config();
  auto& metrics = call.snap->metrics();

  // 1. Who is calling. With no tenants configured the gateway is open.
  if (!cfg.tenants.empty()) {
    const std::string_view key = presented_key(call.request);
    for (const auto& t : cfg.tenants)
      if (!key.empty() && cost::key_matches(key, t.keys)) call.tenant = &t;
    if (!call.tenant) {
      co_await reply_error(call, 401,
                           "missing or invalid API key: send it as 'Authorization: Bearer <key>'",
                           "authentication_error", "invalid_api_key");
      co_return;
    }
    call.tenant_index = call.snap->tenant_index(call.tenant);
  }

  // 2. Parse once.
  auto parsed = protocol::parse_json_body(call.request.body(), call.body.storage());
  if (!parsed.error.empty()) {
    co_await reply_error(call, 400, parsed.error, "invalid_request_error", "invalid_json");
    co_return;
  }
  if (!parsed.value.is_object()) {
    co_await reply_error(call, 400, "request body must be a JSON object", "invalid_request_error",
                         "invalid_request");
    co_return;
  }
  call.body = std::move(parsed.value);
  auto& body = call.body.as_object();
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty()) {
    co_await reply_error(call, 400, "'model' is required and must be a string",
                         "invalid_request_error", "missing_model");
    co_return;
  }

  if (auto invalid = protocol::validate_request(body, call.endpoint); !invalid.empty()) {
    co_await reply_error(call, 400, invalid, "invalid_request_error", "invalid_request");
    co_return;
  }

  if (call.endpoint == policy::Endpoint::messages) {
    // An Anthropic client: the pipeline works on the equivalent OpenAI chat
    // request, and the answer is translated back.
    call.client_anthropic = true;
    const auto* s = body.if_contains("stream");
    auto t = protocol::anthropic::messages_request_to_chat(body, std::string_view(model->as_string()),
                                                           s && s->is_bool() && s->as_bool());
    if (!t.error.empty()) {
      co_await reply_error(call, 400, t.error, "invalid_request_error", "invalid_request");
      co_return;
    }
    call.endpoint = policy::Endpoint::chat;
    call.body = std::move(t.body);
  }

  // 3. Route, features, compliance, budget and plan: the same code as explain.
  PlanningRequest planning;
  planning.endpoint = call.endpoint;
  planning.body = &call.body;
  planning.tenant = call.tenant;
  planning.policy_headers = policy_headers(call.request);
  planning.data_class_header = std::string(call.request["x-hybridgw-data-class"]);
  planning.spent = [this](const std::string& tenant, const std::string& window) {
    return services_.accounting().spent(tenant, window);
  };
  Planned planned = plan_request(*call.snap, planning);
  call.route = planned.route;
  call.route_index = call.snap->route_index(call.route);
  call.features = std::move(planned.features);
  call.stream = call.features.stream;
  // Anthropic streams always report usage, so its translator needs the chunk.
  call.client_wants_usage = call.client_anthropic || protocol::client_wants_stream_usage(call.body.as_object());
  call.decision = std::move(planned.decision);
  call.downgraded = call.decision.downgraded;
  call.redacted_body = std::move(planned.redacted_body);
  call.redaction_mapping = std::move(planned.redaction_mapping);
  if (planned.compliance) {
    const char* action = action_name(planned.compliance->action);
    for (const auto& [type, count] : planned.compliance->detected) metrics.pii(type, action).Increment(count);
    for (const auto& rule : planned.compliance->rules_matched) metrics.compliance(rule, action).Increment();
    call.compliance = std::move(planned.compliance);
  }
  if (call.tenant && (call.tenant->budget.daily_usd || call.tenant->budget.monthly_usd)) {
    if (call.tenant->budget.daily_usd) {
      metrics.budget_spent(call.tenant_index, "daily").Set(planned.budget_spent_today);
      metrics.budget_limit(call.tenant_index, "daily").Set(*call.tenant->budget.daily_usd);
    }
    if (call.tenant->budget.monthly_usd) {
      metrics.budget_spent(call.tenant_index, "monthly").Set(planned.budget_spent_month);
      metrics.budget_limit(call.tenant_index, "monthly").Set(*call.tenant->budget.monthly_usd);
    }
  }
  if (planned.status != 0) {
    co_await reply_error(call, planned.status, planned.error_message, planned.error_type,
                         planned.error_code, planned.retry_after_s);
    co_return;
  }

  // 4. Rate limits, charged up front with the estimate and corrected later.
  if (call.tenant) {
    call.rate_charged_tokens =
        call.features.estimated_prompt_tokens + cost::estimated_output_tokens(call.features.max_tokens);
    auto verdict = services_.rate_limiter().admit(*call.tenant, call.rate_charged_tokens, Clock::now());
    if (!verdict.allowed) {
      call.rate_charged_tokens = 0;
      metrics.rate_limited(call.tenant_index, verdict.limit == "tokens_per_minute" ? "tokens" : "requests")
          .Increment();
      co_await reply_error(call, 429, verdict.message, "rate_limit_error", "rate_limit_exceeded",
                           std::max<std::uint32_t>(1, verdict.retry_after_s));
      co_return;
    }
  }

  co_await run_attempts(call);
}

// ---------------------------------------------------------------------------
// Attempts: retries on one backend, failover across backends

awaitable<void> ProxyHandler::run_attempts(Call& call) {
  const auto& cfg = call.config();
  const auto& route = *call.route;
  auto& metrics = call.snap->metrics();
  const auto& order = call.decision.order;

  Clock::duration budget{};
  if (route.deadline_ms > 0) {
    budget = std::chrono::milliseconds(route.deadline_ms);
  } else {
    for (int b : order)
      budget = std::max<Clock::duration>(budget, std::chrono::milliseconds(cfg.backends[b].timeouts.total_ms));
  }
  const auto deadline = call.received_at + budget;

  AttemptResult last;
  bool have_last = false;
  int context_failed_on = -1;
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const int b = order[pos];
    auto& state = call.snap->backend(b);
    if (context_failed_on >= 0 &&
        !failover::larger_context(cfg.backends[context_failed_on], cfg.backends[b]))
      continue;  // the same prompt would not fit here either
    if (cfg.backends[b].protocol == config::Protocol::anthropic && call.endpoint != policy::Endpoint::chat)
      continue;  // the Messages API has no completions or embeddings
    int attempts_here = 0;
    bool counted_request = false;
    for (;;) {
      AttemptResult r;
      const auto now = Clock::now();
      ++attempts_here;
      ++call.attempts;
      call.backend = b;
      bool probe = false;
      if (!state.breaker.allow(now)) {
        r.outcome = Outcome::circuit_open;
        r.detail = "circuit breaker of backend " + cfg.backends[b].name + " is open";
      } else {
        probe = state.breaker.state(now) == failover::CircuitBreaker::State::half_open;
        if (!counted_request) {
          state.retry_budget.on_request(now);
          counted_request = true;
        }
        // Without a queue there is nothing to wait for: no coroutine for it.
        bool entered = false;
        if (cfg.backends[b].max_queue == 0)
          entered = state.gate.try_enter({}).result == failover::ConcurrencyGate::Result::entered;
        else
          entered = co_await wait_for_slot(call, b, deadline);
        if (!entered) {
          r.outcome = Outcome::queue_full;
          r.detail = "backend " + cfg.backends[b].name + " is at max_concurrency and its queue is full";
          if (probe) state.breaker.on_probe_abandoned(Clock::now());
        } else {
          metrics.inflight(b).Set(state.gate.inflight());
          const auto start = Clock::now();
          co_await attempt(call, b, deadline, r);
          const auto end = Clock::now();
          call.upstream_time += end - start;
          state.gate.leave();
          metrics.inflight(b).Set(state.gate.inflight());
          switch (failover::breaker_verdict(r.outcome)) {
            case failover::BreakerVerdict::success: state.breaker.on_success(end); break;
            case failover::BreakerVerdict::failure: state.breaker.on_failure(end); break;
            case failover::BreakerVerdict::none: state.breaker.on_probe_abandoned(end); break;
          }
          metrics.circuit(b).Set(state.breaker.state_gauge_value());
          if (r.outcome == Outcome::success) state.latency.observe(seconds(end - start));
        }
      }
      metrics.attempts(b, failover::to_string(r.outcome)).Increment();
      if (r.outcome == Outcome::success || r.bytes_sent || r.outcome == Outcome::cancelled) {
        if (r.outcome == Outcome::cancelled) {
          // 499 is nginx's "client closed request"; a stream the client left
          // keeps the 200 it already received.
          if (!r.bytes_sent) call.status = 499;
          call.outcome = "client_closed";
        }
        co_return;
      }
      last = std::move(r);
      have_last = true;

      failover::AttemptContext ctx;
      ctx.outcome = last.outcome;
      ctx.attempts_on_this_backend = attempts_here;
      ctx.retry_after = last.retry_after;
      ctx.remaining_deadline =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      ctx.bytes_sent_to_client = false;
      ctx.has_next_target = pos + 1 < order.size();
      ctx.retry_budget_allows = true;
      auto step = failover::next_step(ctx, route, uniform01);
      if (step.kind == failover::NextStep::Kind::retry_same &&
          !state.retry_budget.try_acquire_retry(Clock::now())) {
        ctx.retry_budget_allows = false;
        step = failover::next_step(ctx, route, uniform01);
      }
      if (step.kind == failover::NextStep::Kind::retry_same) {
        if (step.delay.count() > 0) {
          Timer timer(co_await net::this_coro::executor);
          timer.expires_after(step.delay);
          co_await timer.async_wait(use_nothrow);
        }
        continue;
      }
      if (step.kind == failover::NextStep::Kind::next_target) {
        if (last.outcome == Outcome::context_length) context_failed_on = b;
        if (pos + 1 < order.size())
          metrics.failovers(call.route_index, b, order[pos + 1], failover::to_string(last.outcome))
              .Increment();
        break;
      }
      co_await reply_upstream_failure(call, last);
      co_return;
    }
  }
  if (have_last)
    co_await reply_upstream_failure(call, last);
  else if (context_failed_on >= 0)
    co_await reply_error(call, 400,
                         "no target of route " + route.name +
                             " has a larger context window than the one that rejected the prompt",
                         "invalid_request_error", "context_length_exceeded");
  else
    co_await reply_error(call, 400,
                         "no target of route " + route.name + " serves " + call.path +
                             " (Anthropic backends serve chat completions only)",
                         "invalid_request_error", "unsupported_endpoint");
}

awaitable<bool> ProxyHandler::wait_for_slot(Call& call, int backend, Clock::time_point deadline) {
  auto& state = call.snap->backend(backend);
  auto ex = co_await net::this_coro::executor;
  auto timer = std::make_shared<Timer>(ex);
  auto granted = std::make_shared<bool>(false);
  const auto admission = state.gate.try_enter([ex, timer, granted] {
    // Runs on the thread that released the slot: hop to ours.
    net::post(ex, [timer, granted] {
      *granted = true;
      timer->cancel();
    });
  });
  if (admission.result == failover::ConcurrencyGate::Result::entered) co_return true;
  if (admission.result == failover::ConcurrencyGate::Result::full) co_return false;
  const auto wait = std::min<Clock::duration>(
      std::chrono::milliseconds(call.config().backends[backend].queue_timeout_ms),
      deadline - Clock::now());
  timer->expires_after(wait);
  co_await timer->async_wait(use_nothrow);
  if (*granted) co_return true;
  if (state.gate.cancel(admission.ticket)) co_return false;
  // The slot was granted while we timed out: wait for the hop, then use it.
  while (!*granted) {
    timer->expires_after(std::chrono::milliseconds(1));
    co_await timer->async_wait(use_nothrow);
  }
  co_return true;
}

awaitable<void> ProxyHandler::attempt(Call& call, int b, Clock::time_point deadline, AttemptResult& r) {
  const auto& backend = call.config().backends[b];
  auto& state = call.snap->backend(b);
  const bool remote = backend.locality == config::Locality::remote;
  const json::value& body = (remote && call.redacted_body) ? *call.redacted_body : call.body;
  json::object translated;
  if (backend.protocol == config::Protocol::anthropic) {
    auto t = protocol::anthropic::chat_request_to_messages(body.as_object(), backend.model, call.stream);
    if (!t.error.empty()) {
      r.outcome = Outcome::bad_request;
      r.detail = "cannot send this request to " + backend.name + " (Anthropic Messages API): " + t.error;
      co_return;
    }
    translated = std::move(t.body);
  }
  auto upstream_request = protocol::make_upstream_request(
      backend, state.api_key, call.endpoint,
      backend.protocol == config::Protocol::anthropic ? translated : body.as_object(), call.stream,
      call.request_id, call.request[http::field::accept]);

  auto pool = pools_.pool(call.snap->generation(), b, backend, state.tls.get());
  const auto attempt_deadline =
      std::min(deadline, Clock::now() + std::chrono::milliseconds(backend.timeouts.total_ms));
  upstream::Exchange ex(std::move(pool), attempt_deadline);
  // A client that leaves cancels the upstream call (its connection is not reused).
  bool client_gone = false;
  auto watch = call.channel.watch_close([&client_gone, &ex] {
    client_gone = true;
    ex.abort();
  });
  co_await exchange(call, b, ex, upstream_request, r);
  watch->active = false;
  // A client that closed after its whole answer was handed over was served.
  if (client_gone && r.outcome != Outcome::success) {
    r.outcome = Outcome::cancelled;
    ex.abort();
  }
}

awaitable<void> ProxyHandler::exchange(Call& call, int b, upstream::Exchange& ex,
                                       const std::string& upstream_request, AttemptResult& r) {
  const auto failure = co_await ex.send(upstream_request);
  if (failure != upstream::TransportFailure::none) {
    r.outcome = outcome_of(failure);
    r.detail = std::string("backend ") + call.config().backends[b].name + ": " + upstream::to_string(failure);
    co_return;
  }
  const unsigned status = ex.status();
  if (status < 200 || status > 299) {
    std::string body;
    co_await ex.read_all(body, kMaxUpstreamErrorBody);
    r.outcome = failover::classify_http_error(static_cast<int>(status), body);
    r.upstream_status = status;
    r.upstream_body = std::move(body);
    r.upstream_content_type = std::string(ex.head()[http::field::content_type]);
    r.upstream_anthropic = call.config().backends[b].protocol == config::Protocol::anthropic;
    r.retry_after = failover::parse_retry_after(ex.head()[http::field::retry_after],
                                                ex.head()["retry-after-ms"],
                                                std::chrono::system_clock::now());
    r.detail = "backend " + call.config().backends[b].name + " answered HTTP " + std::to_string(status);
    co_return;
  }
  const std::string_view content_type = ex.head()[http::field::content_type];
  if (call.stream && content_type.find("text/event-stream") != std::string_view::npos)
    co_await relay_stream(call, b, ex, r);
  else
    co_await relay_whole(call, b, ex, r);
}

// ---------------------------------------------------------------------------
// Relaying the answer

awaitable<void> ProxyHandler::relay_stream(Call& call, int b, upstream::Exchange& ex, AttemptResult& r) {
  auto& metrics = call.snap->metrics();
  const auto& backend = call.config().backends[b];
  auto filter = make_answer_filter(call);
  protocol::StreamTransformer transformer(call.client_wants_usage, filter.get());
  // Protocol adapters on either side of the OpenAI-format transformer.
  std::optional<protocol::anthropic::MessagesStreamToChat> from_anthropic;
  protocol::SseParser upstream_events;
  if (backend.protocol == config::Protocol::anthropic) from_anthropic.emplace(call.request_id);
  std::optional<protocol::anthropic::ChatStreamToMessages> to_anthropic;
  protocol::SseParser client_events;
  if (call.client_anthropic) to_anthropic.emplace(std::string(call.body.as_object().at("model").as_string()));

  std::string in, openai_in, out, client_out;
  std::vector<protocol::SseEvent> events;
  std::vector<std::string> payloads;
  bool committed = false;
  std::string adapter_error;

  // OpenAI-format client bytes → what this client speaks.
  auto to_client = [&](std::string& openai_bytes) -> std::string& {
    if (!to_anthropic) return openai_bytes;
    client_out.clear();
    events.clear();
    client_events.feed(openai_bytes, events);
    for (const auto& e : events)
      if (!to_anthropic->feed(e.data, client_out) && adapter_error.empty())
        adapter_error = to_anthropic->error_message();
    openai_bytes.clear();
    return client_out;
  };

  // After bytes reached the client there is no retry: the stream ends with an
  // SSE error event and no [DONE], and the request counts as failed.
  auto break_stream = [&](Outcome outcome, std::string message) -> awaitable<void> {
    r.outcome = outcome;
    r.bytes_sent = true;
    call.status = 200;
    call.outcome = std::string("stream_error:") + failover::to_string(outcome);
    metrics.stream_errors(call.route_index, b, failover::to_string(outcome)).Increment();
    std::string tail = to_client(out);
    if (call.client_anthropic) {
      tail += protocol::format_sse(protocol::anthropic::anthropic_error_body("api_error", message), "error");
    } else {
      json::object err{{"message", message}, {"type", "upstream_error"}, {"code", "stream_interrupted"}};
      tail += protocol::format_sse(json::serialize(json::object{{"error", err}}), "error");
    }
    if (co_await call.channel.send_chunk(tail)) co_await call.channel.finish_stream();
    ex.abort();
  };

  auto start_client_stream = [&]() -> awaitable<bool> {
    server::Response head{200};
    head.add("Content-Type", "text/event-stream");
    head.add("Cache-Control", "no-cache");
    set_gateway_headers(head, call);
    if (!co_await call.channel.start_stream(std::move(head))) co_return false;
    committed = true;
    call.status = 200;
    co_return true;
  };

  for (;;) {
    in.clear();
    const auto failure = co_await ex.read_some(in, !committed);
    if (failure != upstream::TransportFailure::none) {
      if (failure == upstream::TransportFailure::cancelled) {
        r.outcome = Outcome::cancelled;
        r.bytes_sent = committed;
        co_return;
      }
      const Outcome o = outcome_of(failure);
      if (!committed) {
        r.outcome = o;
        r.detail = "backend " + backend.name + " stream failed before the first event: " + upstream::to_string(failure);
        co_return;
      }
      co_await break_stream(o, std::string("upstream stream failed: ") + upstream::to_string(failure));
      break;
    }
    // Anthropic upstream: its events become OpenAI chunks first.
    std::string_view openai_bytes = in;
    bool anthropic_failed = false;
    if (from_anthropic) {
      openai_in.clear();
      events.clear();
      payloads.clear();
      if (!upstream_events.feed(in, events)) anthropic_failed = true;
      for (const auto& e : events)
        if (!from_anthropic->feed(e, payloads)) anthropic_failed = true;
      for (const auto& p : payloads) openai_in += protocol::format_sse(p);
      openai_bytes = openai_in;
    }
    auto state = anthropic_failed ? (from_anthropic->is_upstream_error() ? protocol::StreamTransformer::State::upstream_error
                                                                          : protocol::StreamTransformer::State::malformed)
                                  : transformer.feed(openai_bytes, out);
    if (state != protocol::StreamTransformer::State::ok) {
      const std::string message = anthropic_failed ? from_anthropic->error_message() : transformer.error_message();
      const Outcome o = state == protocol::StreamTransformer::State::upstream_error ? Outcome::http_5xx
                        : state == protocol::StreamTransformer::State::stopped      ? Outcome::content_policy
                                                                                     : Outcome::malformed;
      if (!committed && state != protocol::StreamTransformer::State::stopped) {
        r.outcome = o;
        r.detail = message;
        co_return;
      }
      if (!committed && !co_await start_client_stream()) {
        r.outcome = Outcome::cancelled;
        co_return;
      }
      co_await break_stream(o, message);
      break;
    }
    if (!committed && transformer.events() > 0) {
      if (!co_await start_client_stream()) {
        r.outcome = Outcome::cancelled;
        co_return;
      }
      call.ttft_s = seconds(Clock::now() - call.received_at);
      call.snap->backend(b).ttft.observe(call.ttft_s);
    }
    if (committed && !out.empty()) {
      if (!co_await call.channel.send_chunk(to_client(out))) {
        r.outcome = Outcome::cancelled;
        r.bytes_sent = true;
        ex.abort();
        co_return;
      }
      out.clear();
    }
    if (ex.done()) {
      if (!committed) {
        r.outcome = Outcome::malformed;
        r.detail = "backend " + backend.name + " ended the stream without any event";
        co_return;
      }
      const bool complete = from_anthropic ? from_anthropic->finished() : transformer.done_seen();
      if (complete || (transformer.finish_seen() && !transformer.has_partial())) {
        // Complete; when only [DONE] was missing (the last choice had
        // finished), end it the way clients expect.
        std::string done = transformer.done_seen() ? std::string() : protocol::format_sse("[DONE]");
        std::string tail = to_client(done);
        if (to_anthropic) tail += to_anthropic->finish();
        if (tail.empty() || co_await call.channel.send_chunk(tail)) co_await call.channel.finish_stream();
      } else {
        co_await break_stream(Outcome::reset, "upstream stream ended before the answer was complete");
        break;
      }
      r.outcome = Outcome::success;
      r.bytes_sent = true;
      break;
    }
  }
  call.usage = transformer.usage();
  if (!call.usage.known && from_anthropic) call.usage = from_anthropic->usage();
  if (!call.usage.known && transformer.content_chunks() > 0) {
    // A broken stream is charged for what it used: the prompt estimate and one
    // token per content chunk received.
    call.usage.input = call.features.estimated_prompt_tokens;
    call.usage.output = static_cast<std::uint64_t>(transformer.content_chunks());
    call.usage.known = true;
  }
}

awaitable<void> ProxyHandler::relay_whole(Call& call, int b, upstream::Exchange& ex, AttemptResult& r) {
  const auto& backend = call.config().backends[b];
  std::string body;
  const auto failure = co_await ex.read_all(body, kMaxUpstreamBody);
  if (failure != upstream::TransportFailure::none) {
    r.outcome = outcome_of(failure);
    r.detail = "backend " + backend.name + ": " + upstream::to_string(failure) + " while reading the answer";
    co_return;
  }
  if (!prepare_whole_answer(call, backend, body, r)) co_return;
  call.cost_usd = call.usage.known ? cost::cost_usd(call.snap->backend(b).pricing,
                                                    {call.usage.input, call.usage.output, call.usage.cached})
                                   : 0.0;
  call.status = 200;
  auto res = json_response(call, 200, std::move(body));
  res.add("x-hybridgw-cost-usd", format_cost(call.cost_usd));
  r.bytes_sent = true;
  if (!co_await call.channel.send(std::move(res))) {
    r.outcome = Outcome::cancelled;
    call.status = 499;  // the answer did not reach the client
    co_return;
  }
  r.outcome = Outcome::success;
}

// The last failure, as the client sees it: an upstream's own 4xx reply goes
// back as it is; everything else becomes the gateway's error with its reason.
awaitable<void> ProxyHandler::reply_upstream_failure(Call& call, const AttemptResult& last) {
  switch (last.outcome) {
    case Outcome::bad_request:
    case Outcome::content_policy:
    case Outcome::context_length:
    case Outcome::http_429:
      if (last.upstream_status != 0) {
        call.status = last.upstream_status;
        call.outcome = failover::to_string(last.outcome);
        std::string body = last.upstream_body;
        if (last.upstream_anthropic != call.client_anthropic) {
          boost::system::error_code ec;
          auto parsed = json::parse(body, ec);
          if (!ec && parsed.is_object())
            body = last.upstream_anthropic
                       ? json::serialize(protocol::anthropic::error_to_openai(parsed.as_object()))
                       : protocol::anthropic::openai_error_to_anthropic(parsed.as_object(),
                                                                        static_cast<int>(last.upstream_status));
        }
        auto res = json_response(call, last.upstream_status, std::move(body));

        if (last.retry_after)
          res.add("Retry-After",
                  std::to_string(std::max<long>(1, (last.retry_after->count() + 999) / 1000)));
        co_await call.channel.send(std::move(res));
        co_return;
      }
      break;
    default: break;
  }
  const std::string message = last.detail.empty() ? failover::to_string(last.outcome) : last.detail;
  switch (last.outcome) {
    case Outcome::timeout_connect:
    case Outcome::timeout_first_token:
    case Outcome::timeout_idle:
    case Outcome::timeout_total:
      co_await reply_error(call, 504, "upstream timed out: " + message, "upstream_error",
                           failover::to_string(last.outcome));
      break;
    case Outcome::connect_error:  // nothing listens: compliant backends exist, none usable now
    case Outcome::circuit_open:
    case Outcome::queue_full:
      co_await reply_error(call, 503, "no backend available: " + message, "service_unavailable",
                           failover::to_string(last.outcome), 1);
      break;
    case Outcome::content_policy:
      co_await reply_error(call, 400, message, "invalid_request_error", "content_policy_violation");
      break;
    case Outcome::bad_request:  // could not be sent at all (e.g. not translatable)
      co_await reply_error(call, 400, message, "invalid_request_error", "invalid_request");
      break;
    default:
      co_await reply_error(call, 502, "upstream failed: " + message, "upstream_error",
                           failover::to_string(last.outcome));
  }
}

// ---------------------------------------------------------------------------
// Accounting: exactly once per request

void ProxyHandler::finish(Call& call) {
  auto& metrics = call.snap->metrics();
  const auto end = Clock::now();
  const double total = seconds(end - call.received_at);
  const unsigned code = call.status ? call.status : 500;
  metrics.requests(call.route_index, call.backend, call.tenant_index, code).Increment();
  metrics.duration(call.route_index, call.backend).Observe(total);
  if (call.ttft_s >= 0) metrics.ttft(call.route_index, call.backend).Observe(call.ttft_s);
  metrics.overhead(call.route_index).Observe(std::max(0.0, total - seconds(call.upstream_time)));

  if (call.usage.known && call.backend >= 0) {
    if (call.cost_usd == 0)
      call.cost_usd = cost::cost_usd(call.snap->backend(call.backend).pricing,
                                     {call.usage.input, call.usage.output, call.usage.cached});
    metrics.tokens(call.route_index, call.backend, call.tenant_index, 0).Increment(call.usage.input);
    metrics.tokens(call.route_index, call.backend, call.tenant_index, 1).Increment(call.usage.output);
    metrics.tokens(call.route_index, call.backend, call.tenant_index, 2).Increment(call.usage.cached);
    metrics.cost(call.route_index, call.backend, call.tenant_index).Increment(call.cost_usd);
    const auto now_sys = std::chrono::system_clock::now();
    state::UsageRecord rec;
    rec.route = call.route ? call.route->name : "";
    rec.backend = call.config().backends[call.backend].name;
    rec.tenant = call.tenant ? call.tenant->name : "";
    rec.input = call.usage.input;
    rec.output = call.usage.output;
    rec.cached = call.usage.cached;
    rec.cost_usd = call.cost_usd;
    rec.at = now_sys;
    services_.accounting().record(rec, cost::day_key(now_sys), cost::month_key(now_sys));
  }
  if (call.tenant && call.rate_charged_tokens > 0) {
    const std::int64_t actual = call.usage.known ? static_cast<std::int64_t>(call.usage.input + call.usage.output) : 0;
    services_.rate_limiter().correct(*call.tenant, actual - static_cast<std::int64_t>(call.rate_charged_tokens),
                                     Clock::now());
  }

  // Logs are formatted only when they are on: the hot path pays nothing for them otherwise.
  const bool audit_on = call.compliance && services_.audit_log()->enabled();
  const std::string now_text =
      services_.access_log().enabled() || audit_on ? obs::utc_now_rfc3339() : std::string();
  if (services_.access_log().enabled()) {
    obs::AccessRecord rec;
    rec.time = now_text;
    rec.request_id = call.request_id;
    rec.method = std::string(call.request.method_string());
    rec.path = call.path;
    rec.route = call.route ? call.route->name : "";
    rec.backend = call.backend >= 0 ? call.config().backends[call.backend].name : "";
    rec.tenant = call.tenant ? call.tenant->name : "";
    rec.status = code;
    rec.outcome = call.outcome;
    rec.attempts = call.attempts;
    rec.latency_ms = total * 1000;
    rec.ttft_ms = call.ttft_s >= 0 ? call.ttft_s * 1000 : -1;
    rec.stream = call.stream;
    rec.input_tokens = call.usage.input;
    rec.output_tokens = call.usage.output;
    rec.cached_tokens = call.usage.cached;
    rec.cost_usd = call.cost_usd;
    if (!call.decision.route.empty()) rec.decision = call.decision.short_form();
    services_.access_log().write(rec);
  }

  // The compliance audit trail: every request that reached the compliance
  // stage. Names, classes and counts only — never a detected value.
  if (audit_on) {
    if (auto audit = services_.audit_log()) {
      const auto& c = *call.compliance;
      obs::AuditRecord a;
      a.time = now_text;
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
      a.attempts = call.attempts;
      a.status = code;
      a.outcome = call.outcome;
      audit->write(a);
    }
  }
}

}  // namespace hgw::pipeline
