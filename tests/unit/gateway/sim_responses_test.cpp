// hybridgw-sim's native Responses API and its tool calls (chat and Responses):
// response shapes and fault modes without sockets, then streaming, pacing and
// faults over loopback, and the simulator's streams read back by the gateway's
// own Responses stream code.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/protocol/ResponsesStream.hpp"
#include "gateway/protocol/ResponsesBackend.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "tests/sim/ResponseBuilder.hpp"
#include "tests/sim/SimState.hpp"
#include "tests/sim/SimToolCall.hpp"
#include "tests/sim/Simulator.hpp"
#include "tests/unit/gateway/SimClient.hpp"

// Designated initialisers leave the other members at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace hgw::testing;
using hgw::sim::SimOptions;
using hgw::sim::Simulator;

const std::string kWeatherTool =
    R"({"type":"function","name":"get_weather","description":"Weather now","parameters":{"type":"object",
        "properties":{"city":{"type":"string"},"days":{"type":"integer"},"unit":{"type":"string","enum":["c","f"]}},
        "required":["city"]}})";

SimOptions five_tokens() {
  SimOptions o;
  o.tokens = 5;
  o.cached_tokens = 2;
  return o;
}

hgw::sim::Plan plan(std::string_view body, std::string_view fault = {}, const SimOptions& o = five_tokens()) {
  hgw::sim::SimState state(o);
  hgw::sim::Inbound in;
  in.method = "POST";
  in.target = "/v1/responses";
  in.body = body;
  in.has_fault_header = !fault.empty();
  in.fault_header = fault;
  return hgw::sim::build_response(in, state);
}

std::vector<hgw::protocol::SseEvent> events_of(const hgw::sim::Plan& p) {
  std::string wire;
  for (const auto& c : p.chunks) wire += c.data;
  hgw::protocol::SseParser parser;
  std::vector<hgw::protocol::SseEvent> events;
  REQUIRE(parser.feed(wire, events));
  return events;
}

std::vector<std::string> types_of(const std::vector<hgw::protocol::SseEvent>& events) {
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.event);
  return types;
}

}  // namespace

TEST_CASE("sim responses: non-streamed text, usage, echoed parameters", "[sim][responses]") {
  auto p = plan(R"({"model":"m1","instructions":"be brief","input":"hello world","temperature":0.3,"metadata":{"a":"b"}})");
  REQUIRE(p.status == 200);
  CHECK(p.kind == hgw::sim::Plan::Kind::full);
  auto v = json::parse(p.body);
  CHECK(v.at("object") == "response");
  CHECK(v.at("id").as_string().starts_with("resp_sim_"));
  CHECK(v.at("status") == "completed");
  CHECK(v.at("model") == "m1");
  CHECK(v.at("instructions") == "be brief");
  CHECK(v.at("temperature") == 0.3);
  CHECK(v.at("metadata") == json::parse(R"({"a":"b"})"));
  const auto& item = v.at("output").at(0);
  CHECK(item.at("type") == "message");
  CHECK(item.at("role") == "assistant");
  CHECK(item.at("id").as_string().starts_with("msg_sim_"));
  CHECK(item.at("content").at(0).at("text") == "tok0 tok1 tok2 tok3 tok4 ");
  // "be brief" + "hello world" = 19 characters = 5 tokens.
  CHECK(v.at("usage") == json::parse(R"({"input_tokens":5,"input_tokens_details":{"cached_tokens":2},"output_tokens":5,
      "output_tokens_details":{"reasoning_tokens":0},"total_tokens":10})"));
}

TEST_CASE("sim responses: max_output_tokens, echo model and item input", "[sim][responses]") {
  auto v = json::parse(plan(R"({"model":"m","input":"x","max_output_tokens":2})").body);
  CHECK(v.at("status") == "incomplete");
  CHECK(v.at("incomplete_details") == json::parse(R"({"reason":"max_output_tokens"})"));
  CHECK(v.at("output").at(0).at("status") == "incomplete");
  CHECK(v.at("output").at(0).at("content").at(0).at("text") == "tok0 tok1 ");

  v = json::parse(plan(R"({"model":"echo","input":[{"role":"user","content":"first"},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"x"}]},
      {"type":"message","role":"user","content":[{"type":"input_text","text":"abcdefg"}]}]})")
                      .body);
  CHECK(v.at("output").at(0).at("content").at(0).at("text") == "abcdefg");
  CHECK(v.at("usage").at("output_tokens") == 3);  // "abc" "def" "g"
  CHECK(v.at("usage").at("input_tokens") == 4);   // 5 + 1 + 7 characters
}

