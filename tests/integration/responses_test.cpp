// POST /v1/responses end to end, in front of each backend kind (chat
// completions, Anthropic Messages, native Responses), with conversation
// state: stored responses, previous_response_id chains whose data class
// never drops, tenant scoping, and the errors a client gets for bad input.
#include "tests/integration/GatewayFixture.hpp"
#include "tests/integration/StreamReaders.hpp"

#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

using namespace hgw::test;
namespace json = boost::json;

namespace {

const std::string kAlphaKey = "alpha-responses-key";
const std::string kBetaKey = "beta-responses-key";

Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }
json::object obj(const std::string& s) { return json::parse(s).as_object(); }

std::string head() {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n";
}

// One route, a remote backend first and a local one, restricted data kept local.
std::string remote_then_local(unsigned short remote, unsigned short local,
                              const std::string& detectors = "[cn_resident_id]") {
  return head() + "backends:\n" + backend_yaml("remote", remote, "remote") + backend_yaml("local", local, "local") +
         "routes:\n  - { name: chat, models: [auto], targets: [remote, local] }\n" +
         restricted_stays_local_yaml(detectors);
}

// One route per backend kind: chat (protocol openai), claude (anthropic),
// native (openai-responses).
std::string kinds_config(unsigned short chat, unsigned short claude, unsigned short native) {
  return head() + "backends:\n" + backend_yaml("chat", chat, "local") +
         backend_yaml("claude", claude, "remote", "    protocol: anthropic\n") +
         backend_yaml("native", native, "remote", "    protocol: openai-responses\n") +
         "routes:\n"
         "  - { name: chat, models: [chat-model], targets: [chat] }\n"
         "  - { name: claude, models: [claude-model], targets: [claude] }\n"
         "  - { name: native, models: [native-model], targets: [native] }\n";
}

// What the last POST a simulator received looked like.
json::object last_upstream_body(const hgw::sim::Simulator& s) {
  auto posts = received_posts(s);
  REQUIRE_FALSE(posts.empty());
  return obj(posts.back().body);
}

std::string output_text(const json::object& response) {
  std::string text;
  for (const auto& item : response.at("output").as_array())
    if (item.at("type") == "message")
      for (const auto& part : item.at("content").as_array())
        if (part.at("type") == "output_text") text += part.at("text").as_string();
  return text;
}

std::vector<std::string> event_types(const std::string& body) {
  std::vector<std::string> types;
  for (const auto& e : parse_sse(body)) types.push_back(e.event);
  return types;
}

struct Kind {
  const char* model;
  const char* upstream_path;
};

}  // namespace

TEST_CASE("responses: each backend kind answers, streamed and not, with usage and cost", "[integration][responses]") {
  auto chat = start_sim("chat");
  auto claude = start_sim("claude");
  auto native = start_sim("native");
  TestGateway gw(kinds_config(chat->port(), claude->port(), native->port()));
  const auto kind = GENERATE(Kind{"chat-model", "/v1/chat/completions"}, Kind{"claude-model", "/v1/messages"},
                             Kind{"native-model", "/v1/responses"});
  hgw::sim::Simulator& sim = std::string(kind.model) == "chat-model"     ? *chat
                             : std::string(kind.model) == "claude-model" ? *claude
                                                                          : *native;
  INFO(kind.model);

  SECTION("non-streamed") {
    auto r = post_json(gw.port(), "/v1/responses",
                       std::string(R"({"model":")") + kind.model +
                           R"(","instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"hello there"}]}],
                             "max_output_tokens":40,"temperature":0.3,"metadata":{"app":"t"}})");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").starts_with("application/json"));
    const auto body = obj(r.body);
    CHECK(body.at("object") == "response");
    CHECK(body.at("status") == "completed");
    CHECK(body.at("id").as_string().starts_with("resp_"));
    CHECK(body.at("model") == kind.model);
    CHECK(body.at("instructions") == "be brief");
    CHECK(body.at("metadata") == json::parse(R"({"app":"t"})"));
    CHECK(output_text(body) == "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 tok13 tok14 tok15 ");
    CHECK(body.at("usage").at("output_tokens") == 16);
    CHECK(body.at("usage").at("input_tokens").as_int64() > 0);
    CHECK_FALSE(r.header("x-hybridgw-cost-usd").empty());
    REQUIRE(received_posts(sim).size() == 1);
    CHECK(received_posts(sim).back().target == kind.upstream_path);
    const auto upstream = last_upstream_body(sim);
    const std::string route = std::string(kind.model).substr(0, std::string(kind.model).find('-'));
    CHECK(upstream.at("model").as_string() == route + "-model");
    if (std::string(kind.upstream_path) == "/v1/responses") {
      CHECK(upstream.at("store") == false);  // the gateway keeps the conversation itself
      CHECK(upstream.at("max_output_tokens") == 40);
    }
    CHECK(gw.metric("hybridgw_requests_total", {"route=\"" + route + "\""}) == 1);
  }

  SECTION("streamed") {
    auto r = http_stream(gw.port(), "/v1/responses",
                         std::string(R"({"model":")") + kind.model + R"(","input":"hello there","stream":true})");
    REQUIRE(r.status == 200);
    CHECK(r.complete);
    const auto events = parse_sse(r.body);
    REQUIRE(events.size() >= 8);
    const auto types = event_types(r.body);
    CHECK(types[0] == "response.created");
    CHECK(types[1] == "response.in_progress");
    CHECK(types[2] == "response.output_item.added");
    CHECK(types[3] == "response.content_part.added");
    CHECK(types[4] == "response.output_text.delta");
    CHECK(types.back() == "response.completed");
    std::int64_t expected = 0;
    std::string deltas;
    for (const auto& e : events) {
      const auto data = obj(e.data);
      CHECK(data.at("type").as_string() == e.event);
      CHECK(data.at("sequence_number") == expected++);
      if (e.event == "response.output_text.delta") deltas += data.at("delta").as_string();
    }
    const auto done = obj(events.back().data).at("response").as_object();
    CHECK(output_text(done) == deltas);
    CHECK(done.at("usage").at("output_tokens") == 16);
    CHECK(received_posts(sim).back().target == kind.upstream_path);
  }
}

