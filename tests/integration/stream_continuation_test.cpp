// Mid-stream continuation (failover.mid_stream: continue): a stream that
// breaks after content goes on, in the same client stream, on the next
// target that takes a prefill; the client's text is the whole answer, once.
#include "tests/integration/GatewayFixture.hpp"
#include "tests/integration/StreamReaders.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace hgw::test;
namespace json = boost::json;

namespace {

const std::string kReference = "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 tok13 tok14 tok15 ";

const std::string kTimeouts = "    timeouts: { first_token_ms: 1000, idle_ms: 300 }\n";

std::string head() {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n";
}

std::string route(const std::string& targets, bool continue_streams = true) {
  return "routes:\n  - name: chat\n    models: [auto]\n    targets: [" + targets +
         "]\n    retry: { attempts: 1 }\n" + (continue_streams ? "    failover: { mid_stream: continue }\n" : "");
}

const std::string kChat = R"({"model":"auto","stream":true,"stream_options":{"include_usage":true},)"
                          R"("messages":[{"role":"user","content":"hello"}]})";

json::object last_body(const hgw::sim::Simulator& s) { return json::parse(received_posts(s).back().body).as_object(); }

}  // namespace

TEST_CASE("continuation: a stream of each dialect cut after three tokens is finished by an Anthropic backend",
          "[integration][continuation]") {
  struct Dialect {
    const char* protocol;
    int events_before_text;  // the simulator's preamble events in that dialect
  };
  const auto dialect = GENERATE(Dialect{"openai", 0}, Dialect{"anthropic", 2}, Dialect{"openai-responses", 4});
  const std::string how = GENERATE("cut", "malformed", "error_event", "stall");
  INFO(dialect.protocol << " " << how);
  auto first = start_sim("first");
  auto second = start_sim("second");
  const auto log = std::filesystem::temp_directory_path() /
                   ("hgw-continuation-" + std::to_string(::getpid()) + "-" + dialect.protocol + "-" + how + ".log");
  std::filesystem::remove(log);
  std::string yaml = head() + "backends:\n" +
                     backend_yaml("first", first->port(), "local", kTimeouts + "    protocol: " + dialect.protocol + "\n") +
                     backend_yaml("second", second->port(), "local", "    protocol: anthropic\n") + route("first, second");
  auto gw = std::make_unique<TestGateway>(with_access_log(yaml, log));
  first->set_fault(how + "=" + std::to_string(dialect.events_before_text + 3));  // tok0 tok1 tok2, then the break

  auto r = http_stream(gw->port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  CHECK(r.complete);
  CHECK(r.header("x-hybridgw-backend") == "first");  // the head went out before the break
  const auto s = read_chat_stream(r.body);
  CHECK(s.text == kReference);
  CHECK(s.dones == 1);
  CHECK(s.errors == 0);
  CHECK(s.roles == 1);
  CHECK(s.ids.size() == 1);  // one chunk id across the splice

  // The continuation asked for: the conversation, then the partial answer as the assistant's start.
  const auto sent = last_body(*second);
  CHECK(received_posts(*second).back().target == "/v1/messages");
  CHECK(sent.at("messages").as_array().back() ==
        json::parse(R"({"role":"assistant","content":[{"type":"text","text":"tok0 tok1 tok2"}]})"));

  // Usage is the sum: three tokens from the first (estimated: its stream broke), thirteen from the second.
  CHECK(s.usage.at("completion_tokens") == 16);
  CHECK(gw->metric("hybridgw_tokens_total", {"backend=\"first\"", "kind=\"output\""}) == 3);
  CHECK(gw->metric("hybridgw_tokens_total", {"backend=\"second\"", "kind=\"output\""}) == 13);
  CHECK(gw->metric("hybridgw_stream_continuations_total", {"from=\"first\"", "to=\"second\""}) == 1);
  CHECK(gw->metric("hybridgw_stream_errors_total") == 0);

  // The access log says where the answer came from.
  gw.reset();  // stopping the gateway flushes its log
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  const auto rec = json::parse(line).as_object();
  CHECK(rec.at("backend") == "second");
  CHECK(rec.at("outcome") == "success");
  CHECK(rec.at("attempts") == 2);
  CHECK(std::string(rec.at("continued").as_string()).starts_with("first>second:"));
  CHECK(rec.at("output_tokens") == 16);
  std::filesystem::remove(log);
}

TEST_CASE("continuation: vLLM-style backends need prefill: true, and get continue_final_message",
          "[integration][continuation]") {
  auto first = start_sim("first");
  auto plain = start_sim("plain");
  auto vllm = start_sim("vllm");
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
                 backend_yaml("plain", plain->port(), "local") +
                 backend_yaml("vllm", vllm->port(), "local", "    prefill: true\n") + route("first, plain, vllm"));
  first->set_fault("preamble;cut=4");
  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  const auto s = read_chat_stream(r.body);
  CHECK(s.text == kReference);
  CHECK(s.dones == 1);
  CHECK(received_posts(*plain).empty());  // no prefill: skipped
  const auto sent = last_body(*vllm);
  CHECK(sent.at("continue_final_message") == true);
  CHECK(sent.at("add_generation_prompt") == false);
  CHECK(gw.metric("hybridgw_stream_continuations_total", {"from=\"first\"", "to=\"vllm\"", "reason=\"reset\""}) == 1);
}

