// Translation between OpenAI chat and Anthropic Messages, both ways: request
// tables, responses, errors and full recorded streams. Pure, no sockets.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/protocol/AnthropicTranslate.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "gateway/protocol/StreamTransformer.hpp"

namespace json = boost::json;
namespace an = hgw::protocol::anthropic;
using hgw::protocol::SseEvent;
using hgw::protocol::SseParser;

namespace {

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

std::string s(const json::value& v) { return std::string(v.as_string()); }

an::Translation to_anthropic(std::string_view openai, bool stream = false) {
  return an::chat_request_to_messages(obj(openai), "claude-sonnet-4-5", stream);
}

an::Translation to_openai(std::string_view anthropic, bool stream = false) {
  return an::messages_request_to_chat(obj(anthropic), "llama-3.1-8b", stream);
}

std::vector<SseEvent> events_of(std::string_view wire) {
  SseParser parser;
  std::vector<SseEvent> events;
  REQUIRE(parser.feed(wire, events));
  return events;
}

// A recorded Anthropic stream: text only, with cache usage.
constexpr std::string_view kTextStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01ABC\",\"type\":\"message\",\"role\":\"assistant\","
    "\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null,\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\", world\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

// A recorded Anthropic stream: text, then a tool call streamed as input_json_delta.
constexpr std::string_view kToolStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_02\",\"type\":\"message\",\"role\":\"assistant\","
    "\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":400,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking.\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\","
    "\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

std::vector<std::string> run_anthropic_stream(std::string_view wire, an::MessagesStreamToChat& t) {
  std::vector<std::string> out;
  for (const auto& e : events_of(wire)) REQUIRE(t.feed(e, out));
  return out;
}

// Text and finish reason collected from OpenAI chunk payloads.
struct Collected {
  std::string text, finish;
  std::vector<json::object> tool_calls;  // by index, arguments concatenated
  json::object usage;
  bool done = false;
};

Collected collect(const std::vector<std::string>& chunks) {
  Collected c;
  for (const auto& payload : chunks) {
    if (payload == "[DONE]") {
      c.done = true;
      continue;
    }
    auto chunk = obj(payload);
    CHECK(s(chunk.at("object")) == "chat.completion.chunk");
    if (auto* u = chunk.if_contains("usage")) c.usage = u->as_object();
    for (const auto& ch : chunk.at("choices").as_array()) {
      const auto& choice = ch.as_object();
      if (!choice.at("finish_reason").is_null()) c.finish = s(choice.at("finish_reason"));
      const auto& delta = choice.at("delta").as_object();
      if (auto* t = delta.if_contains("content"); t && t->is_string()) c.text += s(*t);
      if (auto* calls = delta.if_contains("tool_calls")) {
        for (const auto& call : calls->as_array()) {
          const auto index = static_cast<std::size_t>(call.at("index").to_number<int>());
          if (c.tool_calls.size() <= index) {
            c.tool_calls.resize(index + 1);
            c.tool_calls[index] = call.as_object();
          } else {
            auto& args = c.tool_calls[index]["function"].as_object()["arguments"].as_string();
            args += call.at("function").at("arguments").as_string();
          }
        }
      }
    }
  }
  return c;
}

// Anthropic SSE text → (event name, data object) pairs; checks name == data.type.
std::vector<std::pair<std::string, json::object>> anthropic_events(std::string_view wire) {
  std::vector<std::pair<std::string, json::object>> out;
  for (auto& e : events_of(wire)) {
    auto data = obj(e.data);
    CHECK(e.event == s(data.at("type")));
    out.emplace_back(e.event, std::move(data));
  }
  return out;
}

std::vector<std::string> names(const std::vector<std::pair<std::string, json::object>>& events) {
  std::vector<std::string> n;
  for (const auto& e : events) n.push_back(e.first);
  return n;
}

}  // namespace

// ---- OpenAI request → Anthropic request ---------------------------------------

TEST_CASE("chat request: system and developer messages are joined, model and max_tokens default set", "[anthropic]") {
  auto t = to_anthropic(R"({"model":"gpt-4o","messages":[
      {"role":"system","content":"Be brief."},
      {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
      {"role":"user","content":"Hi"},
      {"role":"system","content":"Never lie."}]})");
  REQUIRE(t.error.empty());
  CHECK(s(t.body.at("model")) == "claude-sonnet-4-5");
  CHECK(s(t.body.at("system")) == "Be brief.\n\nAnswer in French.\n\nNever lie.");
  CHECK(t.body.at("max_tokens").to_number<int>() == 4096);
  CHECK_FALSE(t.body.contains("stream"));
  const auto& msgs = t.body.at("messages").as_array();
  REQUIRE(msgs.size() == 1);
  CHECK(json::serialize(msgs[0]) == R"({"role":"user","content":[{"type":"text","text":"Hi"}]})");
}

