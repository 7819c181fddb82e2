// What the gateway interprets is validated, with the JSON path of the field
// in the message; what it does not interpret passes.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/protocol/RequestValidation.hpp"

using hgw::policy::Endpoint;
using hgw::protocol::validate_request;
namespace json = boost::json;

namespace {
std::string check(const std::string& body, Endpoint e = Endpoint::chat) {
  return validate_request(json::parse(body).as_object(), e);
}
}  // namespace

TEST_CASE("chat requests: good shapes pass, unknown fields pass", "[validation]") {
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})").empty());
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"},
               {"type":"image_url","image_url":{"url":"data:,"}}]},{"role":"assistant","content":null,
               "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
               {"role":"tool","tool_call_id":"c","content":"ok"}],"stream":true,"stream_options":{"include_usage":true},
               "max_tokens":100.0,"n":1,"tools":[{"type":"function","function":{"name":"f"}}],
               "response_format":{"type":"json_object"},"x_vendor":{"anything":[1,"two"]},"user":"u"})")
            .empty());
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":null,"max_tokens":null})").empty());
}

TEST_CASE("chat requests: each bad field is named by its path", "[validation]") {
  CHECK(check(R"({"model":"m"})") == "$.messages: is required (an array of messages)");
  CHECK(check(R"({"model":"m","messages":"hi"})") == "$.messages: expected an array of messages");
  CHECK(check(R"({"model":"m","messages":[]})") == "$.messages: must not be empty");
  CHECK(check(R"({"model":"m","messages":["hi"]})") == "$.messages[0]: expected an object with a role");
  CHECK(check(R"({"model":"m","messages":[{"content":"hi"}]})") == "$.messages[0].role: expected a string");
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},
               {"role":"user","content":{"text":"hi"}}]})") ==
        "$.messages[2].content: expected a string, an array or null");
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":5}]}]})") ==
        "$.messages[0].content[0].text: expected a string");
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":[7]}]})") ==
        "$.messages[0].content[0]: expected an object with a type");
  const std::string ok_messages = R"("messages":[{"role":"user","content":"hi"}])";
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"stream":"yes"})") == "$.stream: expected true or false");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"stream_options":{"include_usage":1}})") ==
        "$.stream_options.include_usage: expected true or false");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"max_tokens":1e300})") ==
        "$.max_tokens: expected an integer between 1 and 2147483647");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"max_tokens":18446744073709551615})") ==
        "$.max_tokens: expected an integer between 1 and 2147483647");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"max_completion_tokens":-1})") ==
        "$.max_completion_tokens: expected an integer between 1 and 2147483647");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"max_tokens":10.5})") ==
        "$.max_tokens: expected an integer between 1 and 2147483647");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"n":1000})") == "$.n: expected an integer between 1 and 128");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"tools":[{"type":"function","function":{}}]})") ==
        "$.tools[0].function.name: expected a non-empty string");
  CHECK(check(R"({"model":"m",)" + ok_messages + R"(,"tools":{"type":"function"}})") ==
        "$.tools: expected an array of tools");
  CHECK(check(R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":{}}}]}]})") ==
        "$.messages[0].tool_calls[0].function.arguments: expected a string (JSON text)");
}

TEST_CASE("chat messages: each member is checked wherever it stands and a repeated key counts as its last", "[validation]") {
  CHECK(check(R"({"model":"m","messages":[{"name":5,"content":"hi","role":"user"}]})") ==
        "$.messages[0].name: expected a string");
  CHECK(check(R"({"model":"m","messages":[{"tool_calls":{},"role":"assistant"}]})") ==
        "$.messages[0].tool_calls: expected an array");
  CHECK(check(R"({"model":"m","messages":[{"role":null,"content":"hi"}]})") == "$.messages[0].role: expected a string");
  CHECK(check(R"({"model":"m","messages":[{"role":"user","name":null,"tool_calls":null,"content":null}]})").empty());
  CHECK(check(R"({"model":"m","messages":[{"role":7,"content":"hi","role":"user"}]})").empty());
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":"hi","role":7}]})") ==
        "$.messages[0].role: expected a string");
}

TEST_CASE("completions, embeddings and Anthropic messages", "[validation]") {
  CHECK(check(R"({"model":"m","prompt":"hi"})", Endpoint::completions).empty());
  CHECK(check(R"({"model":"m","prompt":[[1,2],[3]]})", Endpoint::completions).empty());
  CHECK(check(R"({"model":"m"})", Endpoint::completions) == "$.prompt: is required");
  CHECK(check(R"({"model":"m","prompt":{"a":1}})", Endpoint::completions) ==
        "$.prompt: expected a string, an array of strings, or token ids");
  CHECK(check(R"({"model":"m","prompt":[[1,"x"]]})", Endpoint::completions) ==
        "$.prompt[0][1]: expected a token id (integer)");
  CHECK(check(R"({"model":"m","input":["a","b"]})", Endpoint::embeddings).empty());
  CHECK(check(R"({"model":"m","input":{"text":"a"}})", Endpoint::embeddings) ==
        "$.input: expected a string, an array of strings, or token ids");

  CHECK(check(R"({"model":"m","max_tokens":64,"messages":[{"role":"user","content":"hi"}]})", Endpoint::messages).empty());
  CHECK(check(R"({"model":"m","max_tokens":64,"system":[{"type":"text","text":"s"}],
               "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"name":"t"}]})",
              Endpoint::messages)
            .empty());
  CHECK(check(R"({"model":"m","messages":[{"role":"user"}]})", Endpoint::messages) ==
        "$.messages[0].content: is required (a string or an array of content blocks)");
  CHECK(check(R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})", Endpoint::messages) ==
        "$.messages[0].content[0].type: expected a string");
  CHECK(check(R"({"model":"m","system":5,"messages":[{"role":"user","content":"x"}]})", Endpoint::messages) ==
        "$.system: expected a string or an array of content blocks");
  CHECK(check(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})", Endpoint::messages) ==
        "$.max_tokens: expected an integer between 1 and 2147483647");
}
