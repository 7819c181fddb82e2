// Backends that speak the Responses API natively (protocol: openai-responses):
// the internal chat request rebuilt as a Responses request, and the backend's
// response object and event stream read back as chat completions. Streams
// are fed through SseParser split at every byte position and must give the
// same chunks as the unsplit feed.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "gateway/protocol/ResponsesBackend.hpp"
#include "gateway/protocol/ResponsesRequest.hpp"
#include "gateway/protocol/SseParser.hpp"

namespace json = boost::json;
namespace rs = hgw::protocol::responses;
using hgw::protocol::SseEvent;
using hgw::protocol::SseParser;

namespace {

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

rs::BackendRequest to_responses(std::string_view chat, bool stream = false) {
  return rs::chat_request_to_responses(obj(chat), "gpt-4.1", stream);
}

// One event as OpenAI frames it.
std::string event(std::string_view type, std::string_view body) {
  return "event: " + std::string(type) + "\ndata: {\"type\":\"" + std::string(type) + "\"," + std::string(body) + "}\n\n";
}

const std::string kTextStream =
    event("response.created", R"("response":{"id":"resp_N","object":"response","created_at":7,"model":"gpt-4.1","status":"in_progress","output":[]},"sequence_number":0)") +
    event("response.in_progress", R"("response":{"id":"resp_N","status":"in_progress","output":[]},"sequence_number":1)") +
    event("response.output_item.added", R"("output_index":0,"item":{"id":"msg_N","type":"message","status":"in_progress","content":[],"role":"assistant"},"sequence_number":2)") +
    event("response.content_part.added", R"("item_id":"msg_N","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]},"sequence_number":3)") +
    event("response.output_text.delta", R"("item_id":"msg_N","output_index":0,"content_index":0,"delta":"Hel","sequence_number":4)") +
    ": keep-alive\n\n" +
    event("response.output_text.delta", R"("item_id":"msg_N","output_index":0,"content_index":0,"delta":"lo","sequence_number":5)") +
    event("response.output_text.done", R"("item_id":"msg_N","output_index":0,"content_index":0,"text":"Hello","sequence_number":6)") +
    event("response.output_item.done", R"("output_index":0,"item":{"id":"msg_N","type":"message","status":"completed","content":[{"type":"output_text","text":"Hello","annotations":[]}],"role":"assistant"},"sequence_number":7)") +
    event("response.completed", R"("response":{"id":"resp_N","object":"response","created_at":7,"model":"gpt-4.1","status":"completed","output":[],"usage":{"input_tokens":30,"input_tokens_details":{"cached_tokens":10},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":32}},"sequence_number":8)");

const std::string kToolStream =
    event("response.created", R"("response":{"id":"resp_T","created_at":7,"model":"gpt-4.1","status":"in_progress","output":[]},"sequence_number":0)") +
    event("response.output_item.added", R"("output_index":0,"item":{"id":"fc_1","type":"function_call","status":"in_progress","call_id":"call_a","name":"get_weather","arguments":""},"sequence_number":1)") +
    event("response.output_item.added", R"("output_index":1,"item":{"id":"fc_2","type":"function_call","status":"in_progress","call_id":"call_b","name":"get_time","arguments":""},"sequence_number":2)") +
    event("response.function_call_arguments.delta", R"("item_id":"fc_1","output_index":0,"delta":"{\"city\":","sequence_number":3)") +
    event("response.function_call_arguments.delta", R"("item_id":"fc_2","output_index":1,"delta":"{}","sequence_number":4)") +
    event("response.function_call_arguments.delta", R"("item_id":"fc_1","output_index":0,"delta":"\"Paris\"}","sequence_number":5)") +
    event("response.completed", R"("response":{"id":"resp_T","status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":9}},"sequence_number":6)");

struct Read {
  std::vector<std::string> payloads;
  std::vector<bool> results;
  rs::ResponsesStreamToChat translator{"chatcmpl-X"};
};

// Feeds wire through SseParser (split in two at `split`) into a translator.
void read(Read& r, std::string_view wire, std::size_t split = std::string_view::npos) {
  SseParser parser;
  auto feed = [&](std::string_view bytes) {
    std::vector<SseEvent> events;
    REQUIRE(parser.feed(bytes, events));
    for (const auto& e : events) r.results.push_back(r.translator.feed(e, r.payloads));
  };
  if (split == std::string_view::npos) {
    feed(wire);
  } else {
    feed(wire.substr(0, split));
    feed(wire.substr(split));
  }
}

std::vector<std::string> at_every_split(const std::string& wire) {
  Read whole;
  read(whole, wire);
  for (std::size_t k = 0; k <= wire.size(); ++k) {
    Read part;
    read(part, wire, k);
    REQUIRE(part.payloads == whole.payloads);
  }
  return whole.payloads;
}

json::object chunk(const std::string& payload) { return json::parse(payload).as_object(); }
json::value delta_of(const std::string& payload) { return chunk(payload).at("choices").at(0).at("delta"); }

}  // namespace

