// Defects found in review of the data plane, each with the test that failed
// before its fix: code that throws, a stream the client's codec cannot
// translate, the budget's estimate, reloads that forgot what was learnt.
#include "tests/integration/GatewayFixture.hpp"
#include "tests/integration/ScriptedUpstream.hpp"

#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

const std::string kChat = R"({"model":"auto","messages":[{"role":"user","content":"Hello"}]})";
const std::string kStreamChat = R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"Hello"}]})";

std::string one_backend(unsigned short port, const std::string& extra_backend = {}, const std::string& tail = {}) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n" +
         backend_yaml("only", port, "local", extra_backend) +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [only]\n" +
         tail;
}

// Throws at one named step of the pipeline while `armed` holds that step.
struct Fault {
  std::atomic<const char*> armed{nullptr};
  void install(TestGateway& gw) {
    gw.gateway().services().fault_injection = [this](std::string_view step) {
      if (const char* s = armed.load(); s && step == s) throw std::runtime_error(std::string("injected at ") + s);
    };
  }
};

}  // namespace

TEST_CASE("an exception inside the pipeline gets an answer, is accounted, and leaks no slot",
          "[integration][robustness]") {
  auto sim = start_sim("only");
  // One slot and no queue: a leaked slot would turn every later request into a 503.
  TestGateway gw(one_backend(sim->port(), "    max_concurrency: 1\n"));
  Fault fault;
  fault.install(gw);

  // The slot is given back just after the answer went out: a client that
  // asks again at once may come first on a loaded machine, so each request
  // waits for the slot to be free (a leaked one never is).
  auto slot_free = [&] {
    return eventually([&] { return gw.gateway().services().snapshot()->backend(0).gate.inflight() == 0; });
  };
  for (const char* step : {"policies", "attempt", "relay"}) {
    INFO("thrown at " << step);
    REQUIRE(slot_free());
    fault.armed = step;
    auto r = post_json(gw.port(), "/v1/chat/completions", kChat);
    CHECK(r.status == 500);
    CHECK(r.body.find("the gateway failed while serving this request") != std::string::npos);
    CHECK(r.body.find("injected at") != std::string::npos);
    fault.armed = nullptr;
    REQUIRE(slot_free());
    CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).status == 200);
  }
  CHECK(gw.metric("hybridgw_requests_total", {"code=\"500\""}) == 3);
  CHECK(gw.metric("hybridgw_backend_inflight", {"backend=\"only\""}) == 0);
  CHECK(gw.gateway().services().snapshot()->backend(0).gate.inflight() == 0);

  // Thrown after the stream started: an SSE error event, no [DONE].
  REQUIRE(slot_free());
  fault.armed = "stream";
  auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat);
  fault.armed = nullptr;
  CHECK(s.status == 200);
  CHECK(s.complete);
  const auto events = parse_sse(s.body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().event == "error");
  for (const auto& e : events) CHECK(e.data != "[DONE]");
  REQUIRE(slot_free());
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).status == 200);
  CHECK(gw.metric("hybridgw_requests_total") == 8);
}

TEST_CASE("a stream the client's codec cannot translate ends with an error, not a success",
          "[integration][robustness][anthropic]") {
  // Parallel tool calls whose arguments interleave: OpenAI chunks can carry
  // them, Anthropic streams cannot.
  auto chunk = [](int index, const std::string& args, const char* extra = "") {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{" +
           std::string(extra) + "\"tool_calls\":[{\"index\":" + std::to_string(index) +
           ",\"id\":\"call_" + std::to_string(index) + "\",\"type\":\"function\",\"function\":{\"name\":\"f" +
           std::to_string(index) + "\",\"arguments\":\"" + args + "\"}}]}}]}\n\n";
  };
  ScriptedUpstream upstream([&](const std::string&) {
    return ScriptedUpstream::sse_response(
        {chunk(0, "{\\\"a\\\":", "\"role\":\"assistant\","), chunk(1, "{\\\"b\\\":"), chunk(0, "1}"), chunk(1, "2}"),
         "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},"
         "\"finish_reason\":\"tool_calls\"}]}\n\n",
         "data: [DONE]\n\n"});
  });
  TestGateway gw(one_backend(upstream.port()));
  auto s = http_stream(gw.port(), "/v1/messages",
                       R"({"model":"auto","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"go"}]})");
  CHECK(s.status == 200);
  const auto events = parse_sse(s.body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().event == "error");
  CHECK(events.back().data.find("parallel tool calls") != std::string::npos);
  for (const auto& e : events) CHECK(e.event != "message_stop");
  CHECK(gw.metric("hybridgw_stream_errors_total") == 1);
  CHECK(gw.metric("hybridgw_attempts_total", {"outcome=\"success\""}) == 0);
}

