// The OpenAI Responses API on top of chat backends: request translation (each
// item kind, each error), response translation and usage. Pure, no sockets.
// The stream translators are tested in responses_stream_test.cpp.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/protocol/ResponsesRequest.hpp"
#include "gateway/protocol/ResponsesResponse.hpp"

namespace json = boost::json;
namespace rs = hgw::protocol::responses;

namespace {

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

rs::RequestTranslation translate(std::string_view request, const json::array* history = nullptr,
                                 const rs::RequestOptions& options = {"resp_T1", {}}) {
  return rs::responses_request_to_chat(obj(request), history, options);
}

json::array messages(const rs::RequestTranslation& t) { return t.chat_body.at("messages").as_array(); }

// The error of a request that must not translate.
std::string error_of(std::string_view request, const json::array* history = nullptr) {
  auto t = translate(request, history);
  CHECK_FALSE(t.error.empty());
  return t.error;
}

}  // namespace

TEST_CASE("responses request: string input, instructions, sampling and stream", "[responses]") {
  auto t = translate(R"({"model":"gpt-4o","instructions":"Be brief.","input":"Hello","max_output_tokens":64,
                         "temperature":0.2,"top_p":0.9,"stream":true,"user":"u-1","reasoning":{"effort":"low","summary":"auto"},
                         "metadata":{"k":"v"},"store":true,"include":["reasoning.encrypted_content"],"truncation":"auto"})");
  REQUIRE(t.error.empty());
  CHECK(json::value(t.chat_body) == json::parse(R"({"model":"gpt-4o",
      "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],
      "max_tokens":64,"temperature":0.2,"top_p":0.9,"reasoning_effort":"low","user":"u-1","stream":true,
      "hybridgw_responses":{"include":["reasoning.encrypted_content"],"reasoning":{"effort":"low","summary":"auto"},
                            "truncation":"auto","metadata":{"k":"v"}}})"));
  // This turn's input, normalised with an id derived from the response id.
  CHECK(json::value(t.input_items) == json::parse(R"([{"type":"message","id":"msg_T1_in0","role":"user",
      "content":[{"type":"input_text","text":"Hello"}],"status":"completed"}])"));
}

TEST_CASE("responses request: message items with text and image parts, developer → system", "[responses]") {
  auto t = translate(R"({"model":"m","input":[
      {"role":"developer","content":"Answer in French."},
      {"type":"message","role":"user","content":[{"type":"input_text","text":"What is this?"},
                                                 {"type":"input_image","image_url":"https://x.test/cat.png","detail":"low"}]},
      {"type":"message","id":"msg_prev","role":"assistant","content":[{"type":"output_text","text":"Un chat.","annotations":[]}]},
      {"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_text","text":"b"}]}]})");
  REQUIRE(t.error.empty());
  CHECK(json::value(messages(t)) == json::parse(R"([
      {"role":"system","content":"Answer in French."},
      {"role":"user","content":[{"type":"text","text":"What is this?"},
                                {"type":"image_url","image_url":{"url":"https://x.test/cat.png","detail":"low"}}]},
      {"role":"assistant","content":"Un chat."},
      {"role":"user","content":"a\nb"}])"));
  REQUIRE(t.input_items.size() == 4);
  CHECK(t.input_items[0].at("id") == "msg_T1_in0");
  CHECK(t.input_items[0].at("content").at(0) == json::parse(R"({"type":"input_text","text":"Answer in French."})"));
  CHECK(t.input_items[2].at("id") == "msg_prev");  // a given id is kept
  CHECK(t.input_items[1].at("content").at(1).at("type") == "input_image");
}