TEST_CASE("continuation: without a target that takes a prefill, or when the route does not ask, the SSE error as before",
          "[integration][continuation]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  const bool route_asks = GENERATE(true, false);
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
                 backend_yaml("second", second->port(), "local", route_asks ? "" : "    prefill: true\n") +
                 route("first, second", route_asks));
  first->set_fault("cut=3");
  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  const auto s = read_chat_stream(r.body);
  CHECK(s.text == "tok0 tok1 tok2 ");
  CHECK(s.dones == 0);
  CHECK(s.errors == 1);
  CHECK(received_posts(*second).empty());
  CHECK(gw.metric("hybridgw_stream_continuations_total") == 0);
}

TEST_CASE("continuation: a restricted request never continues on a remote backend", "[integration][continuation][compliance]") {
  auto first = start_sim("first");
  auto remote = start_sim("remote");
  auto third = start_sim("third");
  const auto audit = std::filesystem::temp_directory_path() / ("hgw-continuation-audit-" + std::to_string(::getpid()));
  std::filesystem::remove(audit);
  auto gw = std::make_unique<TestGateway>(
      head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
      backend_yaml("remote", remote->port(), "remote", "    protocol: anthropic\n") +
      backend_yaml("third", third->port(), "local", "    prefill: true\n") + route("first, remote, third") +
      restricted_stays_local_yaml() + "  audit_log: { path: \"" + audit.string() + "\", fsync: every }\n");
  first->set_fault("cut=3");
  auto r = http_stream(gw->port(), "/v1/chat/completions",
                       R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"ID 110101199003074514"}]})");
  REQUIRE(r.status == 200);
  CHECK(read_chat_stream(r.body).text == kReference);
  CHECK(received_posts(*remote).empty());
  CHECK(received_posts(*third).size() == 1);

  // The audit record names every backend that got the data.
  gw.reset();
  std::ifstream in(audit);
  std::string line;
  REQUIRE(std::getline(in, line));
  const auto rec = json::parse(line).as_object();
  CHECK(rec.at("data_class") == "restricted");
  CHECK(rec.at("backend") == "third");
  CHECK(rec.at("backend_locality") == "local");
  CHECK(rec.at("continued") == "first>third:reset");
  std::filesystem::remove(audit);
}