TEST_CASE("budgets: the estimate is the dearest target the request may reach", "[integration][robustness][budget]") {
  auto cheap = start_sim("cheap");
  auto dear = start_sim("dear");
  const std::string key = "k-budget-1";
  // 1,000 output tokens (max_tokens) cost $0.001 on cheap and $0.1 on dear;
  // the budget of $0.01 covers one and not the other.
  const std::string yaml =
      "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
      "admin:\n  listen: 127.0.0.1:19090\n"
      "state: { store: memory }\n"
      "backends:\n" +
      backend_yaml("cheap", cheap->port(), "local", "    cost: { input_per_mtok: 1, output_per_mtok: 1 }\n") +
      backend_yaml("dear", dear->port(), "remote", "    cost: { input_per_mtok: 100, output_per_mtok: 100 }\n") +
      "routes:\n"
      "  - name: chat\n"
      "    models: [auto]\n"
      "    targets: [cheap, dear]\n"
      "tenants:\n"
      "  - name: t\n"
      "    keys: [\"" + auth::sha256_digest_line(key) + "\"]\n"
      "    budget: { daily_usd: 0.01 }\n"
      "compliance:\n"
      "  detectors: [cn_resident_id]\n"
      "  classify: { cn_resident_id: restricted }\n"
      "  rules:\n"
      "    - { name: local-only, class: restricted, allow: { locality: [local] } }\n";
  TestGateway gw(yaml);
  const Headers auth_header = {{"Authorization", "Bearer " + key}};
  // Failover could take it to dear: refused, although cheap would answer it.
  auto r = post_json(gw.port(), "/v1/chat/completions",
                     R"({"model":"auto","max_tokens":1000,"messages":[{"role":"user","content":"hi"}]})", auth_header);
  CHECK(r.status == 429);
  CHECK(r.body.find("budget") != std::string::npos);
  // Restricted data may only go to cheap: its estimate is cheap's, within the budget.
  r = post_json(gw.port(), "/v1/chat/completions",
                R"({"model":"auto","max_tokens":1000,"messages":[{"role":"user","content":"id 110101199003074514"}]})",
                auth_header);
  CHECK(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "cheap");
}

TEST_CASE("a reload keeps what was learnt about unchanged backends, and repeats its warnings",
          "[integration][robustness][reload]") {
  auto flaky = start_sim("flaky");
  auto steady = start_sim("steady");
  char path[] = "/tmp/hgw-reload-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  auto write_config = [&](const std::string& extra) {
    std::ofstream(path) << "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
                           "admin:\n  listen: 127.0.0.1:19090\n"
                           "state: { store: memory }\n"
                           "backends:\n" +
                               backend_yaml("flaky", flaky->port(), "local",
                                            "    circuit_breaker: { consecutive_failures: 2, cooldown_ms: 60000 }\n") +
                               backend_yaml("steady", steady->port(), "remote") + extra +
                               "routes:\n"
                               "  - name: chat\n"
                               "    models: [auto]\n"
                               "    targets: [flaky, steady]\n"
                               "    retry: { attempts: 1 }\n";
  };
  write_config("");
  auto loaded = config::load_config_file(path);
  REQUIRE(loaded.ok());
  app::GatewayOptions options;
  options.config_path = path;
  options.handle_signals = false;
  options.port = 0;
  options.admin_port = 0;
  app::Gateway gw(loaded.config, options);
  gw.start();

  flaky->set_fault("status=503");
  for (int i = 0; i < 2; ++i) CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).header("x-hybridgw-backend") == "steady");
  REQUIRE(gw.services().snapshot()->backend(0).breaker.state(Clock::now()) == failover::CircuitBreaker::State::open);
  flaky->clear_fault();
  // What the gateway knows of steady's health (the object its checks update).
  const failover::HealthState* steady_health = &gw.services().snapshot()->backend(1).health;

  // A new backend with TLS verification off: the reload warns, as start-up does.
  write_config("  - name: insecure\n    url: https://127.0.0.1:1/v1\n    model: m\n    locality: remote\n"
               "    tls: { verify: false }\n    health_check: { enabled: false }\n");
  auto reload = http_request(gw.admin_port(), "POST", "/admin/reload");
  CHECK(reload.status == 200);
  CHECK(reload.body.find("upstream TLS verification disabled for backend insecure") != std::string::npos);

  // The open circuit of flaky survived: it is still skipped.
  CHECK(gw.services().snapshot()->backend(0).breaker.state(Clock::now()) == failover::CircuitBreaker::State::open);
  const auto before = received_posts(*flaky).size();
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).header("x-hybridgw-backend") == "steady");
  CHECK(received_posts(*flaky).size() == before);
  // steady's health state is the same one, still updated by its checks.
  CHECK(&gw.services().snapshot()->backend(1).health == steady_health);
  gw.stop();
  gw.wait();
  ::unlink(path);
}

TEST_CASE("a key removed by a reload stops working, though it was remembered", "[integration][robustness][reload][keys]") {
  auto upstream = start_sim("local");
  char path[] = "/tmp/hgw-keys-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  const std::string kept = "sk-kept-key", revoked = "sk-revoked-key";
  auto write_config = [&](const std::vector<std::string>& keys) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "\"" : ", \"") + auth::sha256_digest_line(k) + "\"";
    std::ofstream(path) << "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
                           "admin:\n  listen: 127.0.0.1:19090\n"
                           "state: { store: memory }\n"
                           "backends:\n" +
                               backend_yaml("local", upstream->port(), "local") +
                               "routes:\n  - { name: chat, models: [auto], targets: [local] }\n"
                               "tenants:\n  - { name: t, keys: [" + list + "] }\n";
  };
  write_config({kept, revoked});
  auto loaded = config::load_config_file(path);
  REQUIRE(loaded.ok());
  app::GatewayOptions options;
  options.config_path = path;
  options.handle_signals = false;
  options.port = 0;
  options.admin_port = 0;
  app::Gateway gw(loaded.config, options);
  gw.start();
  auto status_with = [&](const std::string& key) {
    return post_json(gw.port(), "/v1/chat/completions", kChat, {{"Authorization", "Bearer " + key}}).status;
  };
  for (int i = 0; i < 2; ++i) {  // the second time from the memo of matched keys
    CHECK(status_with(revoked) == 200);
    CHECK(status_with(kept) == 200);
  }
  CHECK(status_with("sk-never-configured") == 401);

  write_config({kept});
  REQUIRE(http_request(gw.admin_port(), "POST", "/admin/reload").status == 200);
  CHECK(status_with(revoked) == 401);
  CHECK(status_with(kept) == 200);
  gw.stop();
  gw.wait();
  ::unlink(path);
}