TEST_CASE("responses request: function calls merge into one assistant message, outputs become tool messages",
          "[responses]") {
  auto t = translate(R"({"model":"m","input":[
      {"role":"user","content":"Weather and time in Paris?"},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
      {"type":"function_call","id":"fc_1","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
      {"type":"function_call","call_id":"call_b","name":"get_time","arguments":"{}"},
      {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"opaque"},
      {"type":"function_call_output","call_id":"call_b","output":"12:00"},
      {"type":"function_call_output","call_id":"call_a","output":[{"type":"input_text","text":"sunny"},{"type":"input_text","text":"21C"}]},
      {"type":"function_call","call_id":"call_c","name":"get_weather","arguments":"{\"city\":\"Lyon\"}"},
      {"type":"function_call_output","call_id":"call_c","output":"rain"}]})");
  REQUIRE(t.error.empty());
  CHECK(json::value(messages(t)) == json::parse(R"([
      {"role":"user","content":"Weather and time in Paris?"},
      {"role":"assistant","content":"Checking.","tool_calls":[
          {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
          {"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_b","content":"12:00"},
      {"role":"tool","tool_call_id":"call_a","content":"sunny\n21C"},
      {"role":"assistant","content":null,"tool_calls":[
          {"id":"call_c","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Lyon\"}"}}]},
      {"role":"tool","tool_call_id":"call_c","content":"rain"}])"));
  // Stored items: ids kept or derived, the reasoning item kept as it came.
  REQUIRE(t.input_items.size() == 9);
  CHECK(t.input_items[2].at("id") == "fc_1");
  CHECK(t.input_items[3] == json::parse(R"({"type":"function_call","id":"fc_T1_in3","call_id":"call_b",
      "name":"get_time","arguments":"{}","status":"completed"})"));
  CHECK(t.input_items[4].at("type") == "reasoning");
  CHECK(t.input_items[5] == json::parse(R"({"type":"function_call_output","id":"fco_T1_in5","call_id":"call_b",
      "output":"12:00","status":"completed"})"));
}

TEST_CASE("responses request: history of previous_response_id comes first, without its instructions", "[responses]") {
  // What the gateway stored for the previous turn: its input and output items.
  const json::array history = json::parse(R"([
      {"type":"message","id":"msg_A_in0","role":"user","content":[{"type":"input_text","text":"Weather?"}],"status":"completed"},
      {"type":"function_call","id":"fc_A_0","call_id":"call_1","name":"get_weather","arguments":"{}","status":"completed"}])")
                                  .as_array();
  auto t = translate(R"({"model":"m","previous_response_id":"resp_A","instructions":"Now be terse.",
                         "input":[{"type":"function_call_output","call_id":"call_1","output":"sunny"}]})",
                     &history);
  REQUIRE(t.error.empty());
  CHECK(json::value(messages(t)) == json::parse(R"([
      {"role":"system","content":"Now be terse."},
      {"role":"user","content":"Weather?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"sunny"}])"));
  CHECK(t.input_items.size() == 1);  // only this turn's input is stored again
  CHECK_FALSE(t.chat_body.contains("previous_response_id"));
}

TEST_CASE("responses request: item_reference resolves from history, then from the store", "[responses]") {
  const json::array history = json::parse(R"([
      {"type":"message","id":"msg_H","role":"user","content":[{"type":"input_text","text":"hi"}],"status":"completed"}])")
                                  .as_array();
  const json::object stored = obj(R"({"type":"function_call","id":"fc_S","call_id":"call_s","name":"f","arguments":"{}"})");
  rs::RequestOptions options{"resp_T2", [&](std::string_view id) -> const json::object* {
                               return id == "fc_S" ? &stored : nullptr;
                             }};
  auto t = translate(R"({"model":"m","input":[{"type":"item_reference","id":"msg_H"},{"type":"item_reference","id":"fc_S"},
                         {"type":"function_call_output","call_id":"call_s","output":"ok"}]})",
                     &history, options);
  REQUIRE(t.error.empty());
  CHECK(messages(t).size() == 4);  // history user, referenced user, assistant call, tool
  CHECK(messages(t)[1].at("content") == "hi");
  CHECK(messages(t)[2].at("tool_calls").at(0).at("id") == "call_s");
  // The referenced items are stored as themselves.
  CHECK(t.input_items[1].at("id") == "fc_S");

  auto unknown = translate(R"({"model":"m","input":[{"type":"item_reference","id":"msg_gone"}]})", nullptr, options);
  CHECK(unknown.error == "$.input[0]: item_reference 'msg_gone' names no item this gateway has stored: send the item "
                         "itself (items are kept only for responses created with store=true)");
}

