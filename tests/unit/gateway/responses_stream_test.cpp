// Streams for POST /v1/responses: recorded chat.completion.chunk streams
// translated into Responses events (native Responses streams read back into
// chat chunks: responses_backend_test.cpp). Every recording is fed through SseParser split at every
// byte position and must give the same bytes as the unsplit feed; the events
// must come in the exact order with consecutive sequence numbers, and must
// accumulate — under the checks openai-node's ResponseStream makes — into
// the response that the final event carries.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "gateway/protocol/ResponsesStream.hpp"
#include "gateway/protocol/SseParser.hpp"

namespace json = boost::json;
namespace rs = hgw::protocol::responses;
using hgw::protocol::SseEvent;
using hgw::protocol::SseParser;

namespace {

const json::object kRequest = json::parse(R"({"model":"gpt-4o-mini","input":"hi","stream":true})").as_object();

rs::ResponseContext context() { return {"resp_S1", 1700000000, "gpt-4o-mini", &kRequest}; }

// One chat chunk as vLLM frames it.
std::string chunk(std::string_view choices, std::string_view extra = {}) {
  return "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"qwen2.5-7b\","
         "\"choices\":" +
         std::string(choices) + std::string(extra) + "}\n\n";
}
std::string delta(std::string_view d, std::string_view finish = "null") {
  return chunk("[{\"index\":0,\"delta\":" + std::string(d) + ",\"logprobs\":null,\"finish_reason\":" + std::string(finish) + "}]");
}
const std::string kUsage =
    chunk("[]", ",\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,"
                "\"prompt_tokens_details\":{\"cached_tokens\":4},\"completion_tokens_details\":{\"reasoning_tokens\":1}}");
const std::string kDone = "data: [DONE]\n\n";

const std::string kTextStream = delta(R"({"role":"assistant","content":""})") + delta(R"({"content":"Hello"})") +
                                ": keep-alive\n\n" + delta(R"({"content":", world"})") + delta("{}", "\"stop\"") + kDone;

const std::string kTextUsageStream = delta(R"({"role":"assistant","content":"Hi"})") + delta(R"({"content":" there"})") +
                                     delta("{}", "\"stop\"") + kUsage + kDone;

// Text, then two calls whose argument fragments interleave (index 0 and 1).
const std::string kToolStream =
    delta(R"({"role":"assistant","content":"Let me check."})") +
    delta(R"({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]})") +
    delta(R"({"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]})") +
    delta(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})") +
    delta(R"({"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":\"UTC\"}"}}]})") +
    delta(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]})") + delta("{}", "\"tool_calls\"") +
    kUsage + kDone;

const std::string kLengthStream =
    delta(R"({"role":"assistant","content":"Once upon"})") + delta(R"({"content":" a time"})", "\"length\"") + kUsage + kDone;

// CRLF framing (some servers) with an error object in the middle of the stream.
const std::string kErrorStream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Part\"},\"finish_reason\":null}]}\r\n\r\n"
                                 "data: {\"error\":{\"message\":\"CUDA out of memory\",\"type\":\"server_error\",\"code\":500}}\r\n\r\n";

const std::string kMalformedStream = delta(R"({"role":"assistant","content":"Par"})") + "data: {\"choices\":[{\"ind\n\n" +
                                     delta(R"({"content":"never"})") + kDone;

// The upstream ended after a finish_reason without [DONE] (hybridgw-sim no_done).
const std::string kNoDoneStream = delta(R"({"role":"assistant","content":"ok"})") + delta("{}", "\"stop\"");

// The upstream ended in the middle of the answer.
const std::string kCutStream = delta(R"({"role":"assistant","content":"I was say"})");

struct Run {
  std::string out;
  bool ok = true;
  std::string error;
};