TEST_CASE("sim tool calls: named function tools are called with schema-shaped arguments", "[sim][responses]") {
  CHECK(hgw::sim::arguments_for(nullptr) == "{}");
  const json::value tool = json::parse(kWeatherTool);
  CHECK(json::parse(hgw::sim::arguments_for(&tool.at("parameters"))) ==
        json::parse(R"({"city":"sim","days":1,"unit":"c"})"));

  auto v = json::parse(plan(R"({"model":"m","tools":[)" + kWeatherTool + R"(],"input":"use get_weather for Paris"})").body);
  REQUIRE(v.at("output").as_array().size() == 1);
  const auto& call = v.at("output").at(0);
  CHECK(call.at("type") == "function_call");
  CHECK(call.at("name") == "get_weather");
  CHECK(call.at("call_id").as_string().starts_with("call_sim_"));
  CHECK(json::parse(call.at("arguments").as_string()) == json::parse(R"({"city":"sim","days":1,"unit":"c"})"));
  CHECK(v.at("status") == "completed");

  // After the tool ran the model answers; a name inside another word is no call.
  v = json::parse(plan(R"({"model":"m","tools":[)" + kWeatherTool + R"(],"input":[
      {"role":"user","content":"use get_weather"},
      {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},
      {"type":"function_call_output","call_id":"c1","output":"sunny"}]})")
                      .body);
  CHECK(v.at("output").at(0).at("type") == "message");
  v = json::parse(plan(R"({"model":"m","tools":[)" + kWeatherTool + R"(],"input":"get_weathers"})").body);
  CHECK(v.at("output").at(0).at("type") == "message");

  // The chat path calls the same way.
  hgw::sim::SimState state{SimOptions{}};
  hgw::sim::Inbound in;
  in.method = "POST";
  in.target = "/v1/chat/completions";
  const std::string chat = R"({"model":"m","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
      "messages":[{"role":"user","content":"call get_weather please"}]})";
  in.body = chat;
  auto c = json::parse(hgw::sim::build_response(in, state).body);
  CHECK(c.at("choices").at(0).at("finish_reason") == "tool_calls");
  CHECK(c.at("choices").at(0).at("message").at("content").is_null());
  CHECK(c.at("choices").at(0).at("message").at("tool_calls").at(0).at("function") ==
        json::parse(R"({"name":"get_weather","arguments":"{\"city\":\"sim\"}"})"));
  CHECK(c.at("usage").at("completion_tokens") == 4);  // 14 bytes of arguments
}

TEST_CASE("sim responses: the stream's events, numbering and pacing", "[sim][responses]") {
  SimOptions o = five_tokens();
  o.tokens = 3;
  o.ttft_ms = 40;
  o.token_delay_ms = 7;
  auto p = plan(R"({"model":"m","input":"hi","stream":true})", {}, o);
  REQUIRE(p.kind == hgw::sim::Plan::Kind::stream);
  CHECK(p.streaming_request);
  const auto events = events_of(p);
  CHECK(types_of(events) == std::vector<std::string>{
                                "response.created", "response.in_progress", "response.output_item.added",
                                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                                "response.output_item.done", "response.completed"});
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto d = json::parse(events[i].data);
    CHECK(d.at("type").as_string() == events[i].event);
    CHECK(d.at("sequence_number") == i);
  }
  // The first event waits for the time to first token, later tokens for the token delay.
  std::vector<int> delays;
  for (const auto& c : p.chunks) delays.push_back(c.delay_ms);
  CHECK(delays == std::vector<int>{40, 0, 0, 0, 0, 7, 7, 0, 0, 0, 0});
  const auto done = json::parse(events.back().data).at("response");
  CHECK(done.at("output").at(0).at("content").at(0).at("text") == "tok0 tok1 tok2 ");
  CHECK(done.at("usage").at("output_tokens") == 3);

  const auto call = events_of(plan(R"({"model":"m","stream":true,"tools":[)" + kWeatherTool + R"(],"input":"get_weather?"})"));
  CHECK(types_of(call) == std::vector<std::string>{"response.created", "response.in_progress", "response.output_item.added",
                                                   "response.function_call_arguments.delta",
                                                   "response.function_call_arguments.delta",
                                                   "response.function_call_arguments.delta",
                                                   "response.function_call_arguments.delta",
                                                   "response.function_call_arguments.delta",
                                                   "response.function_call_arguments.done",
                                                   "response.output_item.done", "response.completed"});
}

TEST_CASE("sim responses: fault modes", "[sim][responses]") {
  const std::string stream = R"({"model":"m","input":"hi","stream":true})";
  auto p = plan(stream, "status=429,retry_after=3");
  CHECK(p.status == 429);
  CHECK(json::parse(p.body).at("error").at("code") == "rate_limit_exceeded");
  CHECK(p.streaming_request);
  CHECK(plan(R"({"model":"fault:status=502","input":"x"})").status == 502);
  CHECK(plan(stream, "reset").kind == hgw::sim::Plan::Kind::reset);
  CHECK(plan(stream, "hang").kind == hgw::sim::Plan::Kind::hang);
  CHECK(plan(stream, "context_length").status == 400);

  p = plan(stream, "malformed=4");
  CHECK(p.chunks.at(4).data == "data: {not json\n\n");
  p = plan(stream, "no_done");
  CHECK(types_of(events_of(p)).back() == "response.output_item.done");  // no terminal event
  CHECK(plan(stream, "cut=3").cut_after == 3);
  CHECK(plan(stream, "stall=2").stall_after == 2);
  CHECK(plan(R"({"model":"m","input":"x"})", "cut=1").cut_after == 0);  // non-streamed: cut mid-body
  CHECK(plan("{not json").status == 400);
}

