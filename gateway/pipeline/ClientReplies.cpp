#include "gateway/pipeline/ClientReplies.hpp"

#include "policies/failover/ErrorMapping.hpp"

namespace hgw::pipeline {

namespace json = boost::json;

void add_gateway_headers(server::Response& res, const Call& call) {
  res.add("x-request-id", call.request_id);
  if (call.route) res.add("x-hybridgw-route", call.route->name);
  if (call.backend >= 0) res.add("x-hybridgw-backend", call.config().backends[call.backend].name);
  if (call.route) res.add("x-hybridgw-attempts", std::to_string(call.attempts));
  if (!call.decision_short.empty()) res.add("x-hybridgw-decision", call.decision_short);
  if (call.downgraded) res.add("x-hybridgw-downgraded", "budget");
}

server::Response json_response(const Call& call, unsigned status, std::string body) {
  server::Response res{status};
  res.add("Content-Type", "application/json");
  res.add("Server", "hybridgw");
  add_gateway_headers(res, call);
  res.body = std::move(body);
  return res;
}

awaitable<void> reply_error(Call& call, unsigned status, std::string_view message, std::string_view type,
                            std::string_view code, std::uint32_t retry_after_s) {
  call.status = status;
  call.outcome = std::string(code.empty() ? type : code);
  auto res = json_response(call, status, call.client->error_body(status, message, type, code));
  if (retry_after_s > 0) res.add("Retry-After", std::to_string(retry_after_s));
  co_await call.channel.send(std::move(res));
}

namespace {

// An upstream error body for this client: unchanged for a client of the same
// dialect, else through the OpenAI format.
std::string upstream_body_for_client(const Call& call, const AttemptResult& last) {
  if (!last.upstream_codec || last.upstream_codec->dialect() == call.client->dialect()) return last.upstream_body;
  boost::system::error_code ec;
  auto parsed = json::parse(last.upstream_body, ec);
  if (ec || !parsed.is_object()) return last.upstream_body;
  return call.client->upstream_error(last.upstream_codec->error_to_openai(parsed.as_object()), last.upstream_status);
}

}  // namespace

awaitable<void> reply_upstream_failure(Call& call, const AttemptResult& last) {
  if (last.upstream_status != 0 && failover::upstream_reply_passes(last.outcome)) {
    call.status = last.upstream_status;
    call.outcome = failover::to_string(last.outcome);
    auto res = json_response(call, last.upstream_status, upstream_body_for_client(call, last));
    if (last.retry_after)
      res.add("Retry-After", std::to_string(std::max<long>(1, (last.retry_after->count() + 999) / 1000)));
    co_await call.channel.send(std::move(res));
    co_return;
  }
  const auto reply = failover::error_reply_for(last.outcome);
  const std::string detail = last.detail.empty() ? failover::to_string(last.outcome) : last.detail;
  co_await reply_error(call, reply.status, reply.message_prefix + detail, reply.type,
                       reply.code ? reply.code : failover::to_string(last.outcome), reply.retry_after_s);
}

}  // namespace hgw::pipeline