TEST_CASE("chat request: consecutive same-role messages are merged to keep alternation", "[anthropic]") {
  auto t = to_anthropic(R"({"messages":[
      {"role":"user","content":"one"},{"role":"user","content":"two"},
      {"role":"assistant","content":"three"},{"role":"assistant","content":""},{"role":"assistant","content":"four"},
      {"role":"user","content":"five"}]})");
  REQUIRE(t.error.empty());
  const auto& msgs = t.body.at("messages").as_array();
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[0].at("content").as_array().size() == 2);
  CHECK(s(msgs[1].at("role")) == "assistant");
  CHECK(msgs[1].at("content").as_array().size() == 2);  // the empty message contributed nothing
  CHECK(s(msgs[2].at("content").at(0).at("text")) == "five");
}

TEST_CASE("chat request: tool calls become tool_use, tool messages become merged tool_result blocks", "[anthropic]") {
  auto t = to_anthropic(R"({"messages":[
      {"role":"user","content":"Weather in Paris and Rome?"},
      {"role":"assistant","content":null,"tool_calls":[
         {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
         {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},
      {"role":"tool","tool_call_id":"call_1","content":"18C"},
      {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]},
      {"role":"user","content":"Thanks"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
             {"type":"function","function":{"name":"now"}}],
    "tool_choice":"required"})");
  REQUIRE(t.error.empty());
  const auto& msgs = t.body.at("messages").as_array();
  REQUIRE(msgs.size() == 3);
  const auto& calls = msgs[1].at("content").as_array();
  REQUIRE(calls.size() == 2);
  CHECK(json::serialize(calls[0]) ==
        R"({"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}})");
  CHECK(json::serialize(calls[1].at("input")) == "{}");
  const auto& results = msgs[2].at("content").as_array();
  REQUIRE(results.size() == 3);
  CHECK(json::serialize(results[0]) == R"({"type":"tool_result","tool_use_id":"call_1","content":"18C"})");
  CHECK(s(results[1].at("content")) == "21C");
  CHECK(s(results[2].at("type")) == "text");
  const auto& tools = t.body.at("tools").as_array();
  REQUIRE(tools.size() == 2);
  CHECK(s(tools[0].at("name")) == "get_weather");
  CHECK(s(tools[0].at("description")) == "Weather");
  CHECK(s(tools[0].at("input_schema").at("type")) == "object");
  CHECK(json::serialize(tools[1].at("input_schema")) == R"({"type":"object","properties":{}})");
  CHECK(json::serialize(t.body.at("tool_choice")) == R"({"type":"any"})");
}

TEST_CASE("chat request: tool_choice table", "[anthropic]") {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  struct Row { std::string choice, expected; };
  const Row rows[] = {
      {R"("tool_choice":"auto")", R"({"type":"auto"})"},
      {R"("tool_choice":"none")", R"({"type":"none"})"},
      {R"("tool_choice":"required")", R"({"type":"any"})"},
      {R"("tool_choice":{"type":"function","function":{"name":"f"}})", R"({"type":"tool","name":"f"})"},
      {R"("parallel_tool_calls":false)", R"({"type":"auto","disable_parallel_tool_use":true})"},
      {R"("tool_choice":"required","parallel_tool_calls":false)", R"({"type":"any","disable_parallel_tool_use":true})"},
  };
  for (const auto& row : rows) {
    auto t = to_anthropic(R"({"messages":[{"role":"user","content":"x"}],)" + tools + "," + row.choice + "}");
    INFO(row.choice);
    REQUIRE(t.error.empty());
    CHECK(json::serialize(t.body.at("tool_choice")) == row.expected);
  }
  auto no_tools = to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"tool_choice":"auto"})");
  REQUIRE(no_tools.error.empty());
  CHECK_FALSE(no_tools.body.contains("tool_choice"));
  CHECK_FALSE(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],)" + tools + R"(,"tool_choice":"always"})")
                  .error.empty());
}

TEST_CASE("chat request: invalid tool call arguments are a 400 naming the tool", "[anthropic]") {
  auto t = to_anthropic(R"({"messages":[{"role":"user","content":"x"},
      {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"lookup","arguments":"{not json"}}]}]})");
  CHECK_THAT(t.error, Catch::Contains("messages[1]") && Catch::Contains("lookup") && Catch::Contains("not a JSON object"));
  auto array_args = to_anthropic(R"({"messages":[{"role":"user","content":"x"},
      {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]})");
  CHECK_FALSE(array_args.error.empty());
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"tool","content":"x"}]})").error, Catch::Contains("tool_call_id"));
}