TEST_CASE("responses: function calling round trip through previous_response_id", "[integration][responses]") {
  auto chat = start_sim("chat");
  auto claude = start_sim("claude");
  auto native = start_sim("native");
  TestGateway gw(kinds_config(chat->port(), claude->port(), native->port()));
  // The simulator calls tools on chat completions and Responses only; tool_use
  // over an Anthropic backend is covered by the translator tests
  // (anthropic_translate_test.cpp) and the Anthropic client test.
  const std::string model = GENERATE("chat-model", "native-model");
  INFO(model);
  const std::string tools =
      R"("tools":[{"type":"function","name":"get_weather","description":"weather of a city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}])";
  auto first = post_json(gw.port(), "/v1/responses",
                         R"({"model":")" + model + R"(","input":"please get_weather for Paris",)" + tools + "}");
  REQUIRE(first.status == 200);
  const auto r1 = obj(first.body);
  const auto& call = r1.at("output").at(0).as_object();
  REQUIRE(call.at("type") == "function_call");
  CHECK(call.at("name") == "get_weather");
  CHECK(json::parse(call.at("arguments").as_string()).at("city").is_string());
  const std::string call_id(call.at("call_id").as_string());

  auto second = post_json(gw.port(), "/v1/responses",
                          R"({"model":")" + model + R"(","previous_response_id":")" + std::string(r1.at("id").as_string()) +
                              R"(","input":[{"type":"function_call_output","call_id":")" + call_id +
                              R"(","output":"{\"temp\":21}"}],)" + tools + "}");
  REQUIRE(second.status == 200);
  CHECK(obj(second.body).at("output").at(0).at("type") == "message");
}

TEST_CASE("responses: a previous_response_id chain rebuilds the conversation for stateless backends",
          "[integration][responses]") {
  auto chat = start_sim("chat");
  auto claude = start_sim("claude");
  auto native = start_sim("native");
  TestGateway gw(kinds_config(chat->port(), claude->port(), native->port()));
  std::string previous;
  for (const char* turn : {"first turn alpha", "second turn beta", "third turn gamma"}) {
    std::string body = R"({"model":"chat-model","instructions":"sys )" + std::string(turn) + R"(","input":")" + turn + "\"";
    if (!previous.empty()) body += R"(,"previous_response_id":")" + previous + "\"";
    auto r = post_json(gw.port(), "/v1/responses", body + "}");
    REQUIRE(r.status == 200);
    const auto response = obj(r.body);
    CHECK(response.at("previous_response_id") == (previous.empty() ? json::value(nullptr) : json::value(previous)));
    previous = std::string(response.at("id").as_string());
  }
  const auto third = last_upstream_body(*chat);
  const auto& messages = third.at("messages").as_array();
  // The current instructions only, then the three user turns with the two answers between them.
  REQUIRE(messages.size() == 6);
  CHECK(messages[0].at("role") == "system");
  CHECK(messages[0].at("content") == "sys third turn gamma");
  CHECK(messages[1].at("content") == "first turn alpha");
  CHECK(messages[2].at("role") == "assistant");
  CHECK(messages[3].at("content") == "second turn beta");
  CHECK(messages[5].at("content") == "third turn gamma");

  // The stored items of the last turn: its own input only.
  auto items = http_request(gw.port(), "GET", "/v1/responses/" + previous + "/input_items");
  REQUIRE(items.status == 200);
  const auto list = obj(items.body);
  CHECK(list.at("object") == "list");
  REQUIRE(list.at("data").as_array().size() == 1);
  CHECK(list.at("data").at(0).at("content").at(0).at("text") == "third turn gamma");
}