// Feeds `wire` to a fresh translator, in two reads split at `split` (npos:
// one read), and ends it the way the pipeline does: fail() on a translator
// error, finish() when the upstream ends without [DONE].
Run translate(std::string_view wire, std::size_t split = std::string_view::npos) {
  rs::ChatStreamToResponses t(context());
  SseParser parser;
  Run r;
  auto read = [&](std::string_view bytes) {
    std::vector<SseEvent> events;
    REQUIRE(parser.feed(bytes, events));
    for (const auto& e : events) {
      if (!r.ok) return;
      if (!t.feed(e.data, r.out)) {
        r.ok = false;
        r.error = t.error_message();
        r.out += t.fail(t.error_message(), "server_error");
      }
    }
  };
  if (split == std::string_view::npos) {
    read(wire);
  } else {
    read(wire.substr(0, split));
    read(wire.substr(split));
  }
  if (r.ok && !t.finished()) r.out += t.finish();
  return r;
}

// Every split position gives the same bytes as the unsplit feed.
void check_every_split(std::string_view wire) {
  const Run whole = translate(wire);
  std::size_t mismatches = 0, first = 0;
  for (std::size_t k = 0; k <= wire.size(); ++k)
    if (translate(wire, k).out != whole.out && mismatches++ == 0) first = k;
  INFO("first mismatch at byte " << first);
  CHECK(mismatches == 0);
}

std::vector<SseEvent> parse_events(std::string_view wire) {
  SseParser parser;
  std::vector<SseEvent> events;
  REQUIRE(parser.feed(wire, events));
  CHECK_FALSE(parser.has_partial());
  return events;
}

std::vector<std::string> types_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.event);
  return types;
}

json::object data_of(const SseEvent& e) { return json::parse(e.data).as_object(); }

// Applies the events as openai-node's ResponseStream accumulator does,
// returning the first thing it would reject ("" when all is well); `error`
// receives the message of an `error` event (the SDK throws it).
std::string accumulate(const std::vector<SseEvent>& events, json::object& snapshot, std::string& error) {
  auto item_at = [&](const json::object& d, std::string& why) -> json::object* {
    const auto index = d.at("output_index").to_number<std::size_t>();
    auto& output = snapshot.at("output").as_array();
    if (index >= output.size()) {
      why = "missing output at index " + std::to_string(index);
      return nullptr;
    }
    auto& item = output[index].as_object();
    if (d.contains("item_id") && item.at("id") != d.at("item_id")) {
      why = "item_id does not match output " + std::to_string(index);
      return nullptr;
    }
    return &item;
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json::object d = data_of(events[i]);
    const std::string type(d.at("type").as_string());
    const std::string at = " (event " + std::to_string(i) + " " + type + ")";
    if (events[i].event != type) return "SSE event name differs from data.type" + at;
    if (d.at("sequence_number") != i) return "sequence_number is not " + std::to_string(i) + at;
    if (i == 0 && type != "response.created") return "the first event must be response.created" + at;
    std::string why;
    if (type == "error") {
      error = std::string(d.at("error").at("message").as_string());
      if (d.at("message") != d.at("error").at("message")) return "flat and nested error messages differ" + at;
    } else if (type.starts_with("response.") && d.contains("response")) {
      const auto& next = d.at("response").as_object();
      if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
        // The final object must be what the events built (a failed one marks
        // the items that were still open as incomplete).
        json::array built = snapshot.at("output").as_array();
        if (type == "response.failed")
          for (auto& item : built)
            if (item.at("status") == "in_progress") item.as_object()["status"] = "incomplete";
        if (next.at("output") != built) return "final output differs from the accumulated output" + at;
        if (next.at("usage").is_null()) return "final response without usage" + at;
      }
      for (const auto& item : next.at("output").as_array())
        if (item.at("id").as_string().empty()) return "output item without id" + at;
      snapshot = next;
    } else if (type == "response.output_item.added") {
      auto& output = snapshot.at("output").as_array();
      if (d.at("output_index") != output.size()) return "output_index is not the next index" + at;
      output.push_back(d.at("item"));
    } else if (type == "response.content_part.added") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      auto& content = item->at("content").as_array();
      if (d.at("content_index") != content.size()) return "content_index is not the next index" + at;
      content.push_back(d.at("part"));
    } else if (type == "response.output_text.delta" || type == "response.refusal.delta") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      auto& part = item->at("content").as_array().at(d.at("content_index").to_number<std::size_t>()).as_object();
      const char* key = type == "response.output_text.delta" ? "text" : "refusal";
      part[key] = std::string(part.at(key).as_string()) + std::string(d.at("delta").as_string());
    } else if (type == "response.output_text.done" || type == "response.refusal.done") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      const char* key = type == "response.output_text.done" ? "text" : "refusal";
      if (item->at("content").at(d.at("content_index").to_number<std::size_t>()).at(key) != d.at(key))
        return "done text differs from the deltas" + at;
    } else if (type == "response.content_part.done") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      if (item->at("content").at(d.at("content_index").to_number<std::size_t>()) != d.at("part"))
        return "done part differs from the accumulated part" + at;
    } else if (type == "response.function_call_arguments.delta") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      if (item->at("type") != "function_call") return "arguments delta for a non-call item" + at;
      (*item)["arguments"] = std::string(item->at("arguments").as_string()) + std::string(d.at("delta").as_string());
    } else if (type == "response.function_call_arguments.done") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      if (item->at("arguments") != d.at("arguments") || item->at("name") != d.at("name"))
        return "done arguments differ from the deltas" + at;
    } else if (type == "response.output_item.done") {
      json::object* item = item_at(d, why);
      if (!item) return why + at;
      json::object done = d.at("item").as_object();
      if (done.at("id") != item->at("id") || done.at("type") != item->at("type") ||
          done.contains("call_id") != item->contains("call_id") ||
          (done.contains("call_id") && done.at("call_id") != item->at("call_id")))
        return "output_item.done changes the item's identity" + at;
      done["status"] = item->at("status");
      if (json::value(done) != json::value(*item)) return "output_item.done differs from the accumulated item" + at;
      *item = d.at("item").as_object();
    } else {
      return "unexpected event type" + at;
    }
  }
  return {};
}

