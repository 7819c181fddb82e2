// What the shadow judge reads of an answer (gateway/shadow/AnswerText): the
// text of a whole OpenAI answer, and the text of what a client received in
// its own format — OpenAI, Anthropic or Responses, whole or streamed — read
// back with the codecs. And the tap's sampling draws. Pure, no sockets.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "gateway/shadow/AnswerText.hpp"
#include "gateway/shadow/ShadowTap.hpp"

using namespace hgw;
namespace json = boost::json;

namespace {

json::object chat_answer(const std::string& text) {
  return json::parse(R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[)"
                     R"({"index":0,"message":{"role":"assistant","content":")" +
                     text + R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,)"
                            R"("total_tokens":5}})")
      .as_object();
}

// OpenAI chunk payloads of a streamed "Hello world".
std::vector<std::string> chunks() {
  auto chunk = [](const std::string& delta, const char* finish) {
    json::object choice{{"index", 0}, {"delta", json::parse(delta)}, {"finish_reason", nullptr}};
    if (finish) choice["finish_reason"] = finish;
    return json::serialize(json::object{{"id", "chatcmpl-1"},
                                        {"object", "chat.completion.chunk"},
                                        {"created", 1},
                                        {"model", "m"},
                                        {"choices", json::array{choice}}});
  };
  return {chunk(R"({"role":"assistant","content":"Hello"})", nullptr), chunk(R"({"content":" world"})", nullptr),
          chunk(R"({})", "stop"),
          R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],)"
          R"("usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})",
          "[DONE]"};
}

// What a client of `endpoint` receives for the stream above.
std::string client_stream(policy::Endpoint endpoint, const protocol::ClientContext& context) {
  const auto& codec = protocol::client_codec(endpoint);
  auto encoder = codec.stream_encoder(context);
  std::string out;
  for (const auto& c : chunks()) {
    if (!encoder) {
      out += protocol::format_sse(c);
      continue;
    }
    REQUIRE(encoder->feed(c, out));
  }
  if (encoder) out += encoder->finish();
  return out;
}

config::RouteConfig route(std::optional<double> shadow, std::optional<double> judge) {
  config::RouteConfig r;
  r.name = "chat";
  if (shadow) r.shadow = config::ShadowConfig{"cand", *shadow, 8};
  if (judge) r.judge = config::JudgeConfig{"judge", *judge};
  return r;
}

}  // namespace

TEST_CASE("answer text: a whole OpenAI answer, with tool calls as eval shows them", "[shadow]") {
  CHECK(shadow::openai_answer_text(chat_answer("It is 4.")) == "It is 4.");
  auto with_call = json::parse(R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[)"
                               R"({"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]})")
                       .as_object();
  const auto text = shadow::openai_answer_text(with_call);
  REQUIRE(text);
  CHECK(text->starts_with("[tool calls] "));
  CHECK(text->find("\"name\":\"f\"") != std::string::npos);
  CHECK(shadow::openai_answer_text(json::parse(R"({"choices":[{"text":"completed"}]})").as_object()) == "completed");
  CHECK_FALSE(shadow::openai_answer_text(json::parse(R"({"data":[]})").as_object()));
}

TEST_CASE("answer text: what each client received, whole and streamed, reads back to the same text", "[shadow]") {
  json::object responses_request{{"model", "auto"}, {"input", "hi"}};
  protocol::ClientContext context;
  context.model = "auto";
  context.request_id = "req-1";
  context.response_id = "resp_1";
  context.created_at = 1;
  context.request = &responses_request;
  for (auto endpoint : {policy::Endpoint::chat, policy::Endpoint::messages, policy::Endpoint::responses}) {
    INFO("client endpoint " << static_cast<int>(endpoint));
    const auto& client = protocol::client_codec(endpoint);
    const std::string whole = client.encode_answer(chat_answer("Hello world"), context);
    CHECK(shadow::client_answer_text(client, false, whole) == "Hello world");
    const std::string stream = client_stream(endpoint, context);
    CHECK(shadow::client_answer_text(client, true, stream) == "Hello world");
  }
  const auto& openai = protocol::client_codec(policy::Endpoint::chat);
  CHECK_FALSE(shadow::client_answer_text(openai, false, "not json"));
  CHECK_FALSE(shadow::client_answer_text(openai, true, "data: {broken\n\n"));
}

TEST_CASE("shadow tap: sample 0 never draws, 1 always, the judge only with a mirrored request", "[shadow]") {
  // A stand-in channel: the draws never touch it.
  struct NoChannel final : server::ClientChannel {
    awaitable<bool> send(server::Response) override { throw std::logic_error("unused"); }
    awaitable<bool> start_stream(server::Response) override { throw std::logic_error("unused"); }
    awaitable<bool> send_chunk(std::string_view) override { throw std::logic_error("unused"); }
    awaitable<bool> finish_stream() override { throw std::logic_error("unused"); }
    bool answered() const override { return false; }
    bool streaming() const override { return false; }
    std::shared_ptr<CloseWatch> watch_close(std::function<void()>) override { return nullptr; }
  } channel;
  shadow::ShadowTap tap(channel);
  int mirrored = 0, judged = 0;
  for (int i = 0; i < 1000; ++i) {
    tap.draw(route(0.0, 1.0));
    mirrored += tap.mirrored();
    judged += tap.judged();
  }
  CHECK(mirrored == 0);
  CHECK(judged == 0);
  for (int i = 0; i < 1000; ++i) {
    tap.draw(route(1.0, 0.0));
    mirrored += tap.mirrored();
    judged += tap.judged();
  }
  CHECK(mirrored == 1000);
  CHECK(judged == 0);
  tap.draw(route(1.0, 1.0));
  CHECK(tap.mirrored());
  CHECK(tap.judged());
  CHECK_FALSE(tap.kept());  // nothing answered yet
  tap.draw(route(std::nullopt, std::nullopt));
  CHECK_FALSE(tap.mirrored());
}