TEST_CASE("chat → Responses request: messages become items, tools and settings map over", "[responses][backend]") {
  const auto r = to_responses(R"({"model":"auto","messages":[
      {"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"42"},
      {"role":"assistant","content":"It is 42."}],
    "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}],
    "tool_choice":{"type":"function","function":{"name":"f"}},"parallel_tool_calls":false,
    "response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"},"strict":true}},
    "max_completion_tokens":50,"temperature":0.2,"top_p":0.9,"user":"u1","reasoning_effort":"low"})",
                                true);
  REQUIRE(r.error.empty());
  CHECK(r.body == obj(R"({"model":"gpt-4.1","input":[
      {"type":"message","role":"system","content":[{"type":"input_text","text":"be brief"}]},
      {"type":"message","role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"https://x/y.png","detail":"low"}]},
      {"type":"function_call","call_id":"call_1","name":"f","arguments":"{\"a\":1}"},
      {"type":"function_call_output","call_id":"call_1","output":"42"},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"It is 42."}]}],
    "tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"}}],
    "tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false,
    "text":{"format":{"type":"json_schema","name":"s","schema":{"type":"object"},"strict":true}},
    "max_output_tokens":50,"temperature":0.2,"top_p":0.9,"user":"u1","reasoning":{"effort":"low"},
    "store":false,"stream":true})"));
}

TEST_CASE("chat → Responses request: what has no equivalent is named, not dropped", "[responses][backend]") {
  CHECK(to_responses(R"({"messages":[],"stop":["x"]})").error == "'stop' has no Responses API equivalent");
  CHECK(to_responses(R"({"messages":[],"seed":3})").error == "'seed' has no Responses API equivalent");
  CHECK(to_responses(R"({"messages":[],"n":2})").error == "'n' > 1 (several choices) has no Responses API equivalent");
  CHECK(to_responses(R"({"messages":[],"logprobs":false,"n":1})").error.empty());  // defaults are fine
  CHECK(to_responses(R"({"messages":[{"role":"function","content":"x"}]})").error ==
        "messages[0].role 'function' has no Responses API equivalent");
  CHECK(to_responses(R"({"messages":[{"role":"user","content":[{"type":"input_audio"}]}]})").error ==
        "messages[0]: content part type 'input_audio' has no Responses API equivalent (text and image_url parts do)");
  CHECK(to_responses(R"({"messages":[],"tools":[{"type":"custom"}]})").error == "tools[] must be function tools");
}

TEST_CASE("Responses object → chat.completion: text, calls, incomplete, usage", "[responses][backend]") {
  const auto text = rs::response_to_chat(obj(R"({"id":"resp_1","created_at":5,"model":"gpt-4.1","status":"completed",
      "output":[{"type":"reasoning","summary":[]},{"type":"message","content":[{"type":"output_text","text":"Hi"},{"type":"output_text","text":"!"}]}],
      "usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":4},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":1}}})"));
  CHECK(text == obj(R"({"id":"resp_1","object":"chat.completion","created":5,"model":"gpt-4.1",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},
               "completion_tokens_details":{"reasoning_tokens":1}}})"));

  const auto calls = rs::response_to_chat(obj(R"({"status":"completed","output":[
      {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}]})"));
  const auto& message = calls.at("choices").at(0).at("message");
  CHECK(message.at("content").is_null());
  CHECK(message.at("tool_calls") == json::parse(R"([{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}])"));
  CHECK(calls.at("choices").at(0).at("finish_reason") == "tool_calls");
  CHECK_FALSE(calls.contains("usage"));

  CHECK(rs::response_to_chat(obj(R"({"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]})"))
            .at("choices").at(0).at("finish_reason") == "length");
  CHECK(rs::response_to_chat(obj(R"({"status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]})"))
            .at("choices").at(0).at("finish_reason") == "content_filter");
}

TEST_CASE("Responses stream → chat chunks: text and usage, at every split", "[responses][backend]") {
  const auto payloads = at_every_split(kTextStream);
  REQUIRE(payloads.size() == 6);
  CHECK(delta_of(payloads[0]) == json::parse(R"({"role":"assistant","content":""})"));
  CHECK(delta_of(payloads[1]) == json::parse(R"({"content":"Hel"})"));
  CHECK(delta_of(payloads[2]) == json::parse(R"({"content":"lo"})"));
  CHECK(chunk(payloads[3]).at("choices").at(0).at("finish_reason") == "stop");
  CHECK(chunk(payloads[4]).at("usage") ==
        json::parse(R"({"prompt_tokens":30,"completion_tokens":2,"total_tokens":32,"prompt_tokens_details":{"cached_tokens":10}})"));
  CHECK(payloads[5] == "[DONE]");
  CHECK(chunk(payloads[1]).at("id") == "chatcmpl-X");
  CHECK(chunk(payloads[1]).at("model") == "gpt-4.1");
  CHECK(chunk(payloads[1]).at("created") == 7);

  Read r;
  read(r, kTextStream);
  CHECK(r.translator.finished());
  CHECK(r.translator.usage().input == 30);
  CHECK(r.translator.usage().cached == 10);
  CHECK(r.results == std::vector<bool>(9, true));
}

