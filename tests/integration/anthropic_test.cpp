// Protocol translation end to end: OpenAI clients in front of an Anthropic
// backend, and Anthropic clients (POST /v1/messages) in front of an OpenAI one.
#include "tests/integration/GatewayFixture.hpp"

#include <boost/json.hpp>

#include <cstdlib>

using namespace hgw::test;
namespace json = boost::json;

namespace {

std::string config(unsigned short anthropic_port, unsigned short openai_port) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n"
         "  - name: claude\n"
         "    protocol: anthropic\n"
         "    url: http://127.0.0.1:" +
         std::to_string(anthropic_port) +
         "/v1\n"
         "    model: claude-test\n"
         "    locality: remote\n"
         "    api_key_env: HGW_TEST_ANTHROPIC_KEY\n"
         "    health_check: { enabled: false }\n"
         "    cost: { input_per_mtok: 3, output_per_mtok: 15 }\n" +
         backend_yaml("local", openai_port, "local") +
         "routes:\n"
         "  - name: claude\n"
         "    models: [claude]\n"
         "    targets: [claude]\n"
         "  - name: local\n"
         "    models: [local]\n"
         "    targets: [local]\n";
}

json::object obj(const std::string& s) { return json::parse(s).as_object(); }

}  // namespace

TEST_CASE("OpenAI client, Anthropic backend: request and answer are translated", "[integration][anthropic]") {
  ::setenv("HGW_TEST_ANTHROPIC_KEY", "anthropic-upstream-key", 1);
  auto claude = start_sim("claude");
  auto local = start_sim("local");
  TestGateway gw(config(claude->port(), local->port()));

  SECTION("non-streaming") {
    auto r = post_json(gw.port(), "/v1/chat/completions",
                       R"({"model":"claude","messages":[{"role":"system","content":"be brief"},)"
                       R"({"role":"user","content":"hello"}]})",
                       {{"Authorization", "Bearer client-key"}});
    REQUIRE(r.status == 200);
    auto body = obj(r.body);
    CHECK(body.at("object").as_string() == "chat.completion");
    CHECK(body.at("choices").as_array().at(0).at("message").at("content").as_string().size() > 0);
    CHECK(body.at("usage").at("completion_tokens").as_int64() == 16);
    CHECK(!r.header("x-hybridgw-cost-usd").empty());

    auto up = received_posts(*claude).at(0);
    CHECK(up.target == "/v1/messages");
    CHECK(up.header("x-api-key") == "anthropic-upstream-key");
    CHECK(up.header("authorization").empty());
    CHECK(!up.header("anthropic-version").empty());
    auto sent = obj(up.body);
    CHECK(sent.at("model").as_string() == "claude-test");
    CHECK((sent.at("system").is_string() || sent.at("system").is_array()));
    CHECK(sent.contains("max_tokens"));
    CHECK(!sent.contains("stream_options"));
  }
  SECTION("streaming") {
    auto s = http_stream(gw.port(), "/v1/chat/completions",
                         R"({"model":"claude","stream":true,"messages":[{"role":"user","content":"hello"}]})");
    REQUIRE(s.status == 200);
    auto events = parse_sse(s.body);
    REQUIRE(events.size() > 3);
    CHECK(events.back().data == "[DONE]");
    std::string text;
    for (const auto& e : events) {
      if (e.data == "[DONE]") continue;
      auto chunk = obj(e.data);
      CHECK(chunk.at("object").as_string() == "chat.completion.chunk");
      auto& choices = chunk.at("choices").as_array();
      if (!choices.empty())
        if (auto* c = choices.at(0).at("delta").as_object().if_contains("content"); c && c->is_string())
          text += std::string(c->as_string());
    }
    CHECK(text.find("tok0") != std::string::npos);
    CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"claude\"", "kind=\"output\""}) == 16);
    CHECK(gw.metric("hybridgw_cost_usd_total", {"backend=\"claude\""}) > 0);
  }
  SECTION("an Anthropic error reply reaches the OpenAI client in OpenAI's shape") {
    claude->set_fault("status=400");
    auto r = post_json(gw.port(), "/v1/chat/completions",
                       R"({"model":"claude","messages":[{"role":"user","content":"hello"}]})");
    CHECK(r.status == 400);
    CHECK(obj(r.body).at("error").is_object());
  }
  SECTION("an Anthropic backend does not take embeddings") {
    auto r = post_json(gw.port(), "/v1/embeddings", R"({"model":"claude","input":"x"})");
    CHECK(r.status == 400);
    CHECK(received_posts(*claude).empty());
  }
}

TEST_CASE("Anthropic client (POST /v1/messages), OpenAI backend", "[integration][anthropic]") {
  auto claude = start_sim("claude");
  auto local = start_sim("local");
  TestGateway gw(config(claude->port(), local->port()));

  SECTION("non-streaming") {
    auto r = post_json(gw.port(), "/v1/messages",
                       R"({"model":"local","max_tokens":8,"system":"be brief",)"
                       R"("messages":[{"role":"user","content":"hello"}]})");
    REQUIRE(r.status == 200);
    auto body = obj(r.body);
    CHECK(body.at("type").as_string() == "message");
    CHECK(body.at("content").as_array().at(0).at("type").as_string() == "text");
    CHECK(body.at("usage").at("output_tokens").as_int64() == 8);
    CHECK(body.at("stop_reason").as_string() == "max_tokens");
    auto sent = obj(received_posts(*local).at(0).body);
    CHECK(sent.at("messages").as_array().at(0).at("role").as_string() == "system");
  }
  SECTION("streaming") {
    auto s = http_stream(gw.port(), "/v1/messages",
                         R"({"model":"local","max_tokens":4,"stream":true,"messages":[{"role":"user","content":"hi"}]})");
    REQUIRE(s.status == 200);
    auto events = parse_sse(s.body);
    REQUIRE(!events.empty());
    CHECK(events.front().event == "message_start");
    CHECK(events.back().event == "message_stop");
    bool usage = false;
    for (const auto& e : events)
      if (e.event == "message_delta") usage = obj(e.data).at("usage").at("output_tokens").as_int64() == 4;
    CHECK(usage);
  }
  SECTION("errors come in Anthropic's shape") {
    auto r = post_json(gw.port(), "/v1/messages", R"({"model":"nope","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})");
    CHECK(r.status == 404);
    CHECK(obj(r.body).at("type").as_string() == "error");
  }
}