// The checks every translated stream must pass; returns its events.
std::vector<SseEvent> check_stream(std::string_view wire) {
  check_every_split(wire);
  const Run run = translate(wire);
  auto events = parse_events(run.out);
  json::object snapshot;
  std::string error;
  CHECK(accumulate(events, snapshot, error) == "");
  return events;
}

}  // namespace

TEST_CASE("responses stream: text only", "[responses]") {
  const auto events = check_stream(kTextStream);
  CHECK(types_of(events) == std::vector<std::string>{
                                "response.created", "response.in_progress", "response.output_item.added",
                                "response.content_part.added", "response.output_text.delta",
                                "response.output_text.delta", "response.output_text.done",
                                "response.content_part.done", "response.output_item.done", "response.completed"});
  CHECK(data_of(events[0]).at("response").at("status") == "in_progress");
  CHECK(data_of(events[0]).at("response").at("output").as_array().empty());
  CHECK(data_of(events[4]) == json::parse(R"({"type":"response.output_text.delta","item_id":"msg_S1_0","output_index":0,
      "content_index":0,"delta":"Hello","logprobs":[],"sequence_number":4})"));
  const auto done = data_of(events.back()).at("response");
  CHECK(done.at("id") == "resp_S1");
  CHECK(done.at("status") == "completed");
  CHECK(done.at("output").at(0).at("content").at(0).at("text") == "Hello, world");
  // No usage chunk: zeros, because clients require the numbers.
  CHECK(done.at("usage").at("total_tokens") == 0);
}

TEST_CASE("responses stream: usage chunk fills usage with cached and reasoning details", "[responses]") {
  const auto events = check_stream(kTextUsageStream);
  CHECK(events.size() == 10);
  const auto done = data_of(events.back()).at("response");
  CHECK(done.at("usage") == json::parse(R"({"input_tokens":12,"input_tokens_details":{"cached_tokens":4},"output_tokens":3,
      "output_tokens_details":{"reasoning_tokens":1},"total_tokens":15})"));
  rs::ChatStreamToResponses t(context());
  std::string out;
  for (const auto& e : parse_events(kTextUsageStream)) REQUIRE(t.feed(e.data, out));
  CHECK(t.usage().known);
  CHECK(t.usage().input == 12);
  CHECK(t.usage().cached == 4);
  CHECK(t.usage().output == 3);
  CHECK(t.finished());
  CHECK(json::value(t.response()) == done);  // what storage gets is what the client got
}