TEST_CASE("responses request: tools, tool_choice, parallel_tool_calls and text.format", "[responses]") {
  auto t = translate(R"({"model":"m","input":"x","parallel_tool_calls":false,"tool_choice":{"type":"function","name":"get_weather"},
      "tools":[{"type":"function","name":"get_weather","description":"Weather now","strict":true,
                "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
               {"type":"function","name":"noop","parameters":null,"strict":null}],
      "text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true}}})");
  REQUIRE(t.error.empty());
  CHECK(t.chat_body.at("tools") == json::parse(R"([
      {"type":"function","function":{"name":"get_weather","description":"Weather now",
        "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},
      {"type":"function","function":{"name":"noop"}}])"));
  CHECK(t.chat_body.at("tool_choice") == json::parse(R"({"type":"function","function":{"name":"get_weather"}})"));
  CHECK(t.chat_body.at("parallel_tool_calls") == false);
  CHECK(t.chat_body.at("response_format") ==
        json::parse(R"({"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}})"));

  // allowed_tools: the tool list is cut down, the mode kept.
  t = translate(R"({"model":"m","input":"x","tools":[{"type":"function","name":"a"},{"type":"function","name":"b"}],
      "tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"b"}]},
      "text":{"format":{"type":"json_object"}}})");
  REQUIRE(t.error.empty());
  CHECK(t.chat_body.at("tools").as_array().size() == 1);
  CHECK(t.chat_body.at("tools").at(0).at("function").at("name") == "b");
  CHECK(t.chat_body.at("tool_choice") == "required");
  CHECK(t.chat_body.at("response_format") == json::parse(R"({"type":"json_object"})"));

  // Without tools, tool_choice and parallel_tool_calls are not sent (chat backends reject them).
  t = translate(R"({"model":"m","input":"x","tool_choice":"none","parallel_tool_calls":true,"text":{"format":{"type":"text"}}})");
  REQUIRE(t.error.empty());
  CHECK_FALSE(t.chat_body.contains("tool_choice"));
  CHECK_FALSE(t.chat_body.contains("parallel_tool_calls"));
  CHECK_FALSE(t.chat_body.contains("response_format"));
  CHECK_FALSE(t.chat_body.contains("stream"));
}

TEST_CASE("responses request: namespaced tools are flattened, hosted tools dropped only when asked", "[responses]") {
  // The shape of what Codex CLI 0.171 sends (trimmed): developer and user
  // messages, function tools, a namespace of function tools and web_search.
  const std::string codex = R"({"model":"gpt-5-codex","stream":true,"store":false,"tool_choice":"auto","parallel_tool_calls":true,
      "reasoning":{"summary":"auto"},"include":["reasoning.encrypted_content"],"prompt_cache_key":"01a2","client_metadata":{"turn_id":"t"},
      "tools":[{"type":"function","name":"exec_command","description":"Runs a command","strict":false,
                "parameters":{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"]}},
               {"type":"namespace","name":"multi_agent_v1","description":"Sub-agents","tools":[
                 {"type":"function","name":"close_agent","strict":false,"parameters":{"type":"object","properties":{}}}]},
               {"type":"web_search","external_web_access":false}],
      "input":[{"type":"message","id":"msg_1","role":"developer","content":[{"type":"input_text","text":"You are Codex."}]},
               {"type":"message","id":"msg_2","role":"user","content":[{"type":"input_text","text":"say hi"}]},
               {"type":"function_call","call_id":"call_1","name":"close_agent","namespace":"multi_agent_v1","arguments":"{}"},
               {"type":"function_call_output","call_id":"call_1","output":"closed"}]})";
  CHECK(translate(codex).error ==
        "$.tools[2].type: 'web_search' tools run on OpenAI's side and chat backends cannot run them: remove the tool, "
        "or route this model to a backend that speaks the Responses API");
  rs::RequestOptions drop{"resp_C", {}};
  drop.drop_hosted_tools = true;
  auto t = translate(codex, nullptr, drop);
  REQUIRE(t.error.empty());
  CHECK(t.chat_body.at("tools") == json::parse(R"([
      {"type":"function","function":{"name":"exec_command","description":"Runs a command",
        "parameters":{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"]},"strict":false}},
      {"type":"function","function":{"name":"close_agent","parameters":{"type":"object","properties":{}},"strict":false}}])"));
  CHECK(messages(t).at(0) == json::parse(R"({"role":"system","content":"You are Codex."})"));
  CHECK(messages(t).at(2).at("tool_calls").at(0).at("function").at("name") == "close_agent");
  CHECK(t.input_items[2].at("namespace") == "multi_agent_v1");  // kept for the next turn
  for (const char* key : {"include", "prompt_cache_key", "client_metadata", "store", "reasoning"})
    CHECK_FALSE(t.chat_body.contains(key));

  // A tool_choice that forces a dropped tool is still refused.
  auto forced = translate(R"({"input":"x","tools":[{"type":"web_search"}],"tool_choice":{"type":"web_search"}})", nullptr, drop);
  CHECK(forced.error == "$.tool_choice.type: 'web_search' selects a tool that chat backends cannot run (expected "
                        "'function' or 'allowed_tools')");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function","name":"a"},{"type":"namespace","name":"n","tools":[{"type":"function","name":"a"}]}]})") ==
        "$.tools[1].tools[0].name: 'a' is the name of an earlier tool too: chat backends call tools by name only, so "
        "names must be unique");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"namespace","name":"n","tools":[{"type":"web_search"}]}]})") ==
        "$.tools[0].tools[0].type: chat backends can only take function tools inside a namespace");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"namespace","tools":[]}]})") == "$.tools[0].name: required (the namespace's name)");
}