TEST_CASE("chat request: quoted arguments are cut between characters, not inside one", "[anthropic]") {
  // Found by fuzz_anthropic_translate: the 80-byte quote split "é", and the
  // 400 body then held invalid UTF-8.
  const std::string args = std::string(79, 'x') + "\u00e9 and more";
  auto t = to_anthropic(R"({"messages":[{"role":"user","content":"x"},
      {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":")" +
                        args + R"("}}]}]})");
  REQUIRE_FALSE(t.error.empty());
  CHECK(t.error.ends_with(": " + std::string(79, 'x')));
  auto two = to_anthropic(R"({"messages":[{"role":"user","content":"x"},
      {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":")" +
                          std::string(78, 'x') + R"(\u00e9 and more"}}]}]})");
  CHECK(two.error.ends_with(std::string(78, 'x') + "\xc3\xa9"));
}

TEST_CASE("chat request: images become base64 or url sources", "[anthropic]") {
  auto t = to_anthropic(R"({"messages":[{"role":"user","content":[
      {"type":"text","text":"What is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
      {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]})");
  REQUIRE(t.error.empty());
  const auto& blocks = t.body.at("messages").at(0).at("content").as_array();
  REQUIRE(blocks.size() == 3);
  CHECK(json::serialize(blocks[1]) ==
        R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}})");
  CHECK(json::serialize(blocks[2]) == R"({"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}})");

  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]})").error,
             Catch::Contains("http(s)"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]})").error,
             Catch::Contains("base64"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})").error,
             Catch::Contains("input_audio"));
}

TEST_CASE("chat request: stop strings, max tokens, sampling, stream and dropped fields", "[anthropic]") {
  auto t = to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"stop":"END","max_tokens":100,
      "temperature":1.7,"top_p":0.9,"seed":42,"user":"u-7","presence_penalty":0.5,"stream_options":{"include_usage":true},"n":1})",
                        true);
  REQUIRE(t.error.empty());
  CHECK(json::serialize(t.body.at("stop_sequences")) == R"(["END"])");
  CHECK(t.body.at("max_tokens").to_number<int>() == 100);
  CHECK(t.body.at("temperature").to_number<double>() == 1.0);
  CHECK(t.body.at("top_p").to_number<double>() == 0.9);
  CHECK(t.body.at("stream").as_bool());
  CHECK(s(t.body.at("metadata").at("user_id")) == "u-7");
  for (const char* dropped : {"seed", "presence_penalty", "stream_options", "n", "user", "stop"})
    CHECK_FALSE(t.body.contains(dropped));

  auto both = to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b"],"max_tokens":100,"max_completion_tokens":200})");
  REQUIRE(both.error.empty());
  CHECK(json::serialize(both.body.at("stop_sequences")) == R"(["a","b"])");
  CHECK(both.body.at("max_tokens").to_number<int>() == 200);

  auto custom_default = an::chat_request_to_messages(obj(R"({"messages":[{"role":"user","content":"x"}]})"), "m", false, 512);
  CHECK(custom_default.body.at("max_tokens").to_number<int>() == 512);
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})").error,
             Catch::Contains("max_tokens"));
  CHECK_FALSE(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})").error.empty());
}

TEST_CASE("max_tokens beyond 2^64 or fractional is refused, not converted", "[anthropic]") {
  // Found by fuzz_anthropic_translate: 1e25 was cast to an integer (undefined
  // behaviour; scripts/sanitize.sh stops on it).
  for (const char* v : {"1e25", "18446744073709551616.0", "1e308", "2.5", "-3.0"}) {
    INFO(v);
    CHECK_THAT(to_anthropic(std::string(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":)") + v + "}").error,
               Catch::Contains("max_tokens"));
    CHECK_THAT(to_openai(std::string(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":)") + v + "}").error,
               Catch::Contains("max_tokens"));
  }
  auto ok = to_openai(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1e3})");
  REQUIRE(ok.error.empty());
  CHECK(ok.body.at("max_tokens").to_number<int>() == 1000);
}

TEST_CASE("chat request: what Anthropic cannot do is refused with an actionable message", "[anthropic]") {
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"n":3})").error,
             Catch::Contains("n=3") && Catch::Contains("separate requests"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"logprobs":true})").error, Catch::Contains("logprobs"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"top_logprobs":2})").error, Catch::Contains("logprobs"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})").error,
             Catch::Contains("response_format"));
  CHECK(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"},"logprobs":false})").error.empty());
  CHECK_THAT(to_anthropic(R"({"messages":[]})").error, Catch::Contains("non-empty"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"system","content":"only"}]})").error, Catch::Contains("user or assistant"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"wizard","content":"x"}]})").error, Catch::Contains("wizard"));
  CHECK_THAT(to_anthropic(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"code_interpreter"}]})").error,
             Catch::Contains("function"));
}

// ---- Anthropic response → OpenAI response --------------------------------------

