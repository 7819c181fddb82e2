// Failover inside a stream: the commit point is the first content-bearing
// event, so a backend that sends its preamble (vLLM's role-only chunk,
// Anthropic's message_start, Responses' response.created) and then fails is
// failed over, and the client sees one preamble and the whole answer.
#include "tests/integration/GatewayFixture.hpp"
#include "tests/integration/StreamReaders.hpp"

#include <boost/json.hpp>

#include <string>

using namespace hgw::test;
namespace json = boost::json;

namespace {

const std::string kChat = R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hello"}]})";
const std::string kReference = "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 tok13 tok14 tok15 ";

struct Kind {
  const char* protocol;
  // Events of the simulator's stream before its first text: chat needs the
  // preamble fault to send vLLM's role-only chunk.
  const char* preamble_fault;
  int preamble_events;
};

std::string config(unsigned short first, unsigned short second, const std::string& protocol) {
  const std::string extra = "    protocol: " + protocol + "\n    timeouts: { first_token_ms: 400, idle_ms: 400 }\n";
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n" +
         backend_yaml("first", first, "local", extra) + backend_yaml("second", second, "local", extra) +
         "routes:\n  - { name: chat, models: [auto], targets: [first, second], retry: { attempts: 1 } }\n";
}

}  // namespace

TEST_CASE("stream failover: a backend that sends its preamble and then fails is failed over",
          "[integration][failover][stream]") {
  const auto kind = GENERATE(Kind{"openai", "preamble;", 1}, Kind{"anthropic", "", 2}, Kind{"openai-responses", "", 4});
  const std::string how = GENERATE("cut", "malformed", "error_event", "stall");
  INFO(kind.protocol << " " << how);
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(config(first->port(), second->port(), kind.protocol));
  first->set_fault(std::string(kind.preamble_fault) + how + "=" + std::to_string(kind.preamble_events));

  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  CHECK(r.complete);
  CHECK(r.header("x-hybridgw-backend") == "second");
  CHECK(r.header("x-hybridgw-attempts") == "2");
  const auto s = read_chat_stream(r.body);
  CHECK(s.text == kReference);
  CHECK(s.roles == 1);  // one preamble: the failed attempt's was never sent
  CHECK(s.dones == 1);
  CHECK(s.errors == 0);
  CHECK(received_posts(*first).size() == 1);
  CHECK(gw.metric("hybridgw_failovers_total", {"from=\"first\"", "to=\"second\""}) == 1);
}

TEST_CASE("stream failover: Anthropic and Responses clients see one message_start / response.created",
          "[integration][failover][stream]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(config(first->port(), second->port(), "openai"));
  first->set_fault("preamble;cut=1");
  SECTION("Anthropic client") {
    auto r = http_stream(gw.port(), "/v1/messages",
                         R"({"model":"auto","stream":true,"max_tokens":50,"messages":[{"role":"user","content":"hello"}]})");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "second");
    const auto s = read_messages_stream(r.body);
    CHECK(s.starts == 1);
    CHECK(s.stops == 1);
    CHECK(s.text == kReference);
  }
  SECTION("Responses client") {
    auto r = http_stream(gw.port(), "/v1/responses", R"({"model":"auto","stream":true,"input":"hello"})");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "second");
    const auto s = read_responses_stream(r.body);
    CHECK(s.created == 1);
    CHECK(s.numbered);  // no gap where the failed attempt was
    CHECK(s.text == kReference);
    CHECK(s.last_event == "response.completed");
  }
}

TEST_CASE("stream failover: after the first content there is no other backend — an SSE error, no [DONE]",
          "[integration][failover][stream]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(config(first->port(), second->port(), "openai"));
  first->set_fault("preamble;cut=3");  // the preamble and two tokens
  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "first");
  const auto s = read_chat_stream(r.body);
  CHECK(s.text == "tok0 tok1 ");
  CHECK(s.dones == 0);
  CHECK(s.errors == 1);
  CHECK(received_posts(*second).empty());
}

TEST_CASE("stream failover: first_token_ms runs until the first content, not the first event",
          "[integration][failover][stream]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(config(first->port(), second->port(), "openai"));
  // The preamble at once, then 2 s before the first token: past first_token_ms (400).
  first->set_fault("preamble;stall=1");
  const auto start = std::chrono::steady_clock::now();
  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "second");
  CHECK(read_chat_stream(r.body).text == kReference);
  CHECK(took < std::chrono::seconds(3));
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"first\"", "outcome=\"timeout_first_token\""}) == 1);
}