TEST_CASE("responses request: each error names its JSON path and says what to do", "[responses]") {
  CHECK(error_of(R"({"input":[{"role":"user","content":"a"},{"type":"foo"}]})") ==
        "$.input[1].type: unknown item type 'foo' (expected message, function_call, function_call_output)");
  CHECK(error_of(R"({"input":[{"role":"user","content":"a"},{"type":"function_call_output","call_id":"call_9","output":"x"}]})") ==
        "$.input[1]: function_call_output for call_id 'call_9' has no function_call before it");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}]})") ==
        "$.input[0]: function_call 'c1' (f) has no function_call_output: send the tool's result as a "
        "function_call_output item with that call_id");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c1","name":"f"},{"role":"user","content":"b"},
                              {"type":"function_call_output","call_id":"c1","output":"x"}]})") ==
        "$.input[1]: function_call 'c1' (f) has no function_call_output before this message: chat backends need "
        "each tool result right after its call");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c1","name":"f"},{"type":"function_call_output","call_id":"c1","output":"x"},
                              {"type":"function_call_output","call_id":"c1","output":"y"}]})") ==
        "$.input[2]: call_id 'c1' already has a function_call_output");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c1","name":"f"},{"type":"function_call","call_id":"c1","name":"g"}]})") ==
        "$.input[1].call_id: 'c1' is used by an earlier function_call: each call needs its own call_id");
  CHECK(error_of(R"({"input":[{"type":"function_call","name":"f"}]})") ==
        "$.input[0].call_id: required (the id that its function_call_output repeats)");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c"}]})") == "$.input[0].name: required (the function's name)");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c","name":"f","arguments":{"a":1}}]})") ==
        "$.input[0].arguments: must be a string (the arguments as JSON text)");
  CHECK(error_of(R"({"input":[{"type":"function_call_output","output":"x"}]})") ==
        "$.input[0].call_id: required (the call_id of the function_call it answers)");
  CHECK(error_of(R"({"input":[{"type":"function_call","call_id":"c","name":"f"},
                              {"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://x"}]}]})") ==
        "$.input[1].output[0]: chat backends accept only text in tool results (got part type 'input_image')");
  CHECK(error_of(R"({"input":[{"type":"web_search_call","id":"ws_1"}]})") ==
        "$.input[0].type: 'web_search_call' items belong to tools that run on OpenAI's side; chat backends cannot take "
        "them (expected message, function_call, function_call_output)");
  CHECK(error_of(R"({"input":[{"content":"x"}]})") == "$.input[0].type: required (message, function_call or function_call_output)");
  CHECK(error_of(R"({"input":[{"role":"robot","content":"x"}]})") ==
        "$.input[0].role: must be user, assistant, system or developer (got 'robot')");
  CHECK(error_of(R"({"input":["just a string"]})") == "$.input[0]: each input item must be an object");
  CHECK(error_of(R"({"input":[{"role":"user","content":42}]})") ==
        "$.input[0].content: must be a string or an array of content parts");
  CHECK(error_of(R"({"input":[{"role":"user","content":[{"type":"input_text"}]}]})") ==
        "$.input[0].content[0].text: required (a string)");
  CHECK(error_of(R"({"input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]})") ==
        "$.input[0].content[0]: images given by file_id live in OpenAI's Files API, which chat backends cannot read: "
        "send image_url (an http(s) URL or a data: URI) instead");
  CHECK(error_of(R"({"input":[{"role":"user","content":[{"type":"input_image"}]}]})") ==
        "$.input[0].content[0].image_url: required (an http(s) URL or a data: URI)");
  CHECK(error_of(R"({"input":[{"role":"user","content":[{"type":"input_file","file_data":"..."}]}]})") ==
        "$.input[0].content[0]: input_file parts cannot be sent to chat backends: put the document's text in an "
        "input_text part");
  CHECK(error_of(R"({"input":[{"role":"system","content":[{"type":"input_image","image_url":"https://x"}]}]})") ==
        "$.input[0].content: system messages can only hold text");
  CHECK(error_of(R"({"input":[{"role":"user","content":[{"type":"video"}]}]})") ==
        "$.input[0].content[0].type: unknown content part type 'video' (expected input_text, input_image or output_text)");
  CHECK(error_of(R"({"input":[{"type":"item_reference","id":"x"}]})") ==
        "$.input[0]: item_reference 'x' names no item this gateway has stored: send the item itself (items are kept "
        "only for responses created with store=true)");
  CHECK(error_of(R"({"model":"m"})") == "$.input: required (a string, or an array of items)");
  CHECK(error_of(R"({"input":[]})") == "$.input: must not be empty");
  CHECK(error_of(R"({"input":7})") == "$.input: must be a string or an array of items");
  CHECK(error_of(R"({"input":"x","instructions":["a"]})") == "$.instructions: must be a string");

  CHECK(error_of(R"({"input":"x","tools":[{"type":"web_search"}]})") ==
        "$.tools[0].type: 'web_search' tools run on OpenAI's side and chat backends cannot run them: remove the tool, "
        "or route this model to a backend that speaks the Responses API");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"file_search","vector_store_ids":["vs"]}]})").starts_with(
      "$.tools[0].type: 'file_search' tools run on OpenAI's side"));
  CHECK(error_of(R"({"input":"x","tools":[{"type":"custom","name":"apply_patch"}]})") ==
        "$.tools[0].type: custom (free-form) tools cannot be sent to chat backends: declare a function tool with a "
        "JSON schema instead");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function"}]})") == "$.tools[0].name: required (the function's name)");
  CHECK(error_of(R"({"input":"x","tools":[{"name":"f"}]})") == "$.tools[0].type: required ('function')");
  CHECK(error_of(R"({"input":"x","tools":{"type":"function"}})") == "$.tools: must be an array");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function","name":"f","parameters":"{}"}]})") ==
        "$.tools[0].parameters: must be a JSON schema object");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":"any"})") ==
        "$.tool_choice: must be auto, none, required or {\"type\":\"function\",\"name\":…} (got 'any')");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"g"}})") ==
        "$.tool_choice.name: no function tool named 'g' in $.tools");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"web_search_preview"}})") ==
        "$.tool_choice.type: 'web_search_preview' selects a tool that chat backends cannot run (expected 'function' "
        "or 'allowed_tools')");
  CHECK(error_of(R"({"input":"x","tools":[{"type":"function","name":"f"}],
                     "tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"zz"}]}})") ==
        "$.tool_choice.tools[0]: no function tool named 'zz' in $.tools");
  CHECK(error_of(R"({"input":"x","text":{"format":{"type":"yaml"}}})") == "$.text.format.type: must be text, json_object or json_schema");
  CHECK(error_of(R"({"input":"x","text":{"format":{"type":"json_schema","schema":{}}}})") == "$.text.format.name: required for json_schema");
  CHECK(error_of(R"({"input":"x","text":{"format":{"type":"json_schema","name":"n"}}})") ==
        "$.text.format.schema: required for json_schema (a JSON schema object)");
  CHECK(error_of(R"({"input":"x","max_output_tokens":0})") == "$.max_output_tokens: must be a positive integer");
  CHECK(error_of(R"({"input":"x","max_output_tokens":"10"})") == "$.max_output_tokens: must be a positive integer");
  CHECK(error_of(R"({"input":"x","temperature":"hot"})") == "$.temperature: must be a number");
  CHECK(error_of(R"({"input":"x","reasoning":{"effort":3}})") == "$.reasoning.effort: must be a string (low, medium, high, …)");
  CHECK(error_of(R"({"input":"x","background":true})") ==
        "$.background: background responses are not supported by this gateway: send the request without background "
        "(stream it if it takes long)");
  CHECK(error_of(R"({"input":"x","conversation":"conv_1"})") ==
        "$.conversation: conversations are not supported by this gateway: chain turns with previous_response_id");
  CHECK(error_of(R"({"input":"x","prompt":{"id":"pmpt_1"}})").starts_with("$.prompt: prompt templates"));

  // An error in the stored conversation says where it comes from.
  const json::array broken = json::parse(R"([{"type":"computer_call","id":"cu_1"}])").as_array();
  CHECK(error_of(R"({"input":"x"})", &broken).starts_with("$.previous_response_id (stored item 0).type: 'computer_call' items"));
}