TEST_CASE("messages response → chat.completion: text, tool calls, stop reason, exact usage", "[anthropic]") {
  auto chat = an::messages_response_to_chat(obj(R"({"id":"msg_01XYZ","type":"message","role":"assistant",
      "model":"claude-sonnet-4-5-20250929","content":[
        {"type":"thinking","thinking":"hmm","signature":"x"},
        {"type":"text","text":"Let me look."},
        {"type":"tool_use","id":"toolu_9","name":"search","input":{"q":"cats","n":2}}],
      "stop_reason":"tool_use","stop_sequence":null,
      "usage":{"input_tokens":50,"output_tokens":20,"cache_read_input_tokens":1000,"cache_creation_input_tokens":7}})"));
  CHECK(s(chat.at("id")) == "chatcmpl-msg_01XYZ");
  CHECK(s(chat.at("object")) == "chat.completion");
  CHECK(s(chat.at("model")) == "claude-sonnet-4-5-20250929");
  const auto& choice = chat.at("choices").at(0).as_object();
  CHECK(s(choice.at("finish_reason")) == "tool_calls");
  CHECK(s(choice.at("message").at("content")) == "Let me look.");
  const auto& call = choice.at("message").at("tool_calls").at(0).as_object();
  CHECK(s(call.at("id")) == "toolu_9");
  CHECK(s(call.at("type")) == "function");
  CHECK(s(call.at("function").at("name")) == "search");
  CHECK(json::parse(call.at("function").at("arguments").as_string()) == json::parse(R"({"q":"cats","n":2})"));
  const auto& usage = chat.at("usage").as_object();
  CHECK(usage.at("prompt_tokens").to_number<int>() == 1057);
  CHECK(usage.at("completion_tokens").to_number<int>() == 20);
  CHECK(usage.at("total_tokens").to_number<int>() == 1077);
  CHECK(usage.at("prompt_tokens_details").at("cached_tokens").to_number<int>() == 1000);
}

TEST_CASE("stop reason ↔ finish reason tables", "[anthropic]") {
  CHECK(an::finish_reason_for("end_turn") == "stop");
  CHECK(an::finish_reason_for("stop_sequence") == "stop");
  CHECK(an::finish_reason_for("max_tokens") == "length");
  CHECK(an::finish_reason_for("tool_use") == "tool_calls");
  CHECK(an::finish_reason_for("refusal") == "content_filter");
  CHECK(an::finish_reason_for("") == "stop");
  CHECK(an::stop_reason_for("stop") == "end_turn");
  CHECK(an::stop_reason_for("length") == "max_tokens");
  CHECK(an::stop_reason_for("tool_calls") == "tool_use");
  CHECK(an::stop_reason_for("content_filter") == "refusal");

  auto chat = an::messages_response_to_chat(obj(R"({"id":"m","model":"c","content":[],"stop_reason":"max_tokens"})"));
  CHECK(s(chat.at("choices").at(0).at("finish_reason")) == "length");
  CHECK(s(chat.at("choices").at(0).at("message").at("content")).empty());
  CHECK_FALSE(chat.contains("usage"));
}

// ---- errors -----------------------------------------------------------------------

TEST_CASE("Anthropic errors map to OpenAI error bodies keeping the message", "[anthropic]") {
  struct Row { std::string type, openai_type; std::string code; int status; };
  const Row rows[] = {
      {"overloaded_error", "server_error", "upstream_overloaded", 529},
      {"rate_limit_error", "rate_limit_error", "rate_limit_exceeded", 429},
      {"invalid_request_error", "invalid_request_error", "", 400},
      {"authentication_error", "authentication_error", "upstream_authentication_failed", 401},
      {"not_found_error", "invalid_request_error", "model_not_found", 404},
      {"request_too_large", "invalid_request_error", "request_too_large", 413},
      {"api_error", "server_error", "upstream_error", 500},
      {"something_new", "server_error", "upstream_error", 502},
  };
  for (const auto& row : rows) {
    INFO(row.type);
    auto e = an::error_to_openai(obj(R"({"type":"error","error":{"type":")" + row.type + R"(","message":"Details here"}})"));
    const auto& err = e.at("error").as_object();
    CHECK(s(err.at("message")) == "Details here");
    CHECK(s(err.at("type")) == row.openai_type);
    if (row.code.empty())
      CHECK(err.at("code").is_null());
    else
      CHECK(s(err.at("code")) == row.code);
    CHECK(an::status_for_error_type(row.type) == row.status);
  }
  auto inner = an::error_to_openai(obj(R"({"type":"rate_limit_error","message":"slow down"})"));
  CHECK(s(inner.at("error").at("message")) == "slow down");
  auto empty = an::error_to_openai(obj(R"({})"));
  CHECK_THAT(s(empty.at("error").at("message")), Catch::Contains("without a message"));
}

