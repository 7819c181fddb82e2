// The pure stream pipeline, with recorded streams of each dialect on each
// side: the client bytes are the same however the upstream bytes are split,
// and each client gets a complete stream in its own format.
#include <catch2/catch.hpp>

#include <regex>

#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/StreamPipeline.hpp"

#include <boost/json.hpp>

using namespace hgw;
using protocol::StreamPipeline;
using State = StreamPipeline::State;

namespace {

protocol::ClientContext context(std::string_view model, std::string_view request_id) {
  protocol::ClientContext c;
  c.model = model;
  c.request_id = request_id;
  return c;
}

// vLLM's shape: a role-only first chunk, content, finish, a usage chunk, [DONE].
const std::string kOpenAiStream =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo, 世界\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n"
    "data: [DONE]\n\n";

// Anthropic's shape, with a ping and CRLF line ends.
const std::string kAnthropicStream =
    "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":12,"
    "\"output_tokens\":1}}}\r\n\r\n"
    "event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
    "{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n"
    "event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n"
    "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"Hel\"}}\r\n\r\n"
    "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"lo, 世界\"}}\r\n\r\n"
    "event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"
    "event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":3}}\r\n\r\n"
    "event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n";

// A native Responses stream (protocol: openai-responses).
const std::string kResponsesStream =
    "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"created_at\":1,"
    "\"model\":\"m\",\"status\":\"in_progress\",\"output\":[]},\"sequence_number\":0}\n\n"
    "event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"response\":{\"id\":\"resp_1\","
    "\"status\":\"in_progress\",\"output\":[]},\"sequence_number\":1}\n\n"
    "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,"
    "\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[]},\"sequence_number\":2}\n\n"
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\","
    "\"output_index\":0,\"content_index\":0,\"delta\":\"Hel\",\"sequence_number\":3}\n\n"
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\","
    "\"output_index\":0,\"content_index\":0,\"delta\":\"lo, 世界\",\"sequence_number\":4}\n\n"
    "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\","
    "\"status\":\"completed\",\"output\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":3}},\"sequence_number\":5}\n\n";

struct Side {
  config::Protocol backend;
  policy::Endpoint client;
  const std::string* upstream;
};

struct Run {
  std::string out;
  State state = State::ok;
  bool finished = false;
  protocol::TokenUsage usage;
  int events = 0;
};

protocol::ClientContext context_for(policy::Endpoint client) {
  protocol::ClientContext c = context("auto", "req-1");
  if (client == policy::Endpoint::responses) {
    c.response_id = "resp_gw";
    c.created_at = 1;
  }
  return c;
}

// The Anthropic decoder stamps OpenAI chunks with the wall clock's second:
// runs a second apart differ there and nowhere else.
std::string same_second(std::string client_bytes) {
  static const std::regex created(R"("created":[0-9]+)");
  return std::regex_replace(client_bytes, created, R"("created":0)");
}

Run run(const Side& s, const std::vector<std::string_view>& pieces) {
  StreamPipeline p(protocol::backend_codec(s.backend), protocol::client_codec(s.client), context_for(s.client), true,
                   nullptr);
  Run r;
  for (auto piece : pieces) {
    r.state = p.feed(piece, r.out);
    if (r.state != State::ok) return r;
  }
  r.finished = p.finish(r.out);
  r.usage = p.usage();
  r.events = p.events();
  return r;
}

// The text a client's stream carries, in either dialect.
std::string text_of(const std::string& client_bytes, policy::Endpoint client) {
  protocol::SseParser parser;
  std::vector<protocol::SseEvent> events;
  parser.feed(client_bytes, events);
  std::string text;
  for (const auto& e : events) {
    if (e.data == "[DONE]") continue;
    auto v = boost::json::parse(e.data).as_object();
    if (client == policy::Endpoint::messages) {
      if (v.at("type") == "content_block_delta") text += std::string(v.at("delta").at("text").as_string());
    } else if (client == policy::Endpoint::responses) {
      if (v.at("type") == "response.output_text.delta") text += std::string(v.at("delta").as_string());
    } else if (auto* choices = v.if_contains("choices"); choices && !choices->as_array().empty()) {
      const auto& delta = choices->as_array()[0].at("delta").as_object();
      if (auto* c = delta.if_contains("content"); c && c->is_string()) text += std::string(c->as_string());
    }
  }
  return text;
}

}  // namespace