namespace {

rs::ResponseContext context(const json::object* request) { return {"resp_R1", 1700000000, "gpt-4o", request}; }

}  // namespace

TEST_CASE("chat.completion → response object: text, echoed parameters, usage", "[responses]") {
  const json::object request = obj(R"({"model":"gpt-4o","input":"hi","instructions":"Be kind.","temperature":0.5,
      "metadata":{"team":"a"},"tools":[],"store":false,"max_output_tokens":100})");
  const json::object chat = obj(R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"qwen2.5",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":8},
               "completion_tokens_details":{"reasoning_tokens":2}}})");
  rs::ResponseContext not_kept = context(&request);
  not_kept.stored = false;  // the pipeline's verdict (store: false here), not the request's word
  const json::object r = rs::chat_response_to_response(chat, not_kept);
  CHECK(r.at("id") == "resp_R1");
  CHECK(r.at("object") == "response");
  CHECK(r.at("created_at") == 1700000000);
  CHECK(r.at("status") == "completed");
  CHECK(r.at("model") == "gpt-4o");  // the client's name, not the backend's
  CHECK(r.at("error").is_null());
  CHECK(r.at("incomplete_details").is_null());
  CHECK(r.at("output") == json::parse(R"([{"id":"msg_R1_0","type":"message","status":"completed",
      "content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello!"}],"role":"assistant"}])"));
  CHECK(r.at("usage") == json::parse(R"({"input_tokens":20,"input_tokens_details":{"cached_tokens":8},"output_tokens":5,
      "output_tokens_details":{"reasoning_tokens":2},"total_tokens":25})"));
  // Echoed request parameters, and OpenAI's defaults for the others.
  CHECK(r.at("instructions") == "Be kind.");
  CHECK(r.at("temperature") == 0.5);
  CHECK(r.at("top_p").is_null());
  CHECK(r.at("metadata") == json::parse(R"({"team":"a"})"));
  CHECK(r.at("store") == false);
  CHECK(r.at("max_output_tokens") == 100);
  CHECK(r.at("parallel_tool_calls") == true);
  CHECK(r.at("tool_choice") == "auto");
  CHECK(r.at("text") == json::parse(R"({"format":{"type":"text"}})"));
  CHECK(r.at("reasoning") == json::parse(R"({"effort":null,"summary":null})"));
  CHECK(r.at("truncation") == "disabled");
  CHECK(r.at("previous_response_id").is_null());
}