TEST_CASE("continuation: a model that repeats the prefill is de-duplicated; Anthropic and Responses clients",
          "[integration][continuation]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
                 backend_yaml("second", second->port(), "local", "    protocol: anthropic\n") + route("first, second"));
  first->set_fault("cut=3");
  SECTION("repeat") {
    second->set_fault("repeat_prefill");
    auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
    CHECK(read_chat_stream(r.body).text == kReference);
  }
  SECTION("Anthropic client") {
    auto r = http_stream(gw.port(), "/v1/messages",
                         R"({"model":"auto","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"hello"}]})");
    REQUIRE(r.status == 200);
    const auto s = read_messages_stream(r.body);
    CHECK(s.starts == 1);
    CHECK(s.stops == 1);
    CHECK(s.text == kReference);
  }
  SECTION("Responses client") {
    auto r = http_stream(gw.port(), "/v1/responses", R"({"model":"auto","stream":true,"input":"hello"})");
    REQUIRE(r.status == 200);
    const auto s = read_responses_stream(r.body);
    CHECK(s.numbered);
    CHECK(s.created == 1);
    CHECK(s.text == kReference);
    CHECK(s.last_event == "response.completed");
    const std::string id(s.last_response.at("id").as_string());
    auto stored = http_request(gw.port(), "GET", "/v1/responses/" + id);
    REQUIRE(stored.status == 200);
    CHECK(json::parse(stored.body).at("output").at(0).at("content").at(0).at("text").as_string() == kReference);
  }
}

TEST_CASE("continuation: a target that fails before its stream starts is passed over for the next",
          "[integration][continuation]") {
  auto first = start_sim("first");
  auto down = start_sim("down");
  auto third = start_sim("third");
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
                 backend_yaml("down", down->port(), "local", "    protocol: anthropic\n") +
                 backend_yaml("third", third->port(), "local", "    protocol: anthropic\n") + route("first, down, third"));
  first->set_fault("cut=3");
  down->set_fault("status=503");
  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  const auto s = read_chat_stream(r.body);
  CHECK(s.text == kReference);
  CHECK(s.dones == 1);
  CHECK(gw.metric("hybridgw_stream_continuations_total", {"to=\"down\""}) == 1);
  CHECK(gw.metric("hybridgw_stream_continuations_total", {"to=\"third\""}) == 1);
}

TEST_CASE("continuation: a tool-call stream is not continued", "[integration][continuation]") {
  auto first = start_sim("first");
  auto second = start_sim("second");
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
                 backend_yaml("second", second->port(), "local", "    protocol: anthropic\n") + route("first, second"));
  first->set_fault("cut=2");
  auto r = http_stream(gw.port(), "/v1/chat/completions",
                       R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"please lookup it"}],
                           "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]})");
  REQUIRE(r.status == 200);
  const auto s = read_chat_stream(r.body);
  CHECK(s.errors == 1);
  CHECK(s.dones == 0);
  CHECK(received_posts(*second).empty());
}

TEST_CASE("continuation: a partial answer in which a detector finds something is continued only locally",
          "[integration][continuation][compliance]") {
  auto first = start_sim("first");
  auto remote = start_sim("remote");
  auto third = start_sim("third");
  // "tok1" stands for a value the model wrote: the request itself holds nothing.
  TestGateway gw(head() + "backends:\n" + backend_yaml("first", first->port(), "local", kTimeouts) +
                 backend_yaml("remote", remote->port(), "remote", "    protocol: anthropic\n") +
                 backend_yaml("third", third->port(), "local", "    prefill: true\n") + route("first, remote, third") +
                 "compliance:\n"
                 "  custom_detectors:\n"
                 "    - { name: marker, keywords: [tok1] }\n");
  first->set_fault("cut=3");
  auto r = http_stream(gw.port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  CHECK(read_chat_stream(r.body).text == kReference);
  CHECK(received_posts(*remote).empty());
  CHECK(received_posts(*third).size() == 1);
  // Cut before tok1 was written: the remote backend may continue.
  first->set_fault("cut=1");
  auto early = http_stream(gw.port(), "/v1/chat/completions", kChat);
  CHECK(read_chat_stream(early.body).text == kReference);
  CHECK(received_posts(*remote).size() == 1);
}