TEST_CASE("stream pipeline: every dialect pair, every byte split, the same client bytes", "[stream][pipeline]") {
  const std::vector<Side> sides = {
      {config::Protocol::openai, policy::Endpoint::chat, &kOpenAiStream},
      {config::Protocol::anthropic, policy::Endpoint::chat, &kAnthropicStream},
      {config::Protocol::openai, policy::Endpoint::messages, &kOpenAiStream},
      {config::Protocol::anthropic, policy::Endpoint::messages, &kAnthropicStream},
      {config::Protocol::openai_responses, policy::Endpoint::chat, &kResponsesStream},
      {config::Protocol::openai_responses, policy::Endpoint::messages, &kResponsesStream},
      {config::Protocol::openai_responses, policy::Endpoint::responses, &kResponsesStream},
      {config::Protocol::openai, policy::Endpoint::responses, &kOpenAiStream},
      {config::Protocol::anthropic, policy::Endpoint::responses, &kAnthropicStream},
  };
  for (const auto& side : sides) {
    const std::string& up = *side.upstream;
    INFO("backend " << config::to_string(side.backend) << ", client "
                    << (side.client == policy::Endpoint::messages ? "anthropic" : "openai"));
    const Run whole = run(side, {up});
    REQUIRE(whole.state == State::ok);
    REQUIRE(whole.finished);
    CHECK(whole.usage.known);
    CHECK(whole.usage.input == 12);
    CHECK(whole.usage.output == 3);
    CHECK(text_of(whole.out, side.client) == "Hello, 世界");
    if (side.client == policy::Endpoint::messages) {
      CHECK(whole.out.find("event: message_stop") != std::string::npos);
      CHECK(whole.out.find("[DONE]") == std::string::npos);
    } else if (side.client == policy::Endpoint::responses) {
      CHECK(whole.out.find("event: response.completed") != std::string::npos);
      CHECK(whole.out.find("[DONE]") == std::string::npos);
    } else {
      CHECK(whole.out.size() >= 14);
      CHECK(whole.out.substr(whole.out.size() - 14) == "data: [DONE]\n\n");
    }
    for (std::size_t i = 0; i <= up.size(); ++i) {
      const std::string_view v(up);
      const Run split = run(side, {v.substr(0, i), v.substr(i)});
      INFO("split at byte " << i);
      REQUIRE(split.state == State::ok);
      REQUIRE(split.finished);
      REQUIRE(same_second(split.out) == same_second(whole.out));
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < up.size(); ++i) bytes.push_back(std::string_view(up).substr(i, 1));
    CHECK(same_second(run(side, bytes).out) == same_second(whole.out));
  }
}

TEST_CASE("stream pipeline: broken streams say why, in each dialect", "[stream][pipeline]") {
  // An upstream error event (Anthropic), an in-stream error object (OpenAI).
  const std::string anthropic_error =
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  const Run a = run({config::Protocol::anthropic, policy::Endpoint::chat, &anthropic_error}, {anthropic_error});
  CHECK(a.state == State::upstream_error);
  const std::string openai_error = "data: {\"error\":{\"message\":\"engine died\",\"type\":\"server_error\"}}\n\n";
  const Run o = run({config::Protocol::openai, policy::Endpoint::messages, &openai_error}, {openai_error});
  CHECK(o.state == State::upstream_error);
  // Cut before the end: not finished.
  const std::string cut = kOpenAiStream.substr(0, kOpenAiStream.find("\"finish_reason\":\"stop\"") - 60);
  const Run c = run({config::Protocol::openai, policy::Endpoint::chat, &cut}, {cut});
  CHECK(c.state == State::ok);
  CHECK_FALSE(c.finished);
  // The error event each client reads.
  StreamPipeline to_openai(protocol::backend_codec(config::Protocol::openai),
                           protocol::client_codec(policy::Endpoint::chat), context("auto", "r"), false,
                           nullptr);
  CHECK(to_openai.error_event("boom").find("event: error\ndata: {\"error\":{\"message\":\"boom\"") == 0);
  StreamPipeline to_anthropic(protocol::backend_codec(config::Protocol::openai),
                              protocol::client_codec(policy::Endpoint::messages), context("auto", "r"), false,
                              nullptr);
  CHECK(to_anthropic.error_event("boom").find("\"type\":\"error\"") != std::string::npos);
}