TEST_CASE("responses stream: text then two tool calls with interleaved argument deltas", "[responses]") {
  const auto events = check_stream(kToolStream);
  CHECK(types_of(events) == std::vector<std::string>{
                                "response.created", "response.in_progress",
                                "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                                "response.output_item.added", "response.output_item.added",
                                "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                                "response.function_call_arguments.delta",
                                "response.function_call_arguments.done", "response.output_item.done",
                                "response.function_call_arguments.done", "response.output_item.done",
                                "response.completed"});
  CHECK(data_of(events[8]).at("item") == json::parse(R"({"id":"fc_S1_1","type":"function_call","status":"in_progress",
      "arguments":"","call_id":"call_a","name":"get_weather"})"));
  CHECK(data_of(events[11]).at("output_index") == 2);  // get_time's fragment between get_weather's two
  const auto output = data_of(events.back()).at("response").at("output");
  CHECK(output.at(1).at("arguments") == "{\"city\":\"Paris\"}");
  CHECK(output.at(2) == json::parse(R"({"id":"fc_S1_2","type":"function_call","status":"completed",
      "arguments":"{\"tz\":\"UTC\"}","call_id":"call_b","name":"get_time"})"));
}

TEST_CASE("responses stream: finish_reason length ends in response.incomplete", "[responses]") {
  const auto events = check_stream(kLengthStream);
  CHECK(events.back().event == "response.incomplete");
  const auto r = data_of(events.back()).at("response");
  CHECK(r.at("status") == "incomplete");
  CHECK(r.at("incomplete_details") == json::parse(R"({"reason":"max_output_tokens"})"));
  CHECK(r.at("output").at(0).at("status") == "incomplete");
  CHECK(r.at("output").at(0).at("content").at(0).at("text") == "Once upon a time");
  CHECK(r.at("usage").at("output_tokens") == 3);
}

TEST_CASE("responses stream: an in-stream error object ends with error then response.failed", "[responses]") {
  const auto events = check_stream(kErrorStream);
  const Run run = translate(kErrorStream);
  CHECK_FALSE(run.ok);
  CHECK(run.error == "backend reported an error inside the stream: CUDA out of memory");
  CHECK(types_of(events) == std::vector<std::string>{"response.created", "response.in_progress",
                                                     "response.output_item.added", "response.content_part.added",
                                                     "response.output_text.delta", "error", "response.failed"});
  CHECK(data_of(events[5]) == json::parse(R"({"type":"error","code":"server_error",
      "message":"backend reported an error inside the stream: CUDA out of memory","param":null,
      "error":{"type":"server_error","code":"server_error","message":"backend reported an error inside the stream: CUDA out of memory","param":null},
      "sequence_number":5})"));
  const auto failed = data_of(events[6]).at("response");
  CHECK(failed.at("status") == "failed");
  CHECK(failed.at("error").at("message") == "backend reported an error inside the stream: CUDA out of memory");
  CHECK(failed.at("output").at(0).at("status") == "incomplete");  // the part that was sent, marked unfinished
  std::string error;
  json::object snapshot;
  CHECK(accumulate(events, snapshot, error) == "");
  CHECK(error == "backend reported an error inside the stream: CUDA out of memory");
}