TEST_CASE("Anthropic error bodies for clients that spoke Anthropic", "[anthropic]") {
  CHECK(an::anthropic_error_body("overloaded_error", "try later") ==
        R"({"type":"error","error":{"type":"overloaded_error","message":"try later"}})");
  CHECK(an::error_type_for_status(400) == "invalid_request_error");
  CHECK(an::error_type_for_status(429) == "rate_limit_error");
  CHECK(an::error_type_for_status(503) == "overloaded_error");
  CHECK(an::error_type_for_status(502) == "api_error");
  CHECK(an::openai_error_to_anthropic(obj(R"({"error":{"message":"bad key","type":"x","code":null}})"), 401) ==
        R"({"type":"error","error":{"type":"authentication_error","message":"bad key"}})");
}

// ---- Anthropic stream → OpenAI chunks ---------------------------------------------

TEST_CASE("Anthropic text stream → OpenAI chunks, usage chunk and [DONE]", "[anthropic]") {
  an::MessagesStreamToChat t;
  const auto out = run_anthropic_stream(kTextStream, t);
  CHECK(t.finished());
  REQUIRE(out.size() == 6);  // role, 2 × text, finish, usage, [DONE]
  auto first = obj(out[0]);
  CHECK(s(first.at("id")) == "chatcmpl-msg_01ABC");
  CHECK(s(first.at("model")) == "claude-sonnet-4-5-20250929");
  CHECK(s(first.at("choices").at(0).at("delta").at("role")) == "assistant");
  const auto c = collect(out);
  CHECK(c.text == "Hello, world");
  CHECK(c.finish == "stop");
  CHECK(c.done);
  CHECK(out.back() == "[DONE]");
  CHECK(obj(out[4]).at("choices").as_array().empty());
  CHECK(c.usage.at("prompt_tokens").to_number<int>() == 130);  // 25 + 100 cache read + 5 cache write
  CHECK(c.usage.at("completion_tokens").to_number<int>() == 15);
  CHECK(c.usage.at("total_tokens").to_number<int>() == 145);
  CHECK(c.usage.at("prompt_tokens_details").at("cached_tokens").to_number<int>() == 100);
  CHECK(t.usage().input == 130);
  CHECK(t.usage().cached == 100);
}

TEST_CASE("translated stream passes through the OpenAI relay: usage read, unrequested usage chunk dropped", "[anthropic]") {
  an::MessagesStreamToChat t;
  const auto out = run_anthropic_stream(kTextStream, t);
  std::string wire;
  for (const auto& payload : out) wire += hgw::protocol::format_sse(payload);
  hgw::protocol::StreamTransformer relay(false, nullptr);
  std::string client;
  REQUIRE(relay.feed(wire, client) == hgw::protocol::StreamTransformer::State::ok);
  CHECK(relay.done_seen());
  CHECK(relay.finish_seen());
  CHECK(relay.content_chunks() == 2);
  CHECK(relay.usage().input == 130);
  CHECK(relay.usage().output == 15);
  CHECK(relay.usage().cached == 100);
  CHECK(client.find("\"usage\"") == std::string::npos);
}

TEST_CASE("Anthropic tool-use stream → OpenAI tool_calls deltas", "[anthropic]") {
  an::MessagesStreamToChat t;
  const auto c = collect(run_anthropic_stream(kToolStream, t));
  CHECK(c.text == "Checking.");
  CHECK(c.finish == "tool_calls");
  REQUIRE(c.tool_calls.size() == 1);
  CHECK(s(c.tool_calls[0].at("id")) == "toolu_01");
  CHECK(s(c.tool_calls[0].at("type")) == "function");
  CHECK(s(c.tool_calls[0].at("function").at("name")) == "get_weather");
  CHECK(s(c.tool_calls[0].at("function").at("arguments")) == R"({"city": "Paris"})");
  CHECK(c.usage.at("prompt_tokens").to_number<int>() == 400);
  CHECK(c.usage.at("completion_tokens").to_number<int>() == 42);
  CHECK(c.usage.at("prompt_tokens_details").at("cached_tokens").to_number<int>() == 0);
}

TEST_CASE("Anthropic max_tokens stop → finish_reason length", "[anthropic]") {
  std::string wire(kTextStream);
  wire.replace(wire.find("\"end_turn\""), 10, "\"max_tokens\"");
  an::MessagesStreamToChat t;
  CHECK(collect(run_anthropic_stream(wire, t)).finish == "length");
}