TEST_CASE("Responses stream → chat chunks: interleaved function call arguments, at every split", "[responses][backend]") {
  const auto payloads = at_every_split(kToolStream);
  REQUIRE(payloads.size() == 9);
  CHECK(delta_of(payloads[1]) == json::parse(R"({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]})"));
  CHECK(delta_of(payloads[2]) == json::parse(R"({"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]})"));
  CHECK(delta_of(payloads[3]) == json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})"));
  CHECK(delta_of(payloads[4]) == json::parse(R"({"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]})"));
  CHECK(delta_of(payloads[5]) == json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]})"));
  CHECK(chunk(payloads[6]).at("choices").at(0).at("finish_reason") == "tool_calls");
  CHECK(payloads.back() == "[DONE]");
}

TEST_CASE("Responses stream → chat chunks: broken, failed and malformed streams say so", "[responses][backend]") {
  SECTION("a stream cut before response.completed is not finished") {
    Read r;
    read(r, kTextStream.substr(0, kTextStream.find("event: response.output_text.done")));
    CHECK_FALSE(r.translator.finished());
    CHECK(r.payloads.back() != "[DONE]");
  }
  SECTION("the backend's error and response.failed") {
    Read r;
    read(r, kTextStream.substr(0, kTextStream.find("event: response.output_text.done")) +
                event("error", R"("code":"server_error","message":"boom","sequence_number":6)"));
    CHECK(r.results.back() == false);
    CHECK(r.translator.is_upstream_error());
    CHECK(r.translator.error_message() == "the backend's stream failed: boom");
    Read f;
    read(f, event("response.failed", R"("response":{"status":"failed","error":{"code":"x","message":"quota"}},"sequence_number":0)"));
    CHECK(f.translator.error_message() == "the backend's stream failed: quota");
  }
  SECTION("an event that is not JSON") {
    Read r;
    read(r, "event: response.output_text.delta\ndata: {not json\n\n");
    CHECK(r.results == std::vector<bool>{false});
    CHECK_FALSE(r.translator.is_upstream_error());
    CHECK(r.translator.error_message() == "the backend sent a Responses event that is not a JSON object");
  }
  SECTION("arguments for a call never announced") {
    Read r;
    read(r, event("response.function_call_arguments.delta", R"("output_index":3,"delta":"{}","sequence_number":0)"));
    CHECK(r.results == std::vector<bool>{false});
    CHECK(r.translator.error_message() == "the backend streamed function call arguments for an item it never announced");
  }
  SECTION("incomplete ends with length") {
    const auto payloads = at_every_split(
        event("response.incomplete", R"("response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[],"usage":{"input_tokens":1,"output_tokens":9}},"sequence_number":0)"));
    REQUIRE(payloads.size() == 4);
    CHECK(chunk(payloads[1]).at("choices").at(0).at("finish_reason") == "length");
  }
}

TEST_CASE("Responses client → native backend: what the chat form cannot hold rides along and comes back",
          "[responses][backend]") {
  // Codex CLI's kind of request.
  const auto decoded = hgw::protocol::responses::responses_request_to_chat(
      obj(R"({"model":"codex","instructions":"You are Codex.","input":[
          {"type":"message","role":"developer","content":[{"type":"input_text","text":"sandbox: read-only"}]},
          {"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],
        "tools":[{"type":"function","name":"shell","parameters":{"type":"object"}},{"type":"web_search"}],
        "reasoning":{"effort":"medium","summary":"auto"},"include":["reasoning.encrypted_content"],
        "prompt_cache_key":"k1","text":{"verbosity":"low"},"store":false,"stream":true})"),
      nullptr, {"resp_X", {}, true});
  REQUIRE(decoded.error.empty());
  const auto native = rs::chat_request_to_responses(decoded.chat_body, "gpt-5", true);
  REQUIRE(native.error.empty());
  const auto& b = native.body;
  CHECK(b.at("input").at(0).at("role") == "system");     // the instructions
  CHECK(b.at("input").at(1).at("role") == "developer");  // given back its own role
  CHECK(b.at("tools") == json::parse(R"([{"type":"function","name":"shell","parameters":{"type":"object"}},{"type":"web_search"}])"));
  CHECK(b.at("reasoning") == json::parse(R"({"effort":"medium","summary":"auto"})"));
  CHECK(b.at("include") == json::parse(R"(["reasoning.encrypted_content"])"));
  CHECK(b.at("prompt_cache_key") == "k1");
  CHECK(b.at("text").at("verbosity") == "low");
  CHECK(b.at("store") == false);
  CHECK_FALSE(b.contains("hybridgw_responses"));

  // A chat backend is sent none of it.
  const std::string chat = hgw::protocol::upstream_body(decoded.chat_body, "qwen", true);
  CHECK(chat.find("hybridgw_responses") == std::string::npos);
  CHECK(chat.find("web_search") == std::string::npos);
  CHECK(json::parse(chat).at("messages").at(1).at("role") == "system");
}
