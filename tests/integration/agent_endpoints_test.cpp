// What coding agents call besides completions: wildcard model names in routes
// (and how GET /v1/models lists them), a backend that is sent the client's
// model name, and POST /v1/messages/count_tokens.
#include "tests/integration/GatewayFixture.hpp"

#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <set>
#include <string>

using namespace hgw::test;
namespace json = boost::json;

namespace {

json::object obj(const std::string& s) { return json::parse(s).as_object(); }

std::string config(unsigned short claude, unsigned short local, const std::string& tenants = {}) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n"
         "  - name: claude\n    protocol: anthropic\n    url: http://127.0.0.1:" + std::to_string(claude) + "/v1\n"
         "    model: \"*\"\n    locality: remote\n    health_check: { enabled: false }\n" +
         backend_yaml("local", local, "local") +
         "  - name: local-coder\n    url: http://127.0.0.1:" + std::to_string(local) + "/v1\n"
         "    model: qwen-coder-32b\n    locality: local\n    health_check: { enabled: false }\n"
         "routes:\n"
         "  - { name: claude, models: [\"claude-*\"], targets: [claude] }\n"
         "  - { name: pinned, models: [claude-haiku-fast], targets: [local] }\n"
         "  - { name: coders, models: [\"qwen-*\", auto], targets: [local-coder, local] }\n" + tenants;
}

std::set<std::string> listed(const json::object& list) {
  std::set<std::string> ids;
  for (const auto& m : list.at("data").as_array()) ids.insert(std::string(m.at("id").as_string()));
  return ids;
}

}  // namespace

TEST_CASE("wildcard routes: exact names win, patterns route, * backends get the client's model", "[integration][models]") {
  auto claude = start_sim("claude");
  auto local = start_sim("local");
  TestGateway gw(config(claude->port(), local->port()));

  auto r = post_json(gw.port(), "/v1/chat/completions",
                     R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-route") == "claude");
  CHECK(obj(received_posts(*claude).back().body).at("model") == "claude-sonnet-4-5");  // model "*": passed on

  r = post_json(gw.port(), "/v1/chat/completions", R"({"model":"claude-haiku-fast","messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-route") == "pinned");
  CHECK(obj(received_posts(*local).back().body).at("model") == "local-model");  // the backend's own model

  r = post_json(gw.port(), "/v1/messages",
                R"({"model":"qwen-anything","max_tokens":20,"messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-route") == "coders");
  CHECK(obj(received_posts(*local).back().body).at("model") == "qwen-coder-32b");

  r = post_json(gw.port(), "/v1/chat/completions", R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
  CHECK(r.status == 404);
  CHECK(obj(r.body).at("error").at("message").as_string().find("claude-*") != json::string::npos);

  // GET /v1/models: exact names, and in place of a pattern the backend models it matches.
  auto models = http_request(gw.port(), "GET", "/v1/models");
  REQUIRE(models.status == 200);
  CHECK(listed(obj(models.body)) == std::set<std::string>{"claude-haiku-fast", "auto", "qwen-coder-32b"});
}

TEST_CASE("count_tokens: an estimate in Anthropic's shape, said to be one, nothing sent upstream",
          "[integration][models][anthropic]") {
  auto claude = start_sim("claude");
  auto local = start_sim("local");
  const std::string key = "count-tokens-key";
  TestGateway gw(config(claude->port(), local->port(),
                        "tenants:\n  - name: t\n    keys: [\"" + hgw::auth::sha256_digest_line(key) + "\"]\n"
                        "    routes: [claude]\n"));
  const Headers auth = {{"x-api-key", key}};
  // 40 characters of text: 10 tokens at four characters a token.
  const std::string body = R"({"model":"claude-sonnet-4-5","system":"0123456789",)"
                           R"("messages":[{"role":"user","content":"012345678901234567890123456789"}]})";
  auto r = post_json(gw.port(), "/v1/messages/count_tokens", body, auth);
  REQUIRE(r.status == 200);
  CHECK(obj(r.body) == obj(R"({"input_tokens":10})"));
  CHECK(r.header("x-hybridgw-token-count") == "estimated");
  CHECK(r.header("x-hybridgw-route") == "claude");

  // Tools count as well.
  auto with_tools = post_json(gw.port(), "/v1/messages/count_tokens",
                              R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"0123456789012345678901234567890123456789"}],)"
                              R"("tools":[{"name":"read_file","description":"reads a file","input_schema":{"type":"object"}}]})",
                              auth);
  REQUIRE(with_tools.status == 200);
  CHECK(obj(with_tools.body).at("input_tokens").as_int64() > 10);
  CHECK(received_posts(*claude).empty());

  CHECK(post_json(gw.port(), "/v1/messages/count_tokens", body).status == 401);
  auto bad = post_json(gw.port(), "/v1/messages/count_tokens", R"({"model":"claude-x"})", auth);
  CHECK(bad.status == 400);
  CHECK(obj(bad.body).at("type") == "error");  // Anthropic's error shape
  CHECK(obj(bad.body).at("error").at("message") == "$.messages: required, an array of messages");
  auto forbidden = post_json(gw.port(), "/v1/messages/count_tokens",
                             R"({"model":"auto","messages":[{"role":"user","content":"x"}]})", auth);
  CHECK(forbidden.status == 403);
  CHECK(http_request(gw.port(), "GET", "/v1/messages/count_tokens", {}, auth).status == 405);
  auto unknown = post_json(gw.port(), "/v1/messages/count_tokens",
                           R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}]})", auth);
  CHECK(unknown.status == 404);
}