TEST_CASE("stream pipeline: the preamble is held back until the first content, at every split", "[stream][pipeline]") {
  // Everything before the first text delta says nothing yet: vLLM's role-only
  // chunk; Anthropic's message_start, content_block_start and ping; the
  // Responses created / in_progress / output_item.added events.
  const std::vector<Side> sides = {
      {config::Protocol::openai, policy::Endpoint::chat, &kOpenAiStream},
      {config::Protocol::anthropic, policy::Endpoint::chat, &kAnthropicStream},
      {config::Protocol::openai_responses, policy::Endpoint::chat, &kResponsesStream},
      {config::Protocol::openai, policy::Endpoint::messages, &kOpenAiStream},
      {config::Protocol::anthropic, policy::Endpoint::messages, &kAnthropicStream},
      {config::Protocol::openai, policy::Endpoint::responses, &kOpenAiStream},
      {config::Protocol::openai_responses, policy::Endpoint::responses, &kResponsesStream},
  };
  for (const auto& side : sides) {
    const std::string& up = *side.upstream;
    const std::size_t first_content = up.rfind("\n\n", up.find("Hel")) + 2;
    INFO("backend " << config::to_string(side.backend) << ", client " << policy::to_string(side.client));
    const Run whole = run(side, {up});
    for (std::size_t i = 0; i <= first_content; ++i) {
      INFO("split at byte " << i);
      StreamPipeline p(protocol::backend_codec(side.backend), protocol::client_codec(side.client),
                       context_for(side.client), true, nullptr);
      std::string out;
      REQUIRE(p.feed(std::string_view(up).substr(0, i), out) == State::ok);
      REQUIRE(p.feed(std::string_view(up).substr(i, first_content - i), out) == State::ok);
      REQUIRE(out.empty());
      REQUIRE_FALSE(p.committed());
      // The preamble, then the end: incomplete, and nothing was sent — the
      // attempt may fail over.
      if (i == first_content) {
        std::string end;
        CHECK_FALSE(p.finish(end));
        CHECK(end.empty());
      }
      REQUIRE(p.feed(std::string_view(up).substr(first_content), out) == State::ok);
      REQUIRE(p.committed());
      REQUIRE(p.finish(out));
      REQUIRE(out == whole.out);  // released in order with the first content
    }
  }
}

TEST_CASE("stream pipeline: an answer without content commits at its end; the filter's stop commits", "[stream][pipeline]") {
  const std::string empty_answer =
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  const Run r = run({config::Protocol::openai, policy::Endpoint::chat, &empty_answer}, {empty_answer});
  CHECK(r.finished);
  CHECK(r.out == empty_answer);

  // A tool call is content: the stream commits on its first delta.
  const std::string tool_call =
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
      "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n";
  StreamPipeline p(protocol::backend_codec(config::Protocol::openai), protocol::client_codec(policy::Endpoint::chat),
                   context("auto", "r"), true, nullptr);
  std::string out;
  REQUIRE(p.feed(tool_call, out) == State::ok);
  CHECK(p.committed());
  CHECK(out == tool_call);

  // commit() releases what is held back.
  StreamPipeline q(protocol::backend_codec(config::Protocol::openai), protocol::client_codec(policy::Endpoint::chat),
                   context("auto", "r"), true, nullptr);
  std::string held;
  const std::string preamble = empty_answer.substr(0, empty_answer.find("\n\n") + 2);
  REQUIRE(q.feed(preamble, held) == State::ok);
  CHECK(held.empty());
  q.commit(held);
  CHECK(held == preamble);
}
