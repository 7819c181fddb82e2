#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "policies/compliance/TextCollector.hpp"

using namespace hgw::compliance;
using hgw::policy::Endpoint;

namespace {
std::vector<std::string> texts(const char* json, Endpoint ep) {
  auto v = boost::json::parse(json);
  std::vector<std::string> out;
  for (auto* s : collect_texts(v, ep)) out.emplace_back(s->c_str());
  return out;
}
using S = std::vector<std::string>;
}  // namespace

TEST_CASE("collect_texts: chat", "[compliance][collect]") {
  const char* body = R"({
    "model": "gpt-4o",
    "messages": [
      {"role": "system", "content": "sys"},
      {"role": "user", "name": "alice", "content": [
        {"type": "text", "text": "part1"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "text", "text": "part2"}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{\"id\":\"x\"}"}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "tool out"}
    ],
    "tools": [{"type": "function", "function": {"name": "lookup", "description": "desc",
               "parameters": {"type": "object"}}}]
  })";
  CHECK(texts(body, Endpoint::chat) == S{"sys", "part1", "part2", "alice", "{\"id\":\"x\"}", "tool out", "desc"});
}

TEST_CASE("collect_texts: completions and embeddings", "[compliance][collect]") {
  CHECK(texts(R"({"prompt":"p","suffix":"s"})", Endpoint::completions) == S{"p", "s"});
  CHECK(texts(R"({"prompt":["a","b"]})", Endpoint::completions) == S{"a", "b"});
  CHECK(texts(R"({"prompt":[1,2,3]})", Endpoint::completions).empty());
  CHECK(texts(R"({"input":"e"})", Endpoint::embeddings) == S{"e"});
  CHECK(texts(R"({"input":["e1","e2"]})", Endpoint::embeddings) == S{"e1", "e2"});
  CHECK(texts(R"({"input":[[1,2],[3]]})", Endpoint::embeddings).empty());
}

TEST_CASE("collect_texts: anthropic messages", "[compliance][collect]") {
  const char* body = R"({
    "model": "claude",
    "system": [{"type": "text", "text": "sys"}],
    "messages": [
      {"role": "user", "content": "hello"},
      {"role": "assistant", "content": [
        {"type": "text", "text": "t1"},
        {"type": "tool_use", "id": "t", "name": "f", "input": {"q": "query", "n": 3, "tags": ["x"]}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "res"}]},
        {"type": "tool_result", "tool_use_id": "u", "content": "res2"},
        {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}]}
    ],
    "tools": [{"name": "f", "description": "tdesc", "input_schema": {}}]
  })";
  CHECK(texts(body, Endpoint::messages) == S{"sys", "hello", "t1", "query", "x", "res", "res2", "doc", "tdesc"});
  CHECK(texts(R"({"system":"s","messages":[]})", Endpoint::messages) == S{"s"});
}

TEST_CASE("collect_texts: odd shapes do not throw", "[compliance][collect]") {
  CHECK(texts("[]", Endpoint::chat).empty());
  CHECK(texts(R"({"messages":"nope"})", Endpoint::chat).empty());
  CHECK(texts(R"({"messages":[1,null,{"content":5}]})", Endpoint::chat).empty());
  CHECK(texts(R"({"messages":[{"content":[{"type":"text","text":7}]}]})", Endpoint::messages).empty());
}