TEST_CASE("responses stream: malformed JSON, a cut, a missing [DONE] and an error before any byte", "[responses]") {
  SECTION("malformed chunk") {
    const auto events = check_stream(kMalformedStream);
    CHECK(translate(kMalformedStream).error == "backend sent a stream chunk that is not a JSON object");
    CHECK(events[events.size() - 2].event == "error");
    CHECK(events.back().event == "response.failed");
  }
  SECTION("the upstream ended mid-answer: failed, never completed") {
    const auto events = check_stream(kCutStream);
    CHECK(events[events.size() - 2].event == "error");
    CHECK(data_of(events.back()).at("response").at("error").at("message") ==
          "the backend's stream ended before the answer was finished");
  }
  SECTION("finish_reason without [DONE] completes") {
    const auto events = check_stream(kNoDoneStream);
    CHECK(events.back().event == "response.completed");
  }
  SECTION("an error as the first chunk sends nothing, so the pipeline can fail over") {
    rs::ChatStreamToResponses t(context());
    std::string out;
    CHECK_FALSE(t.feed(R"({"error":{"message":"overloaded"}})", out));
    CHECK(t.is_upstream_error());
    CHECK(out.empty());
    CHECK_FALSE(t.started());
    // If the pipeline must end it anyway, the client still gets a well-formed failure.
    const auto events = parse_events(t.fail("no backend could answer", "upstream_error"));
    CHECK(types_of(events) == std::vector<std::string>{"response.created", "response.in_progress", "error", "response.failed"});
    CHECK(data_of(events[3]).at("response").at("error") == json::parse(R"({"code":"upstream_error","message":"no backend could answer"})"));
    CHECK(t.fail("again").empty());  // one end only
    CHECK(t.finish().empty());
  }
}

TEST_CASE("responses stream: calls without index or with a late name, refusals", "[responses]") {
  SECTION("no index: each new id is a new call") {
    const std::string wire =
        delta(R"({"tool_calls":[{"id":"call_1","type":"function","function":{"name":"a","arguments":"{}"}}]})") +
        delta(R"({"tool_calls":[{"id":"call_2","type":"function","function":{"name":"b","arguments":"{\"x\":1}"}}]})") +
        delta("{}", "\"tool_calls\"") + kDone;
    const auto events = check_stream(wire);
    const auto output = data_of(events.back()).at("response").at("output");
    REQUIRE(output.as_array().size() == 2);
    CHECK(output.at(0).at("call_id") == "call_1");
    CHECK(output.at(1).at("arguments") == "{\"x\":1}");
  }
  SECTION("arguments before the name wait for it; a call without id gets one") {
    const std::string wire = delta(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]})") +
                             delta(R"({"tool_calls":[{"index":0,"function":{"name":"search","arguments":"\"x\"}"}}]})") +
                             delta("{}", "\"tool_calls\"") + kDone;
    const auto events = check_stream(wire);
    CHECK(data_of(events[2]).at("item").at("name") == "search");
    CHECK(data_of(events[3]).at("delta") == "{\"q\":\"x\"}");
    const auto call = data_of(events.back()).at("response").at("output").at(0);
    CHECK(call.at("call_id") == "call_S1_0");
    CHECK(call.at("arguments") == "{\"q\":\"x\"}");
  }
  SECTION("a call of a namespaced tool carries its namespace in every event") {
    const json::object request =
        json::parse(R"({"input":"x","tools":[{"type":"namespace","name":"ns","tools":[{"type":"function","name":"a"}]}]})").as_object();
    rs::ChatStreamToResponses t({"resp_S1", 1, "m", &request});
    std::string out;
    for (const auto& e : parse_events(delta(R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"a","arguments":"{}"}}]})") +
                                      delta("{}", "\"tool_calls\"") + kDone))
      REQUIRE(t.feed(e.data, out));
    const auto events = parse_events(out);
    CHECK(data_of(events[2]).at("item").at("namespace") == "ns");
    CHECK(data_of(events.back()).at("response").at("output").at(0).at("namespace") == "ns");
  }
  SECTION("a refusal streams as a refusal part") {
    const std::string wire = delta(R"({"role":"assistant","refusal":"I can't"})") + delta(R"({"refusal":" help."})") +
                             delta("{}", "\"stop\"") + kDone;
    const auto events = check_stream(wire);
    CHECK(events[4].event == "response.refusal.delta");
    CHECK(data_of(events.back()).at("response").at("output").at(0).at("content") ==
          json::parse(R"([{"type":"refusal","refusal":"I can't help."}])"));
  }
  SECTION("an empty stream that says [DONE] completes with no output") {
    const auto events = check_stream(kDone);
    CHECK(types_of(events) == std::vector<std::string>{"response.created", "response.in_progress", "response.completed"});
  }
}