TEST_CASE("responses: a chain that once carried restricted data stays local on every later turn",
          "[integration][responses][compliance]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(remote_then_local(remote->port(), local->port(), "[cn_resident_id, email]"));
  const bool stream = GENERATE(false, true);
  INFO("stream " << stream);
  auto ask = [&](const std::string& input, const std::string& previous) {
    std::string body = R"({"model":"auto","input":")" + input + "\"";
    if (!previous.empty()) body += R"(,"previous_response_id":")" + previous + "\"";
    if (stream) body += R"(,"stream":true)";
    body += "}";
    if (!stream) {
      auto r = post_json(gw.port(), "/v1/responses", body);
      REQUIRE(r.status == 200);
      return std::make_pair(r.header("x-hybridgw-backend"), std::string(obj(r.body).at("id").as_string()));
    }
    auto r = http_stream(gw.port(), "/v1/responses", body);
    REQUIRE(r.status == 200);
    const auto events = parse_sse(r.body);
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().event == "response.completed");
    return std::make_pair(r.header("x-hybridgw-backend"),
                          std::string(obj(events.front().data).at("response").at("id").as_string()));
  };
  const auto [b1, id1] = ask("My ID is 110101199003074514", "");
  CHECK(b1 == "local");
  const auto [b2, id2] = ask("thanks, and the weather?", id1);
  CHECK(b2 == "local");
  const auto [b3, id3] = ask("one more harmless question", id2);
  CHECK(b3 == "local");
  // The same harmless turn without the chain goes where the route prefers.
  const auto [fresh, fresh_id] = ask("one more harmless question", "");
  CHECK(fresh == "remote");
  // The remote backend never saw any turn of the chain.
  for (const auto& p : received_posts(*remote)) CHECK(p.body.find("110101199003074514") == std::string::npos);
  (void)id3;
  (void)fresh_id;
}

TEST_CASE("responses: stored responses are tenant-scoped; GET, input_items, DELETE, store false",
          "[integration][responses]") {
  auto local = start_sim("local");
  TestGateway gw(head() + "backends:\n" + backend_yaml("local", local->port(), "local") +
                 "routes:\n  - { name: chat, models: [auto], targets: [local] }\n"
                 "tenants:\n"
                 "  - name: alpha\n    keys: [\"" + hgw::auth::sha256_digest_line(kAlphaKey) + "\"]\n"
                 "  - name: beta\n    keys: [\"" + hgw::auth::sha256_digest_line(kBetaKey) + "\"]\n");
  auto created = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"hi from alpha"})", bearer(kAlphaKey));
  REQUIRE(created.status == 200);
  const std::string id(obj(created.body).at("id").as_string());

  auto got = http_request(gw.port(), "GET", "/v1/responses/" + id, {}, bearer(kAlphaKey));
  REQUIRE(got.status == 200);
  CHECK(obj(got.body) == obj(created.body));

  // Another tenant: the id does not exist for it, whatever the method.
  auto other = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"x","previous_response_id":")" + id + "\"}",
                         bearer(kBetaKey));
  CHECK(other.status == 404);
  CHECK(obj(other.body).at("error").at("code") == "response_not_found");
  CHECK(obj(other.body).at("error").at("message").as_string().find(id) != json::string::npos);
  CHECK(http_request(gw.port(), "GET", "/v1/responses/" + id, {}, bearer(kBetaKey)).status == 404);
  CHECK(http_request(gw.port(), "DELETE", "/v1/responses/" + id, {}, bearer(kBetaKey)).status == 404);
  CHECK(http_request(gw.port(), "GET", "/v1/responses/" + id, {}, {}).status == 401);

  auto items = http_request(gw.port(), "GET", "/v1/responses/" + id + "/input_items?order=asc&limit=5", {}, bearer(kAlphaKey));
  REQUIRE(items.status == 200);
  CHECK(obj(items.body).at("data").at(0).at("content").at(0).at("text") == "hi from alpha");
  CHECK(http_request(gw.port(), "GET", "/v1/responses/" + id + "/input_items?limit=0", {}, bearer(kAlphaKey)).status == 400);

  auto deleted = http_request(gw.port(), "DELETE", "/v1/responses/" + id, {}, bearer(kAlphaKey));
  REQUIRE(deleted.status == 200);
  CHECK(obj(deleted.body) == obj(R"({"id":")" + id + R"(","object":"response.deleted","deleted":true})"));
  CHECK(http_request(gw.port(), "GET", "/v1/responses/" + id, {}, bearer(kAlphaKey)).status == 404);

  // store: false keeps nothing, so nothing can continue from it.
  auto unstored = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"x","store":false})", bearer(kAlphaKey));
  REQUIRE(unstored.status == 200);
  const std::string unstored_id(obj(unstored.body).at("id").as_string());
  CHECK(obj(unstored.body).at("store") == false);
  CHECK(http_request(gw.port(), "GET", "/v1/responses/" + unstored_id, {}, bearer(kAlphaKey)).status == 404);
  CHECK(post_json(gw.port(), "/v1/responses",
                  R"({"model":"auto","input":"x","previous_response_id":")" + unstored_id + "\"}", bearer(kAlphaKey))
            .status == 404);
}