TEST_CASE("Anthropic stream: malformed events and error events stop the translation", "[anthropic]") {
  std::vector<std::string> out;
  {
    an::MessagesStreamToChat t;
    CHECK_FALSE(t.feed({"message_start", "{not json"}, out));
    CHECK_FALSE(t.is_upstream_error());
    CHECK_THAT(t.error_message(), Catch::Contains("not a JSON object"));
  }
  {
    an::MessagesStreamToChat t;
    CHECK_FALSE(t.feed({"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}})"}, out));
    CHECK_THAT(t.error_message(), Catch::Contains("before message_start"));
  }
  {
    an::MessagesStreamToChat t;
    auto events = events_of(kTextStream);
    REQUIRE(t.feed(events[0], out));
    CHECK_FALSE(t.feed({"content_block_delta", R"({"type":"content_block_delta","index":5,"delta":{"type":"text_delta","text":"x"}})"}, out));
    CHECK_THAT(t.error_message(), Catch::Contains("never started"));
    CHECK_FALSE(t.finished());
  }
  {
    an::MessagesStreamToChat t;
    CHECK_FALSE(t.feed({"message_start", R"({"type":"message_start"})"}, out));
  }
  {
    // Found by fuzz_anthropic_stream: the event name, raw bytes off the wire,
    // was quoted as is in the message that the client gets in a JSON error event.
    an::MessagesStreamToChat t;
    CHECK_FALSE(t.feed({"message\xff_start\xc3", "{not json"}, out));
    CHECK_THAT(t.error_message(), Catch::Contains("(event 'message?_start?')"));
    an::MessagesStreamToChat u;
    CHECK_FALSE(u.feed({std::string(100, 'e') + "\x01", "{}"}, out));
    CHECK_THAT(u.error_message(), Catch::Contains("'" + std::string(64, 'e') + "' before message_start"));
  }
  {
    an::MessagesStreamToChat t;
    out.clear();
    auto events = events_of(kTextStream);
    REQUIRE(t.feed(events[0], out));
    CHECK_FALSE(t.feed({"error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"}, out));
    CHECK(t.is_upstream_error());
    CHECK_THAT(t.error_message(), Catch::Contains("overloaded_error") && Catch::Contains("Overloaded"));
    CHECK_FALSE(t.finished());
    for (const auto& p : out) CHECK(p != "[DONE]");  // a broken stream never looks complete
  }
  {
    // Unknown event types and thinking blocks are skipped, not errors.
    an::MessagesStreamToChat t;
    out.clear();
    auto events = events_of(kTextStream);
    REQUIRE(t.feed(events[0], out));
    CHECK(t.feed({"future_event", R"({"type":"future_event"})"}, out));
    CHECK(t.feed({"content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})"}, out));
    CHECK(t.feed({"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}})"}, out));
    CHECK(out.size() == 1);
  }
}

// ---- Anthropic request → OpenAI request ---------------------------------------------

TEST_CASE("messages request → chat request: system, blocks, tool results, images, tools", "[anthropic]") {
  auto t = to_openai(R"({"model":"claude-x","max_tokens":300,
      "system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind.","cache_control":{"type":"ephemeral"}}],
      "messages":[
        {"role":"user","content":"Weather?"},
        {"role":"assistant","content":[{"type":"text","text":"Checking."},
           {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
        {"role":"user","content":[
           {"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},
           {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"no such city"}],"is_error":true},
           {"type":"text","text":"And this?"},
           {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
           {"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}],
      "stop_sequences":["\n\nHuman:"],"temperature":0.2,"top_k":40,
      "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object"}}],
      "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
      "metadata":{"user_id":"u-1"}})",
                     true);
  REQUIRE(t.error.empty());
  const auto& b = t.body;
  CHECK(s(b.at("model")) == "llama-3.1-8b");
  CHECK(b.at("max_tokens").to_number<int>() == 300);
  CHECK(json::serialize(b.at("stop")) == R"(["\n\nHuman:"])");
  CHECK(b.at("temperature").to_number<double>() == 0.2);
  CHECK_FALSE(b.contains("top_k"));
  CHECK(b.at("stream").as_bool());
  CHECK(b.at("stream_options").at("include_usage").as_bool());
  CHECK(s(b.at("user")) == "u-1");
  const auto& m = b.at("messages").as_array();
  REQUIRE(m.size() == 6);
  CHECK(json::serialize(m[0]) == R"({"role":"system","content":"Be brief.\nBe kind."})");
  CHECK(json::serialize(m[1]) == R"({"role":"user","content":"Weather?"})");
  CHECK(s(m[2].at("content")) == "Checking.");
  const auto& call = m[2].at("tool_calls").at(0);
  CHECK(s(call.at("id")) == "toolu_1");
  CHECK(s(call.at("function").at("arguments")) == R"({"city":"Paris"})");
  CHECK(json::serialize(m[3]) == R"({"role":"tool","tool_call_id":"toolu_1","content":"18C"})");
  CHECK(s(m[4].at("content")) == "Error: no such city");
  const auto& parts = m[5].at("content").as_array();
  REQUIRE(parts.size() == 3);
  CHECK(s(parts[1].at("image_url").at("url")) == "data:image/jpeg;base64,/9j/4AAQ");
  CHECK(s(parts[2].at("image_url").at("url")) == "https://example.com/a.png");
  CHECK(json::serialize(b.at("tools")) ==
        R"([{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object"}}}])");
  CHECK(json::serialize(b.at("tool_choice")) == R"({"type":"function","function":{"name":"get_weather"}})");
  CHECK(b.at("parallel_tool_calls").as_bool() == false);
}

