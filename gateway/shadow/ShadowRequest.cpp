#include "gateway/shadow/ShadowRequest.hpp"

#include "gateway/shadow/AnswerText.hpp"
#include "gateway/shadow/BackendCall.hpp"
#include "gateway/shadow/ShadowJudge.hpp"

#include <iostream>
#include <optional>

namespace hgw::shadow {

namespace json = boost::json;

namespace {

// What a judgement needs, copied out of the live request.
struct JudgePlan {
  int backend = -1;
  bool eligible = false;
  eval::EvalCase conversation;  // the request's messages, as the judge reads them
  std::string primary_answer;   // what the client received, as text
};

// Everything a mirrored request needs once the live request is gone.
struct ShadowJob {
  std::shared_ptr<pipeline::Snapshot> snap;
  int route = -1, shadow = -1, primary = -1;
  policy::Endpoint endpoint = policy::Endpoint::chat;
  std::string body;        // encoded for the shadow backend
  std::string request_id;  // sent upstream as x-request-id
  std::optional<JudgePlan> judge;
};

const char* outcome_of(BackendReply::Result r) {
  switch (r) {
    case BackendReply::Result::answered: return "success";
    case BackendReply::Result::timed_out: return "timeout";
    case BackendReply::Result::refused:
    case BackendReply::Result::cancelled: return "dropped";
    case BackendReply::Result::failed: return "error";
  }
  return "error";
}

void record_judgement(pipeline::Services& services, const ShadowJob& job, const Judgement& j) {
  auto& metrics = job.snap->metrics();
  const auto& cfg = job.snap->config();
  const auto& route = cfg.routes[job.route].name;
  const auto& primary = cfg.backends[job.primary].name;
  const auto& shadow = cfg.backends[job.shadow].name;
  metrics.judge_score(job.route, job.primary).Observe(j.primary_score);
  metrics.judge_score(job.route, job.shadow).Observe(j.shadow_score);
  const bool primary_won = j.pair == eval::PairOutcome::a_wins;
  const bool shadow_won = j.pair == eval::PairOutcome::b_wins;
  const bool tie = !primary_won && !shadow_won;
  metrics.judge_wins(job.route, primary_won ? primary : shadow_won ? shadow : std::string("tie")).Increment();
  const auto now = std::chrono::system_clock::now();
  services.accounting().record_judgement({route, primary, 1, primary_won ? 1u : 0u, tie ? 1u : 0u,
                                          static_cast<double>(j.primary_score), now});
  services.accounting().record_judgement({route, shadow, 1, shadow_won ? 1u : 0u, tie ? 1u : 0u,
                                          static_cast<double>(j.shadow_score), now});
}

awaitable<void> judge(pipeline::Services& services, BackgroundContext& ctx, ShadowJob& job, const BackendReply& reply) {
  auto& metrics = job.snap->metrics();
  auto& plan = *job.judge;
  std::optional<std::string> shadow_text = openai_answer_text(reply.answer);
  if (!plan.eligible || !shadow_text) {
    metrics.judgements(job.route, plan.backend, "ineligible").Increment();
    co_return;
  }
  const std::string shadow_answer = std::move(*shadow_text);
  const Judgement j = co_await judge_pair(ctx, plan.backend, plan.conversation, plan.primary_answer, shadow_answer,
                                          job.request_id);
  metrics.shadow_cost(job.route, plan.backend).Increment(j.cost_usd);
  metrics.judgements(job.route, plan.backend, to_string(j.result)).Increment();
  if (j.result == Judgement::Result::scored) record_judgement(services, job, j);
}

awaitable<void> run(pipeline::Services& services, upstream::PoolSet& pools,
                    std::unique_ptr<ShadowTraffic::Ticket> ticket, ShadowJob job) {
  auto& metrics = job.snap->metrics();
  BackgroundContext ctx{job.snap, pools, ticket->task()};
  try {
    const BackendReply reply = co_await call_backend(ctx, job.shadow, job.endpoint, job.body, job.request_id);
    metrics.shadow_cost(job.route, job.shadow).Increment(reply.cost_usd);
    metrics.shadow(job.route, job.shadow, outcome_of(reply.result)).Increment();
    if (reply.result == BackendReply::Result::answered && job.judge) co_await judge(services, ctx, job, reply);
  } catch (const std::exception& e) {
    std::cerr << "hybridgw: shadow request " << job.request_id << " failed inside the gateway: " << e.what() << "\n";
  }
}

// The request as its shadow backend gets it: the body its compliance decision
// allows there, never streamed.
bool encode_shadow_body(const pipeline::Call& call, const config::BackendConfig& backend, std::string& out,
                        std::string& why) {
  const bool remote = backend.locality == config::Locality::remote;
  const json::value& body = (remote && call.redacted_body) ? *call.redacted_body : call.body;
  if (!call.stream) return encode_request(backend, body.as_object(), out, why);
  json::object whole(body.as_object(), json::storage_ptr());
  whole.erase("stream");
  whole.erase("stream_options");
  return encode_request(backend, whole, out, why);
}

// Whether, and with what, the judge may compare the answers of this request.
std::optional<JudgePlan> plan_judge(const pipeline::Call& call, const ShadowTap& tap) {
  const auto& route = *call.route;
  if (!tap.judged() || !route.judge || call.endpoint != policy::Endpoint::chat) return std::nullopt;
  JudgePlan plan;
  plan.backend = call.config().backend_index(route.judge->backend);
  if (plan.backend < 0) return std::nullopt;
  // The judge reads the conversation and both answers: only a backend the
  // request may go to, and one that would not have needed a redacted copy.
  const auto& verdicts = call.compliance->backends;
  const auto& v = verdicts[static_cast<std::size_t>(plan.backend)];
  const bool needs_redaction = v.redact && call.redacted_body;
  const auto* messages = call.body.as_object().if_contains("messages");
  if (!v.eligible || needs_redaction || !tap.kept() || !messages || !messages->is_array()) return plan;
  auto text = client_answer_text(*call.client, tap.streamed(), tap.bytes());
  if (!text) return plan;
  plan.primary_answer = std::move(*text);
  plan.conversation.id = call.request_id;
  plan.conversation.messages = json::array(messages->as_array(), json::storage_ptr());
  plan.eligible = true;
  return plan;
}

}  // namespace

void start_shadow(pipeline::Services& services, upstream::PoolSet& pools, pipeline::Call& call,
                  const ShadowTap& tap, Executor executor) {
  if (!tap.mirrored() || !call.route || !call.route->shadow) return;
  // Only an answered request has an answer to compare with.
  if (call.status != 200 || call.outcome != "success" || call.backend < 0) return;
  const auto& cfg = call.config();
  const auto& route = *call.route;
  const int s = cfg.backend_index(route.shadow->backend);
  if (s < 0 || call.route_index < 0) return;
  auto& metrics = call.snap->metrics();
  auto count = [&](const char* outcome) { metrics.shadow(call.route_index, s, outcome).Increment(); };

  // Compliance as the live request had it: the shadow backend must be one
  // the request may reach (fail closed when there is no decision).
  const auto& backend = cfg.backends[s];
  const bool allowed = call.compliance && static_cast<std::size_t>(s) < call.compliance->backends.size() &&
                       call.compliance->backends[s].eligible;
  if (!allowed || s == call.backend || !protocol::backend_codec(backend.protocol).serves(call.endpoint)) {
    count("ineligible");
    return;
  }
  // Live traffic first: nothing new while the gateway is over its limit.
  const auto limit = cfg.server.limits.max_inflight;
  if (services.draining.load() || (limit > 0 && services.inflight_requests.load() > static_cast<long>(limit))) {
    count("dropped");
    return;
  }
  ShadowJob job;
  std::string why;
  if (!encode_shadow_body(call, backend, job.body, why)) {
    count("error");
    return;
  }
  auto ticket = services.shadows().enter(route.name, route.shadow->max_inflight, executor);
  if (!ticket) {
    count("dropped");
    return;
  }
  job.snap = call.snap;
  job.route = call.route_index;
  job.shadow = s;
  job.primary = call.backend;
  job.endpoint = call.endpoint;
  job.request_id = call.request_id;
  job.judge = plan_judge(call, tap);
  net::co_spawn(executor, run(services, pools, std::move(ticket), std::move(job)), net::detached);
}

}  // namespace hgw::shadow
