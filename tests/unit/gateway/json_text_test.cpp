// Reading a JSON text's bytes (JsonText) and the upstream body made from the
// client's own bytes (upstream_body_from_text): the same request as
// upstream_body's, or nothing when the text says more than its parse.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/protocol/JsonText.hpp"
#include "gateway/protocol/OpenAiWire.hpp"

namespace json = boost::json;
using namespace hgw::protocol;

namespace {

std::optional<std::string> spliced(std::string_view text, std::string_view model = "served", bool stream = false) {
  const json::value parsed = json::parse(text);
  return upstream_body_from_text(text, parsed.as_object(), model, stream);
}

}  // namespace

TEST_CASE("find_top_level_string: the top-level member only, strings and nesting skipped", "[wire][json-text]") {
  const std::string text =
      R"( {"messages":[{"role":"user","content":"\"model\": \"x\" {[:"}],"meta":{"model":"inner"},)"
      R"("model" : "chat-\u0041",  "n":1} )";
  const auto m = find_top_level_string(text, "model");
  REQUIRE(m);
  CHECK(text.substr(m->value_begin, m->value_end - m->value_begin) == R"("chat-\u0041")");
  // messages, role, content, meta, model (inner), model, n: colons in strings do not count.
  CHECK(m->members == 7);
  CHECK(m->members == count_members(json::parse(text)));
}

TEST_CASE("find_top_level_string: nothing when the text is not plain", "[wire][json-text]") {
  CHECK_FALSE(find_top_level_string(R"({"model":"a","model":"b"})", "model"));   // twice
  CHECK_FALSE(find_top_level_string(R"({"mod\u0065l":"a"})", "model"));          // escaped key
  CHECK_FALSE(find_top_level_string(R"({"x\n":1,"model":"a"})", "model"));       // any escaped top-level key
  CHECK_FALSE(find_top_level_string(R"({"model":7})", "model"));                 // not a string
  CHECK_FALSE(find_top_level_string(R"({"other":"a"})", "model"));               // absent
  CHECK_FALSE(find_top_level_string(R"(["model","a"])", "model"));               // not an object
  CHECK(find_top_level_string(R"({"x":{"y\n":1},"model":"a"})", "model"));       // a nested escaped key is fine
}

TEST_CASE("count_members tells a repeated key at any depth", "[wire][json-text]") {
  for (std::string_view text : {R"({"model":"a","m":[{"c":"x","c":"y"}]})", R"({"model":"a","m":1,"m":2})"}) {
    INFO(text);
    const auto m = find_top_level_string(text, "model");
    REQUIRE(m);
    CHECK(m->members > count_members(json::parse(text)));
  }
}

TEST_CASE("upstream_body_from_text: the client's bytes with the model replaced", "[wire][json-text]") {
  const std::string text = "{ \"model\" : \"client\", \"temperature\": 0.50,\n \"messages\": [{\"role\":\"user\","
                           "\"content\":\"caf\\u00e9\"}] }";
  const auto body = spliced(text, "served \"v2\"");
  REQUIRE(body);
  CHECK(*body == "{ \"model\" : \"served \\\"v2\\\"\", \"temperature\": 0.50,\n \"messages\": [{\"role\":\"user\","
                 "\"content\":\"caf\\u00e9\"}] }");
  // The same request as the serialised one.
  const json::value parsed = json::parse(text);
  CHECK(json::parse(*body) == json::parse(upstream_body(parsed.as_object(), "served \"v2\"", false)));
}

TEST_CASE("upstream_body_from_text: nothing where upstream_body would change more", "[wire][json-text]") {
  CHECK_FALSE(spliced(R"({"model":"a","stream":true})", "m", true));  // usage must be asked for
  CHECK_FALSE(spliced(R"({"model":"a","stream":true,"stream_options":{"include_usage":false}})", "m", true));
  CHECK(spliced(R"({"model":"a","stream":true,"stream_options":{"include_usage":true}})", "m", true));
  CHECK_FALSE(spliced(R"({"model":"a","hybridgw_responses":{}})"));  // the Responses extras are dropped
  CHECK_FALSE(spliced(R"({"model":"a","messages":[{"content":"x","content":"y"}]})"));  // repeated key
  CHECK_FALSE(spliced(R"({"mod\u0065l":"a"})"));
}