TEST_CASE("messages request: tool_choice table and refusals", "[anthropic]") {
  const std::string base = R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{}}],)";
  CHECK(s(to_openai(base + R"("tool_choice":{"type":"auto"}})").body.at("tool_choice")) == "auto");
  CHECK(s(to_openai(base + R"("tool_choice":{"type":"any"}})").body.at("tool_choice")) == "required");
  CHECK(s(to_openai(base + R"("tool_choice":{"type":"none"}})").body.at("tool_choice")) == "none");
  CHECK_FALSE(to_openai(R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}]})", false).body.contains("stream"));

  CHECK_THAT(to_openai(R"({"messages":[{"role":"user","content":"x"}]})").error, Catch::Contains("max_tokens is required"));
  CHECK_THAT(to_openai(R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]})").error,
             Catch::Contains("web_search_20250305"));
  CHECK_THAT(to_openai(R"({"max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]})").error,
             Catch::Contains("messages[0]") && Catch::Contains("document"));
  CHECK_THAT(to_openai(R"({"max_tokens":10,"messages":[{"role":"system","content":"x"}]})").error, Catch::Contains("user or assistant"));
  // Found by fuzz_anthropic_translate: empty contents gave an empty conversation.
  CHECK_THAT(to_openai(R"({"max_tokens":10,"messages":[{"role":"user","content":[]}]})").error,
             Catch::Contains("at least one message"));
  CHECK(to_openai(R"({"max_tokens":10,"system":"s","messages":[{"role":"user","content":[]}]})").error.empty());
}

// ---- OpenAI response → Anthropic response ----------------------------------------

TEST_CASE("chat.completion → Anthropic message: content, tool_use, stop reason, exact usage", "[anthropic]") {
  auto m = an::chat_response_to_messages(obj(R"({"id":"chatcmpl-42","object":"chat.completion","model":"llama-3.1-8b",
      "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Sure.",
        "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},
                      {"id":"call_2","type":"function","function":{"name":"g","arguments":"{broken"}}]}}],
      "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":100}}})"));
  CHECK(s(m.at("id")) == "msg_42");
  CHECK(s(m.at("type")) == "message");
  CHECK(s(m.at("role")) == "assistant");
  CHECK(s(m.at("model")) == "llama-3.1-8b");
  CHECK(s(m.at("stop_reason")) == "tool_use");
  const auto& content = m.at("content").as_array();
  REQUIRE(content.size() == 3);
  CHECK(json::serialize(content[0]) == R"({"type":"text","text":"Sure."})");
  CHECK(json::serialize(content[1]) == R"({"type":"tool_use","id":"call_1","name":"f","input":{"a":1}})");
  CHECK(s(content[2].at("input").at("_invalid_json_arguments")) == "{broken");
  CHECK(json::serialize(m.at("usage")) ==
        R"({"input_tokens":20,"output_tokens":30,"cache_read_input_tokens":100,"cache_creation_input_tokens":0})");
  auto length = an::chat_response_to_messages(obj(R"({"id":"x","choices":[{"finish_reason":"length","message":{"content":"abc"}}]})"));
  CHECK(s(length.at("stop_reason")) == "max_tokens");
}

// ---- OpenAI stream → Anthropic events -------------------------------------------

TEST_CASE("OpenAI text stream → Anthropic events with usage in message_delta", "[anthropic]") {
  an::ChatStreamToMessages t("my-route");
  std::string wire;
  const char* chunks[] = {
      R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1,"model":"llama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
      R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1,"model":"llama","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})",
      R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1,"model":"llama","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]})",
      R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1,"model":"llama","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
      R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1,"model":"llama","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":8}}})",
      "[DONE]"};
  for (const char* c : chunks) REQUIRE(t.feed(c, wire));
  CHECK(t.finished());
  CHECK(t.finish().empty());  // already emitted
  const auto events = anthropic_events(wire);
  CHECK(names(events) == std::vector<std::string>{"message_start", "content_block_start", "content_block_delta",
                                                   "content_block_delta", "content_block_stop", "message_delta",
                                                   "message_stop"});
  const auto& start = events[0].second.at("message").as_object();
  CHECK(s(start.at("id")) == "msg_abc");
  CHECK(s(start.at("model")) == "my-route");
  CHECK(json::serialize(events[1].second.at("content_block")) == R"({"type":"text","text":""})");
  CHECK(s(events[2].second.at("delta").at("text")) == "Hi");
  CHECK(s(events[3].second.at("delta").at("type")) == "text_delta");
  const auto& delta = events[5].second;
  CHECK(s(delta.at("delta").at("stop_reason")) == "end_turn");
  CHECK(json::serialize(delta.at("usage")) ==
        R"({"input_tokens":12,"output_tokens":5,"cache_read_input_tokens":8,"cache_creation_input_tokens":0})");
}

