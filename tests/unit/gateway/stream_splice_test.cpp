// The pure parts of mid-stream continuation: the prefill and the request that
// carries it, and the editor that splices a continuation's chunks into the
// client's stream — no second preamble, the first stream's identity, nothing
// repeated at the splice, usage summed. Every byte split gives the same bytes.
#include <catch2/catch.hpp>

#include "gateway/protocol/StreamSplice.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

using namespace hgw;
namespace json = boost::json;
using protocol::Prefill;
using protocol::SpliceEditor;

namespace {

std::string chunk(std::string_view delta, std::string_view finish = "null") {
  return "data: {\"id\":\"chatcmpl-NEW\",\"object\":\"chat.completion.chunk\",\"created\":99,\"model\":\"other\","
         "\"choices\":[{\"index\":0,\"delta\":" + std::string(delta) + ",\"finish_reason\":" + std::string(finish) +
         "}]}\n\n";
}
std::string text_chunk(std::string_view text) { return chunk("{\"content\":" + json::serialize(json::string(text)) + "}"); }

const json::object kIdentity = json::parse(R"({"id":"chatcmpl-FIRST","created":1,"model":"qwen"})").as_object();

std::string edit(const Prefill& prefill, const std::string& wire, std::size_t split = std::string::npos,
                 protocol::TokenUsage carried = {}) {
  SpliceEditor editor(prefill, kIdentity, carried);
  std::string out;
  if (split == std::string::npos) {
    editor.feed(wire, out);
  } else {
    editor.feed(std::string_view(wire).substr(0, split), out);
    editor.feed(std::string_view(wire).substr(split), out);
  }
  return out;
}

// The concatenated content of OpenAI chunks, and each chunk parsed.
struct Read {
  std::string text;
  std::vector<json::object> chunks;
  int dones = 0;
};
Read read(const std::string& sse) {
  Read r;
  protocol::SseParser parser;
  std::vector<protocol::SseEvent> events;
  parser.feed(sse, events);
  for (const auto& e : events) {
    if (e.data == "[DONE]") {
      ++r.dones;
      continue;
    }
    auto o = json::parse(e.data).as_object();
    for (const auto& c : o.at("choices").as_array())
      if (const auto* content = c.at("delta").as_object().if_contains("content")) r.text += content->as_string();
    r.chunks.push_back(std::move(o));
  }
  return r;
}

std::string same_at_every_split(const Prefill& prefill, const std::string& wire) {
  const std::string whole = edit(prefill, wire);
  for (std::size_t k = 0; k <= wire.size(); ++k) REQUIRE(edit(prefill, wire, k) == whole);
  return whole;
}

}  // namespace

TEST_CASE("splice: the prefill is the partial answer without its trailing whitespace", "[stream][splice]") {
  CHECK(protocol::make_prefill("tok0 tok1 ").text == "tok0 tok1");
  CHECK(protocol::make_prefill("tok0 tok1 ").whitespace == " ");
  CHECK(protocol::make_prefill("Dear Sir,\n\n").whitespace == "\n\n");
  CHECK(protocol::make_prefill("abc").whitespace.empty());
  CHECK(protocol::make_prefill(" \t").text.empty());
}

TEST_CASE("splice: the continuation request ends with the prefill; vLLM is told to continue it", "[stream][splice]") {
  const json::object chat = json::parse(R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hi"}]})").as_object();
  const auto openai = protocol::continuation_request(chat, {"tok0 tok1", " "}, config::Protocol::openai);
  CHECK(openai.at("messages") == json::parse(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"tok0 tok1"}])"));
  CHECK(openai.at("continue_final_message") == true);
  CHECK(openai.at("add_generation_prompt") == false);
  const auto anthropic = protocol::continuation_request(chat, {"tok0 tok1", " "}, config::Protocol::anthropic);
  CHECK(anthropic.at("messages").as_array().back() == json::parse(R"({"role":"assistant","content":"tok0 tok1"})"));
  CHECK_FALSE(anthropic.contains("continue_final_message"));  // Anthropic continues a trailing assistant turn itself
  CHECK(chat.at("messages").as_array().size() == 1);          // the request itself is not changed
}