// ---------------------------------------------------------------- over loopback

TEST_CASE("sim responses over the wire: streamed events read back by the gateway's reader", "[sim][responses]") {
  SimOptions o;
  o.tokens = 4;
  o.token_delay_ms = 30;
  o.cached_tokens = 1;
  Simulator sim(o);
  const auto port = sim.start();

  auto r = send(port, {.target = "/v1/responses", .body = R"({"model":"m","input":"hello","stream":true})"});
  REQUIRE_FALSE(r.ec);
  CHECK(r.status == 200);
  CHECK(r.headers[http::field::content_type] == "text/event-stream");
  REQUIRE(r.events.size() == 12);
  CHECK(r.events[0].starts_with("event: response.created\ndata: {"));
  CHECK(r.event_ms[7] - r.event_ms[4] >= 85);  // three token delays between the first and last delta

  hgw::protocol::responses::ResponsesStreamToChat reader("chatcmpl-sim");
  hgw::protocol::SseParser parser;
  std::vector<hgw::protocol::SseEvent> events;
  std::vector<std::string> chunks;
  REQUIRE(parser.feed(r.body, events));
  for (const auto& e : events) CHECK(reader.feed(e, chunks));
  CHECK(reader.finished());
  CHECK(reader.usage().input == 2);  // "hello"
  CHECK(reader.usage().cached == 1);
  CHECK(reader.usage().output == 4);
  std::string text;
  for (const auto& c : chunks)
    if (c != "[DONE]") {
      const json::value parsed = json::parse(c);
      for (const auto& choice : parsed.at("choices").as_array())
        if (const auto* content = choice.at("delta").as_object().if_contains("content")) text += content->as_string();
    }
  CHECK(text == "tok0 tok1 tok2 tok3 ");

  auto plain = send(port, {.target = "/v1/responses", .body = R"({"model":"m","input":"hello"})"});
  CHECK(plain.status == 200);
  CHECK(plain.json_body().at("status") == "completed");
  CHECK(send(port, {.method = http::verb::get, .target = "/v1/responses"}).status == 405);
}

TEST_CASE("sim responses over the wire: cut and stall break the stream, the reader sees no end", "[sim][responses]") {
  SimOptions o;
  o.tokens = 5;
  Simulator sim(o);
  const auto port = sim.start();
  const std::string body = R"({"model":"m","input":"hello","stream":true})";

  auto r = send(port, {.target = "/v1/responses", .body = body, .headers = {{"x-sim-fault", "cut=5"}}});
  CHECK(r.events.size() == 5);
  CHECK(r.ec == http::error::partial_message);
  hgw::protocol::responses::ResponsesStreamToChat reader("chatcmpl-sim");
  hgw::protocol::SseParser parser;
  std::vector<hgw::protocol::SseEvent> events;
  std::vector<std::string> chunks;
  REQUIRE(parser.feed(r.body, events));
  for (const auto& e : events) CHECK(reader.feed(e, chunks));
  CHECK_FALSE(reader.finished());  // no response.completed: the pipeline reports a broken stream

  r = send(port, {.target = "/v1/responses", .body = body, .headers = {{"x-sim-fault", "stall=3"}}, .timeout = 200ms});
  CHECK(r.events.size() == 3);
  CHECK(r.ec == beast::error::timeout);

  r = send(port, {.target = "/v1/responses", .body = body, .headers = {{"x-sim-fault", "malformed=2"}}});
  REQUIRE(r.events.size() == 13);
  CHECK(r.events[2] == "data: {not json");
}

TEST_CASE("sim chat tool call stream through the gateway's translator gives a function_call", "[sim][responses]") {
  Simulator sim;
  const auto port = sim.start();
  auto r = send(port, {.body = R"({"model":"m","stream":true,"stream_options":{"include_usage":true},
      "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"},"n":{"type":"integer"}}}}}],
      "messages":[{"role":"user","content":"please lookup this"}]})"});
  REQUIRE(r.status == 200);
  CHECK(r.has_done());

  const json::object request = json::parse(R"({"model":"m","input":"please lookup this"})").as_object();
  hgw::protocol::responses::ChatStreamToResponses t({"resp_X", 1, "m", &request});
  hgw::protocol::SseParser parser;
  std::vector<hgw::protocol::SseEvent> events;
  REQUIRE(parser.feed(r.body, events));
  std::string out;
  for (const auto& e : events) REQUIRE(t.feed(e.data, out));
  REQUIRE(t.finished());
  const auto response = t.response();
  CHECK(response.at("status") == "completed");
  const auto& call = response.at("output").at(0);
  CHECK(call.at("type") == "function_call");
  CHECK(call.at("name") == "lookup");
  CHECK(json::parse(call.at("arguments").as_string()) == json::parse(R"({"q":"sim","n":1})"));
  CHECK(t.usage().output == 5);  // 17 bytes of arguments
}