TEST_CASE("responses: bad input gets a 400 that names the problem, and nothing is sent", "[integration][responses]") {
  auto local = start_sim("local");
  TestGateway gw(head() + "backends:\n" + backend_yaml("local", local->port(), "local") +
                 "routes:\n  - { name: chat, models: [auto], targets: [local] }\n");
  struct Case {
    const char* body;
    const char* message;
  };
  const auto c = GENERATE(
      Case{R"({"model":"auto","input":[{"type":"bogus"}]})",
           "$.input[0].type: unknown item type 'bogus' (expected message, function_call, function_call_output)"},
      Case{R"({"model":"auto","input":[{"type":"function_call_output","call_id":"c1","output":"x"}]})",
           "$.input[0]: function_call_output for call_id 'c1' has no function_call before it"},
      Case{R"({"model":"auto","input":42})", "input"},
      Case{R"({"model":"auto","input":"x","stream":"yes"})", "stream"},
      Case{R"({"model":"auto","input":"x","previous_response_id":7})", "previous_response_id"});
  INFO(c.body);
  auto r = post_json(gw.port(), "/v1/responses", c.body);
  CHECK(r.status == 400);
  const auto error = obj(r.body).at("error").as_object();
  CHECK(error.at("type") == "invalid_request_error");
  CHECK(std::string(error.at("message").as_string()).find(c.message) != std::string::npos);
  CHECK(received_posts(*local).empty());
  CHECK(http_request(gw.port(), "GET", "/v1/responses/resp_doesnotexist").status == 404);
}

TEST_CASE("responses: failover before the first byte, and a stream that breaks ends in response.failed",
          "[integration][responses][failover]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local") +
                 backend_yaml("second", second->port(), "local") +
                 "routes:\n  - { name: chat, models: [auto], targets: [first, second] }\n");
  SECTION("503 on the first backend: the second answers, streamed") {
    first->set_fault("status=503");
    auto r = http_stream(gw.port(), "/v1/responses", R"({"model":"auto","input":"hello","stream":true})");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "second");
    CHECK(parse_sse(r.body).back().event == "response.completed");
  }
  SECTION("cut mid-stream: no response.completed, but error then response.failed") {
    first->set_fault("cut=5");
    second->set_fault("cut=5");
    auto r = http_stream(gw.port(), "/v1/responses", R"({"model":"auto","input":"hello","stream":true})");
    REQUIRE(r.status == 200);
    const auto types = event_types(r.body);
    REQUIRE(types.size() >= 2);
    CHECK(types[types.size() - 2] == "error");
    CHECK(types.back() == "response.failed");
    CHECK(std::find(types.begin(), types.end(), "response.completed") == types.end());
    const auto failed = obj(parse_sse(r.body).back().data);
    CHECK(failed.at("response").at("status") == "failed");
    // A broken stream is not stored: nothing can continue from it.
    const std::string id(failed.at("response").at("id").as_string());
    CHECK(http_request(gw.port(), "GET", "/v1/responses/" + id).status == 404);
  }
}