TEST_CASE("OpenAI tool-call stream → Anthropic tool_use blocks with input_json_delta", "[anthropic]") {
  an::ChatStreamToMessages t("m");
  std::string wire;
  const char* chunks[] = {
      R"({"id":"chatcmpl-t","choices":[{"index":0,"delta":{"role":"assistant","content":"Let me see."}}]})",
      R"({"id":"chatcmpl-t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}}]})",
      R"({"id":"chatcmpl-t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]}}]})",
      R"({"id":"chatcmpl-t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]})",
      R"({"id":"chatcmpl-t","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]})",
      R"({"id":"chatcmpl-t","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
      "[DONE]"};
  for (const char* c : chunks) REQUIRE(t.feed(c, wire));
  const auto events = anthropic_events(wire);
  CHECK(names(events) == std::vector<std::string>{"message_start", "content_block_start", "content_block_delta",
                                                   "content_block_stop", "content_block_start", "content_block_delta",
                                                   "content_block_delta", "content_block_stop", "content_block_start",
                                                   "content_block_delta", "content_block_stop", "message_delta",
                                                   "message_stop"});
  CHECK(json::serialize(events[4].second) ==
        R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_a","name":"f","input":{}}})");
  CHECK(json::serialize(events[5].second.at("delta")) == R"({"type":"input_json_delta","partial_json":"{\"x\":"})");
  CHECK(events[8].second.at("index").to_number<int>() == 2);
  CHECK(s(events[8].second.at("content_block").at("id")) == "call_b");
  CHECK(s(events[11].second.at("delta").at("stop_reason")) == "tool_use");
  // No usage chunk from the backend: zeros, not garbage.
  CHECK(events[11].second.at("usage").at("output_tokens").to_number<int>() == 0);
}

TEST_CASE("OpenAI length stop, empty stream and malformed chunks", "[anthropic]") {
  {
    an::ChatStreamToMessages t("m");
    std::string wire;
    REQUIRE(t.feed(R"({"id":"chatcmpl-l","choices":[{"index":0,"delta":{"content":"abc"},"finish_reason":"length"}]})", wire));
    wire += t.finish();  // the backend closed without [DONE]
    const auto events = anthropic_events(wire);
    CHECK(s(events.back().second.at("type")) == "message_stop");
    CHECK(s(events[events.size() - 2].second.at("delta").at("stop_reason")) == "max_tokens");
  }
  {
    an::ChatStreamToMessages t("m");
    const auto events = anthropic_events(t.finish());
    CHECK(names(events) == std::vector<std::string>{"message_start", "message_delta", "message_stop"});
    CHECK(t.finished());
  }
  {
    an::ChatStreamToMessages t("m");
    std::string wire;
    CHECK_FALSE(t.feed("{oops", wire));
    CHECK_FALSE(t.is_upstream_error());
    CHECK_THAT(t.error_message(), Catch::Contains("not a JSON object"));
  }
  {
    an::ChatStreamToMessages t("m");
    std::string wire;
    CHECK_FALSE(t.feed(R"({"error":{"message":"CUDA out of memory","type":"server_error"}})", wire));
    CHECK(t.is_upstream_error());
    CHECK_THAT(t.error_message(), Catch::Contains("CUDA out of memory"));
  }
}

TEST_CASE("round trip: Anthropic stream → OpenAI chunks → Anthropic events keeps text, tools and usage", "[anthropic]") {
  an::MessagesStreamToChat to_chat;
  const auto chunks = run_anthropic_stream(kToolStream, to_chat);
  an::ChatStreamToMessages back("claude-sonnet-4-5");
  std::string wire;
  for (const auto& c : chunks) REQUIRE(back.feed(c, wire));
  REQUIRE(back.finished());
  an::MessagesStreamToChat again;
  const auto c = collect(run_anthropic_stream(wire, again));
  CHECK(c.text == "Checking.");
  CHECK(c.finish == "tool_calls");
  REQUIRE(c.tool_calls.size() == 1);
  CHECK(s(c.tool_calls[0].at("function").at("arguments")) == R"({"city": "Paris"})");
  CHECK(again.usage().input == 400);
  CHECK(again.usage().output == 42);
}