TEST_CASE("splice: no second preamble, the first stream's id, the cut whitespace not twice, usage summed",
          "[stream][splice]") {
  const std::string wire = chunk(R"({"role":"assistant","content":""})") + text_chunk(" tok3 ") + text_chunk("tok4 ") +
                           chunk("{}", "\"stop\"") +
                           "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"o\",\"choices\":[],"
                           "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":2,\"total_tokens\":22}}\n\n"
                           "data: [DONE]\n\n";
  const std::string out = same_at_every_split({"tok0 tok1 tok2", " "}, wire);
  const Read r = read(out);
  CHECK(r.text == "tok3 tok4 ");
  CHECK(r.dones == 1);
  REQUIRE(r.chunks.size() == 4);  // the role-only chunk is gone
  for (const auto& c : r.chunks) {
    CHECK(c.at("id") == "chatcmpl-FIRST");
    CHECK(c.at("created") == 1);
    CHECK(c.at("model") == "qwen");
  }
  for (const auto& c : r.chunks)
    for (const auto& choice : c.at("choices").as_array()) CHECK_FALSE(choice.at("delta").as_object().contains("role"));
  const Read summed = read(edit({"tok0 tok1 tok2", " "}, wire, std::string::npos, {7, 3, 1, true}));
  CHECK(summed.chunks.back().at("usage") ==
        json::parse(R"({"prompt_tokens":27,"completion_tokens":5,"total_tokens":32,"prompt_tokens_details":{"cached_tokens":1}})"));
}

TEST_CASE("splice: a continuation that starts by repeating the prefill is cut to what is new", "[stream][splice]") {
  const Prefill prefill{"Hello wor", ""};
  SECTION("the repeat split over chunks") {
    const std::string out = same_at_every_split(prefill, text_chunk("Hel") + text_chunk("lo wor") + text_chunk("ld!") +
                                                             chunk("{}", "\"stop\""));
    CHECK(read(out).text == "ld!");
  }
  SECTION("the repeat and the new text in one chunk") {
    CHECK(read(edit(prefill, text_chunk("Hello world!"))).text == "ld!");
  }
  SECTION("a start that only looks like the prefill is released whole") {
    const std::string out = same_at_every_split(prefill, text_chunk("He") + text_chunk(" said") + chunk("{}", "\"stop\""));
    CHECK(read(out).text == "He said");
  }
  SECTION("held text goes out when the answer ends") {
    CHECK(read(edit(prefill, text_chunk("Hel") + chunk("{}", "\"stop\""))).text == "Hel");
  }
  SECTION("whitespace cut from the prefill, given back by the model") {
    CHECK(read(edit({"Dear Sir,", "\n\n"}, text_chunk("\n\nThank you"))).text == "Thank you");
    CHECK(read(edit({"Dear Sir,", "\n\n"}, text_chunk("Thank you"))).text == "Thank you");
    CHECK(read(edit({"Dear Sir,", "\n\n"}, text_chunk("\n") + text_chunk("\nThank you"))).text == "Thank you");
    CHECK(read(edit({"Dear Sir,", "\n\n"}, text_chunk("\nThank you"))).text == "Thank you");
    // A repeat, then the whitespace in the next chunk.
    CHECK(read(edit({"Dear Sir,", " "}, text_chunk("Dear Sir,") + text_chunk(" Thank you"))).text == "Thank you");
  }
}

TEST_CASE("splice: errors and what is not JSON pass on for the transformer to report", "[stream][splice]") {
  const std::string error = "data: {\"error\":{\"message\":\"boom\"}}\n\n";
  CHECK(edit({"a", ""}, error) == error);
  CHECK(edit({"a", ""}, "data: {not json\n\n") == "data: {not json\n\n");
}