TEST_CASE("responses: state.responses_ttl_s 0 keeps nothing and refuses previous_response_id", "[integration][responses]") {
  auto local = start_sim("local");
  TestGateway gw("server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
                 "admin:\n  listen: 127.0.0.1:19090\n"
                 "state: { store: memory, responses_ttl_s: 0 }\n"
                 "backends:\n" + backend_yaml("local", local->port(), "local") +
                 "routes:\n  - { name: chat, models: [auto], targets: [local] }\n");
  auto r = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"x"})");
  REQUIRE(r.status == 200);
  const std::string id(obj(r.body).at("id").as_string());
  CHECK(obj(r.body).at("store") == false);
  CHECK(http_request(gw.port(), "GET", "/v1/responses/" + id).status == 404);
  auto chained = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"x","previous_response_id":")" + id + "\"}");
  CHECK(chained.status == 404);
  CHECK(obj(chained.body).at("error").at("message").as_string().find("state.responses_ttl_s is 0") != json::string::npos);
  CHECK(received_posts(*local).size() == 1);
}

TEST_CASE("responses: item_reference to an earlier stored output, without previous_response_id (the AI SDK's way)",
          "[integration][responses]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(remote_then_local(remote->port(), local->port()));
  auto first = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"first question"})");
  REQUIRE(first.status == 200);
  CHECK(first.header("x-hybridgw-backend") == "remote");
  const std::string item(obj(first.body).at("output").at(0).at("id").as_string());
  auto second = post_json(gw.port(), "/v1/responses",
                          R"({"model":"auto","input":[{"role":"user","content":[{"type":"input_text","text":"first question"}]},
                              {"type":"item_reference","id":")" + item + R"("},
                              {"role":"user","content":[{"type":"input_text","text":"second question"}]}]})");
  REQUIRE(second.status == 200);
  const auto upstream = obj(received_posts(*remote).back().body);
  const auto& messages = upstream.at("messages").as_array();
  REQUIRE(messages.size() == 3);
  CHECK(messages[1].at("role") == "assistant");
  CHECK(messages[1].at("content").as_string().starts_with("tok0 tok1"));
  CHECK(messages[2].at("content") == "second question");

  // A referenced turn's data class counts: a restricted answer referenced later keeps the chain local.
  auto secret = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":"ID 110101199003074514"})");
  REQUIRE(secret.status == 200);
  CHECK(secret.header("x-hybridgw-backend") == "local");
  const std::string secret_item(obj(secret.body).at("output").at(0).at("id").as_string());
  auto later = post_json(gw.port(), "/v1/responses",
                         R"({"model":"auto","input":[{"type":"item_reference","id":")" + secret_item +
                             R"("},{"role":"user","content":"harmless"}]})");
  REQUIRE(later.status == 200);
  CHECK(later.header("x-hybridgw-backend") == "local");

  // An item of a response nobody stored: 404; not one of ours at all: 400.
  auto gone = post_json(gw.port(), "/v1/responses",
                        R"({"model":"auto","input":[{"type":"item_reference","id":"msg_0123456789abcdef0123456789abcdef_0"}]})");
  CHECK(gone.status == 404);
  auto foreign = post_json(gw.port(), "/v1/responses", R"({"model":"auto","input":[{"type":"item_reference","id":"rs_x"}]})");
  CHECK(foreign.status == 400);
}

TEST_CASE("responses: a turn is stored before its answer reaches the client: the next turn always finds it",
          "[integration][responses]") {
  auto local = start_sim("local");
  TestGateway gw(head() + "backends:\n" + backend_yaml("local", local->port(), "local") +
                 "routes:\n  - { name: chat, models: [auto], targets: [local] }\n");
  const bool stream = GENERATE(false, true);
  std::string previous;
  for (int turn = 0; turn < 40; ++turn) {
    INFO("turn " << turn << (stream ? " streamed" : ""));
    std::string body = R"({"model":"auto","input":"next")" + std::string(stream ? R"(,"stream":true)" : "");
    if (!previous.empty()) body += R"(,"previous_response_id":")" + previous + "\"";
    body += "}";
    if (stream) {
      auto r = http_stream(gw.port(), "/v1/responses", body);
      REQUIRE(r.status == 200);
      const auto events = parse_sse(r.body);
      REQUIRE(events.back().event == "response.completed");
      previous = std::string(obj(events.back().data).at("response").at("id").as_string());
    } else {
      auto r = post_json(gw.port(), "/v1/responses", body);
      REQUIRE(r.status == 200);
      previous = std::string(obj(r.body).at("id").as_string());
    }
  }
}