TEST_CASE("chat.completion → response object: tool calls, length, content filter, refusal, no usage", "[responses]") {
  const json::object tools = obj(R"({"id":"c","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",
      "content":"Let me look.","tool_calls":[
        {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"type":"function","function":{"name":"get_time","arguments":"{}"}}]}}],
      "usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})");
  json::object r = rs::chat_response_to_response(tools, context(nullptr));
  CHECK(r.at("status") == "completed");
  CHECK(r.at("output") == json::parse(R"([
      {"id":"msg_R1_0","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Let me look."}],"role":"assistant"},
      {"id":"fc_R1_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_a","name":"get_weather"},
      {"id":"fc_R1_2","type":"function_call","status":"completed","arguments":"{}","call_id":"call_R1_2","name":"get_time"}])"));
  CHECK(r.at("usage").at("input_tokens_details").at("cached_tokens") == 0);
  CHECK(r.at("tools") == json::array{});  // defaults without a request

  // A call of a namespaced tool gets its namespace back.
  const json::object request = obj(R"({"input":"x","tools":[{"type":"namespace","name":"files","tools":[{"type":"function","name":"get_weather"}]}]})");
  r = rs::chat_response_to_response(tools, context(&request));
  CHECK(r.at("output").at(1).at("namespace") == "files");
  CHECK_FALSE(r.at("output").at(2).as_object().contains("namespace"));

  const json::object length = obj(R"({"choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant","content":"Once upon"}}]})");
  r = rs::chat_response_to_response(length, context(nullptr));
  CHECK(r.at("status") == "incomplete");
  CHECK(r.at("incomplete_details") == json::parse(R"({"reason":"max_output_tokens"})"));
  CHECK(r.at("output").at(0).at("status") == "incomplete");
  CHECK_FALSE(r.contains("usage"));  // the backend sent none: left out, not invented

  const json::object filtered = obj(R"({"choices":[{"index":0,"finish_reason":"content_filter","message":{"role":"assistant","content":null}}]})");
  r = rs::chat_response_to_response(filtered, context(nullptr));
  CHECK(r.at("status") == "incomplete");
  CHECK(r.at("incomplete_details") == json::parse(R"({"reason":"content_filter"})"));
  CHECK(r.at("output").as_array().empty());

  const json::object refusal = obj(R"({"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"I can't help with that."}}]})");
  r = rs::chat_response_to_response(refusal, context(nullptr));
  CHECK(r.at("output").at(0).at("content") == json::parse(R"([{"type":"refusal","refusal":"I can't help with that."}])"));
}

TEST_CASE("usage of native Responses objects: cached is part of input", "[responses]") {
  auto u = rs::read_responses_usage(obj(R"({"usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":40},
      "output_tokens":7,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":107}})"));
  CHECK(u.known);
  CHECK(u.input == 100);
  CHECK(u.cached == 40);
  CHECK(u.output == 7);
  CHECK_FALSE(rs::read_responses_usage(obj(R"({"usage":null})")).known);
  CHECK_FALSE(rs::read_responses_usage(obj(R"({"id":"resp_1"})")).known);
  u = rs::read_responses_usage(obj(R"({"usage":{"input_tokens":5,"output_tokens":"x"}})"));
  CHECK(u.known);
  CHECK(u.output == 0);  // a member that is not a number counts as 0
}
