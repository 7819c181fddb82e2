#include "gateway/pipeline/AnswerRelay.hpp"

#include "gateway/pipeline/AnswerFilter.hpp"
#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/Conversation.hpp"
#include "gateway/pipeline/TransportOutcome.hpp"
#include "gateway/protocol/UsageScanner.hpp"
#include "policies/cost/Pricing.hpp"

#include <charconv>

namespace hgw::pipeline {

namespace json = boost::json;
using failover::Outcome;

namespace {

constexpr std::size_t kMaxUpstreamBody = 64 * 1024 * 1024;  // a whole non-streamed answer

std::string format_cost(double usd) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, usd, std::chars_format::fixed, 10).ptr;
  return std::string(buf, end);
}

// Reads the usage of a whole answer and applies what must change on the way.
// Synchronous, so that the parse arena is on the stack. Returns false with r
// filled when the answer cannot be sent.
bool prepare(Call& call, const config::BackendConfig& backend, std::string& body, AttemptResult& r) {
  const auto& codec = protocol::backend_codec(backend.protocol);
  auto filter = make_answer_filter(call);
  auto not_a_json_object = [&] {
    r.outcome = Outcome::malformed;
    r.detail = "backend " + backend.name + " sent an answer that is not a JSON object";
    return false;
  };
  if (codec.speaks_openai() && call.client->speaks_openai() && !filter) {
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
  if (!codec.speaks_openai()) answer = codec.answer_to_openai(answer.as_object());
  auto& obj = answer.as_object();
  call.usage = protocol::read_usage(obj);
  if (filter && !filter_whole_answer(obj, *filter)) {
    r.outcome = Outcome::content_policy;
    r.detail = "answer stopped by the output filter: " + filter->stop_reason();
    return false;
  }
  body = call.client->encode_answer(obj, call.client_context());
  if (call.responses) call.responses->response = json::parse(body);  // kept for previous_response_id
  return true;
}

}  // namespace

awaitable<void> relay_answer(Call& call, int b, upstream::Exchange& ex, AttemptResult& r) {
  const auto& backend = call.config().backends[b];
  std::string body;
  const auto failure = co_await ex.read_all(body, kMaxUpstreamBody);
  if (failure != upstream::TransportFailure::none) {
    r.outcome = outcome_of(failure);
    r.detail = "backend " + backend.name + ": " + upstream::to_string(failure) + " while reading the answer";
    co_return;
  }
  if (!prepare(call, backend, body, r)) co_return;
  call.cost_usd = call.usage.known ? cost::cost_usd(call.snap->backend(b).pricing,
                                                    {call.usage.input, call.usage.output, call.usage.cached})
                                   : 0.0;
  call.status = 200;
  if (call.responses) co_await keep_turn(call.services, call);  // before the client can ask for it
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

}  // namespace hgw::pipeline
