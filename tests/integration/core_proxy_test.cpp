// The core data plane against the simulator on loopback: proxying, rewriting,
// streaming, limits, failover before the first byte and none after it.
#include "tests/integration/GatewayFixture.hpp"

#include "gateway/Asio.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string two_backend_config(unsigned short local, unsigned short remote, const std::string& extra_server = {},
                               const std::string& local_extra = {}, const std::string& remote_extra = {}) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n" + extra_server +
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n" +
         backend_yaml("local", local, "local", "    api_key_env: HGW_TEST_LOCAL_KEY\n" + local_extra) +
         backend_yaml("remote", remote, "remote",
                      "    cost: { input_per_mtok: 2.5, output_per_mtok: 10, cached_input_per_mtok: 1.25 }\n" +
                          remote_extra) +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto, gpt-4o]\n"
         "    targets: [local, remote]\n"
         "    retry: { attempts: 1 }\n"
         "  - name: embed\n"
         "    models: [embed]\n"
         "    targets: [local]\n";
}

const std::string kChat = R"({"model":"auto","messages":[{"role":"user","content":"hello there, gateway"}]})";
const std::string kStreamChat =
    R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hello there, gateway"}]})";

// kChat as the bytes of one HTTP/1.1 request, for a client written by hand.
std::string raw_chat_request() {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(kChat.size()) + "\r\n\r\n" + kChat;
}

json::object parse_object(const std::string& s) { return json::parse(s).as_object(); }

}  // namespace

TEST_CASE("non-streaming request: model rewrite, key replacement, header allowlist, usage in metrics", "[integration]") {
  ::setenv("HGW_TEST_LOCAL_KEY", "upstream-secret-key", 1);
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));

  auto r = post_json(gw.port(), "/v1/chat/completions", kChat,
                     {{"Authorization", "Bearer client-secret"}, {"X-Custom-Thing", "should-not-pass"},
                      {"x-request-id", "req-123"}});
  REQUIRE(r.status == 200);
  CHECK(r.header("x-request-id") == "req-123");
  CHECK(r.header("x-hybridgw-route") == "chat");
  CHECK(r.header("x-hybridgw-backend") == "local");
  CHECK(r.header("x-hybridgw-attempts") == "1");
  CHECK(!r.header("x-hybridgw-decision").empty());
  auto body = parse_object(r.body);
  CHECK(body.at("usage").at("completion_tokens").as_int64() == 16);

  auto got = received_posts(*local);
  REQUIRE(got.size() == 1);
  const auto& up = got[0];
  CHECK(up.target == "/v1/chat/completions");
  CHECK(parse_object(up.body).at("model").as_string() == "local-model");
  CHECK(up.header("authorization") == "Bearer upstream-secret-key");
  CHECK(up.body.find("client-secret") == std::string::npos);
  for (const auto& [k, v] : up.headers) {
    CHECK(v.find("client-secret") == std::string::npos);
    CHECK(k != "X-Custom-Thing");
  }
  CHECK(up.header("x-custom-thing").empty());
  CHECK(up.header("x-request-id") == "req-123");
  CHECK(received_posts(*remote).empty());

  CHECK(gw.metric("hybridgw_requests_total", {"backend=\"local\"", "code=\"200\"", "route=\"chat\""}) == 1);
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"local\"", "kind=\"output\""}) == 16);
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"local\"", "kind=\"input\""}) ==
        body.at("usage").at("prompt_tokens").as_int64());
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"local\"", "outcome=\"success\""}) == 1);
  CHECK(gw.metric("hybridgw_request_duration_seconds_count", {"route=\"chat\"", "backend=\"local\""}) == 1);
  CHECK(gw.metric("hybridgw_gateway_overhead_seconds_count", {"route=\"chat\""}) == 1);
}

TEST_CASE("large request and answer bodies cross in pieces, intact", "[integration]") {
  // Several megabytes each way: more than a socket takes at once, so both the
  // upstream request and the client answer are finished by the async write
  // after the first, immediate one.
  sim::SimOptions options;
  options.tokens = 600000;
  auto local = start_sim("local", options);
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  const std::string prompt(6 * 1024 * 1024, 'p');
  const std::string request = R"({"model":"auto","messages":[{"role":"user","content":")" + prompt + R"("}]})";

  auto r = post_json(gw.port(), "/v1/chat/completions", request, {}, std::chrono::seconds(60));
  REQUIRE(r.status == 200);
  CHECK(r.header("content-length") == std::to_string(r.body.size()));
  CHECK(r.body.size() > 5 * 1024 * 1024);
  auto answer = parse_object(r.body);
  CHECK(answer.at("usage").at("completion_tokens").as_int64() == 600000);
  const std::string content(answer.at("choices").at(0).at("message").at("content").as_string());
  CHECK(content.rfind("tok0 tok1 ", 0) == 0);
  REQUIRE(content.size() >= 10);
  CHECK(content.substr(content.size() - 10) == "tok599999 ");

  auto got = received_posts(*local);
  REQUIRE(got.size() == 1);
  CHECK(got[0].header("content-length") == std::to_string(got[0].body.size()));
  CHECK(parse_object(got[0].body).at("messages").at(0).at("content").as_string() == prompt);
}

TEST_CASE("models list, embeddings and completions pass through", "[integration]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));

  auto models = http_request(gw.port(), "GET", "/v1/models");
  REQUIRE(models.status == 200);
  auto data = parse_object(models.body).at("data").as_array();
  CHECK(data.size() == 3);

  auto emb = post_json(gw.port(), "/v1/embeddings", R"({"model":"embed","input":["a","b"]})");
  REQUIRE(emb.status == 200);
  CHECK(parse_object(emb.body).at("data").as_array().size() == 2);
  CHECK(received_posts(*local).back().target == "/v1/embeddings");

  auto comp = post_json(gw.port(), "/v1/completions", R"({"model":"auto","prompt":"Say hi","max_tokens":4})");
  REQUIRE(comp.status == 200);
  CHECK(parse_object(comp.body).at("usage").at("completion_tokens").as_int64() == 4);
  CHECK(received_posts(*local).back().target == "/v1/completions");
}

TEST_CASE("streaming: chunks reach the client before the upstream has finished", "[integration][stream]") {
  sim::SimOptions slow;
  slow.token_delay_ms = 60;
  slow.tokens = 8;
  auto local = start_sim("local", slow);
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));

  auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat);
  REQUIRE(s.status == 200);
  CHECK(s.header("content-type").find("text/event-stream") == 0);
  REQUIRE(s.complete);
  REQUIRE(s.pieces.size() >= 4);
  // The stream takes ≥ 7 × 60 ms upstream; the first piece must arrive long
  // before the last one (no buffering in the gateway).
  const auto first = s.pieces.front().first, last = s.pieces.back().first;
  CHECK(last - first >= 300ms);
  CHECK(first - s.sent_at < 200ms);

  auto events = parse_sse(s.body);
  REQUIRE(!events.empty());
  CHECK(events.back().data == "[DONE]");
  for (const auto& e : events) {
    if (e.data == "[DONE]") continue;
    // The client did not ask for usage: the usage chunk we injected is not forwarded.
    CHECK(parse_object(e.data).if_contains("usage") == nullptr);
  }
  // Upstream was asked for usage anyway, so the tokens are counted.
  auto up = parse_object(received_posts(*local).at(0).body);
  CHECK(up.at("stream_options").at("include_usage").as_bool());
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"local\"", "kind=\"output\""}) == 8);
  CHECK(gw.metric("hybridgw_time_to_first_token_seconds_count", {"backend=\"local\""}) == 1);
}

TEST_CASE("streaming to an HTTP/1.0 client: no chunked encoding, the body ends with the connection",
          "[integration][stream]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  const std::string body = kStreamChat;
  const auto started = std::chrono::steady_clock::now();
  const auto out = raw_exchange(gw.port(),
                                "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
                                std::chrono::seconds(5));
  INFO(out);
  REQUIRE(out.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  const auto head_end = out.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::string head = out.substr(0, head_end + 2);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
  CHECK(head.find("\r\nConnection: close\r\n") != std::string::npos);
  // The gateway closed the connection (raw_exchange reads until then, or 5 s).
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  // The SSE events as they are, ending with [DONE].
  const std::string events = out.substr(head_end + 4);
  CHECK(events.rfind("data: {", 0) == 0);
  CHECK(events.size() >= 14);
  CHECK(events.substr(events.size() - 14) == "data: [DONE]\n\n");
}

TEST_CASE("streaming: usage chunk forwarded when the client asked for it", "[integration][stream]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  auto s = http_stream(gw.port(), "/v1/chat/completions",
                       R"({"model":"auto","stream":true,"stream_options":{"include_usage":true},)"
                       R"("messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(s.status == 200);
  bool saw_usage = false;
  for (const auto& e : parse_sse(s.body))
    if (e.data != "[DONE]" && parse_object(e.data).if_contains("usage")) saw_usage = true;
  CHECK(saw_usage);
}

TEST_CASE("request limits and malformed requests get clear errors", "[integration][limits]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(
      local->port(), remote->port(),
      "  limits: { max_body_bytes: 2048, max_header_bytes: 2048, header_timeout_ms: 300 }\n"));

  SECTION("413 when the body is over the limit, without reading it all") {
    std::string big(10000, 'x');
    auto r = post_json(gw.port(), "/v1/chat/completions", big);
    CHECK(r.status == 413);
    CHECK(r.body.find("max_body_bytes") != std::string::npos);
  }
  SECTION("431 when headers are over the limit") {
    auto r = post_json(gw.port(), "/v1/chat/completions", kChat, {{"x-big", std::string(4000, 'a')}});
    CHECK(r.status == 431);
  }
  SECTION("408 when the head does not arrive in time") {
    const auto start = std::chrono::steady_clock::now();
    auto out = raw_exchange(gw.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", 3s);
    CHECK(out.rfind("HTTP/1.1 408", 0) == 0);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  SECTION("400 for Content-Length together with Transfer-Encoding") {
    auto out = raw_exchange(gw.port(),
                            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
  }
  SECTION("an answer to HEAD has no body, so the next answer on the connection stays readable") {
    // Found by fuzz_gateway_session: HEAD got its 404 with the JSON body.
    auto out = raw_exchange(gw.port(),
                            "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    INFO(out);
    REQUIRE(out.rfind("HTTP/1.1 ", 0) == 0);
    const auto first_end = out.find("\r\n\r\n");
    REQUIRE(first_end != std::string::npos);
    CHECK(out.substr(0, first_end).find("\r\nContent-Length: ") != std::string::npos);
    CHECK(out.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);  // HEAD /healthz is a health probe too
    CHECK(out.substr(first_end + 4).rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    // ... and a malformed request after a HEAD gets its 400 with the body.
    auto bad = raw_exchange(gw.port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n BAD\r\n\r\n");
    INFO(bad);
    const auto second = bad.find("HTTP/1.1 400");
    REQUIRE(second != std::string::npos);
    CHECK(bad.find("\"code\":\"bad_request\"", second) != std::string::npos);
  }
  SECTION("404 for an unknown path quotes it percent-encoded, so the body stays UTF-8") {
    // Found by fuzz_gateway_session: raw target bytes made the JSON body invalid UTF-8.
    auto out = raw_exchange(gw.port(), "GET /v1/chat/complet\xff\xfe%41 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    INFO(out);
    REQUIRE(out.rfind("HTTP/1.1 404", 0) == 0);
    const std::string body = out.substr(out.find("\r\n\r\n") + 4);
    CHECK(body.find("/v1/chat/complet%FF%FE%2541") != std::string::npos);
    boost::system::error_code ec;
    boost::json::parse(body, ec);  // strict: invalid UTF-8 is an error
    CHECK(!ec);
  }
  SECTION("400 for malformed JSON says where") {
    auto r = post_json(gw.port(), "/v1/chat/completions", "{\"model\": \"auto\",\n \"messages\": [}");
    CHECK(r.status == 400);
    CHECK(r.body.find("line 2") != std::string::npos);
    CHECK(parse_object(r.body).at("error").at("code").as_string() == "invalid_json");
  }
  SECTION("404 for an unknown model lists the models") {
    auto r = post_json(gw.port(), "/v1/chat/completions", R"({"model":"nope","messages":[{"role":"user","content":"hi"}]})");
    CHECK(r.status == 404);
    CHECK(r.body.find("auto") != std::string::npos);
    CHECK(r.body.find("gpt-4o") != std::string::npos);
  }
  CHECK(received_posts(*local).empty());
  // The gateway is still serving.
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).status == 200);
}

TEST_CASE("failover before the first byte: 5xx on the primary goes to the next target", "[integration][failover]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  local->set_fault("status=500");
  TestGateway gw(two_backend_config(local->port(), remote->port()));

  auto r = post_json(gw.port(), "/v1/chat/completions", kChat);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "remote");
  CHECK(r.header("x-hybridgw-attempts") == "2");
  CHECK(parse_object(r.body).at("model").as_string() == "remote-model");
  CHECK(received_posts(*local).size() == 1);
  CHECK(received_posts(*remote).size() == 1);
  CHECK(gw.metric("hybridgw_failovers_total", {"from=\"local\"", "to=\"remote\"", "reason=\"http_5xx\""}) == 1);
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"local\"", "outcome=\"http_5xx\""}) == 1);
}

TEST_CASE("failover before the first byte: connection refused and reset", "[integration][failover]") {
  auto remote = start_sim("remote");
  SECTION("refused") {
    // A port nothing listens on.
    net::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto dead_port = probe.local_endpoint().port();
    probe.close();
    TestGateway gw(two_backend_config(dead_port, remote->port()));
    auto r = post_json(gw.port(), "/v1/chat/completions", kChat);
    CHECK(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "remote");
  }
  SECTION("reset before headers") {
    auto local = start_sim("local");
    local->set_fault("reset");
    TestGateway gw(two_backend_config(local->port(), remote->port()));
    auto r = post_json(gw.port(), "/v1/chat/completions", kChat);
    CHECK(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "remote");
  }
  SECTION("stream that fails before its first event") {
    auto local = start_sim("local");
    local->set_fault("cut=0");
    TestGateway gw(two_backend_config(local->port(), remote->port()));
    auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat);
    CHECK(s.status == 200);
    CHECK(s.header("x-hybridgw-backend") == "remote");
    CHECK(parse_sse(s.body).back().data == "[DONE]");
  }
}

TEST_CASE("no failover after the first byte: a cut stream ends with an SSE error event, no [DONE]",
          "[integration][stream][failover]") {
  sim::SimOptions opts;
  opts.token_delay_ms = 5;
  auto local = start_sim("local", opts);
  auto remote = start_sim("remote");
  local->set_fault("cut=3");
  TestGateway gw(two_backend_config(local->port(), remote->port()));

  auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat);
  REQUIRE(s.status == 200);
  auto events = parse_sse(s.body);
  REQUIRE(!events.empty());
  CHECK(events.back().event == "error");
  for (const auto& e : events) CHECK(e.data != "[DONE]");
  CHECK(received_posts(*remote).empty());
  CHECK(gw.metric("hybridgw_stream_errors_total", {"backend=\"local\""}) == 1);
  CHECK(gw.metric("hybridgw_requests_total", {"code=\"200\""}) == 1);
  // The access-log outcome and metrics count it as failed, not successful.
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"local\"", "outcome=\"success\""}) == 0);
  // Partial usage is recorded for what was streamed.
  CHECK(gw.metric("hybridgw_tokens_total", {"backend=\"local\"", "kind=\"output\""}) == 3);
}

TEST_CASE("a stream that stalls after bytes were sent ends with an error event at the idle timeout",
          "[integration][stream]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  local->set_fault("stall=2");
  TestGateway gw(two_backend_config(local->port(), remote->port(), {},
                                    "    timeouts: { connect_ms: 500, first_token_ms: 2000, idle_ms: 300, "
                                    "total_ms: 10000 }\n"));
  const auto start = std::chrono::steady_clock::now();
  auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  auto events = parse_sse(s.body);
  REQUIRE(!events.empty());
  CHECK(events.back().event == "error");
  CHECK(events.back().data.find("timeout_idle") != std::string::npos);
}

TEST_CASE("an upstream stream that ends cleanly without [DONE] finishes promptly", "[integration][stream]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  local->set_fault("no_done");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  const auto start = std::chrono::steady_clock::now();
  auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  REQUIRE(s.complete);
  auto events = parse_sse(s.body);
  CHECK(events.back().data == "[DONE]");
  CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"local\"", "outcome=\"success\""}) == 1);
}

TEST_CASE("client disconnect cancels the upstream request", "[integration][stream]") {
  sim::SimOptions slow;
  slow.token_delay_ms = 100;
  slow.tokens = 100;
  auto local = start_sim("local", slow);
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  auto s = http_stream(gw.port(), "/v1/chat/completions", kStreamChat, {}, 10s,
                       [](const std::string&) { return false; });  // leave after the first piece
  CHECK(s.status == 200);
  CHECK(eventually([&] { return local->cancelled_streams() == 1; }, 3s));
  CHECK(eventually([&] { return local->open_connections() == 0; }, 3s));
  CHECK(eventually([&] { return gw.metric("hybridgw_attempts_total", {"outcome=\"cancelled\""}) == 1; }, 3s));
  // The gateway serves normally afterwards, on a fresh upstream connection.
  local->set_token_delay_ms(0);
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).status == 200);
}

// A client that sends its request and at once shuts down its sending side
// (as nc -N does, and some batch clients) has left: the
// gateway cancels the upstream call, as nginx does without
// proxy_ignore_client_abort. The close can be seen before the upstream call
// begins (immediately) or during it (after a delay); either way the attempt is
// cancelled and not answered as served.
TEST_CASE("a client that half-closes while its request is in flight cancels the upstream call", "[integration]") {
  sim::SimOptions slow;
  slow.latency_ms = 300;
  auto local = start_sim("local", slow);
  auto remote = start_sim("remote");
  const auto log = std::filesystem::temp_directory_path() / ("hgw-half-close-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  auto gw = std::make_unique<TestGateway>(with_access_log(two_backend_config(local->port(), remote->port()), log));
  const std::string request = raw_chat_request();
  int cancelled = 0;
  for (auto after : {0ms, 0ms, 0ms, 100ms, 100ms}) {
    INFO("half-close " << after.count() << " ms after the request");
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(raw_exchange(gw->port(), request, 5s, /*half_close=*/true, after).empty());
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    ++cancelled;
    CHECK(eventually([&] { return gw->metric("hybridgw_attempts_total", {"outcome=\"cancelled\""}) == cancelled; }, 3s));
  }
  CHECK(gw->metric("hybridgw_attempts_total", {"outcome=\"success\""}) == 0);
  CHECK(gw->metric("hybridgw_attempts_total", {"backend=\"remote\""}) == 0);  // no failover for a client gone
  // The access log records each as nginx's 499, "client closed request".
  gw.reset();  // stopping the gateway flushes its log
  std::ifstream in(log);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto rec = json::parse(line).as_object();
    CHECK(rec.at("status") == 499);
    CHECK(rec.at("outcome") == "client_closed");
  }
  CHECK(lines == cancelled);
  std::filesystem::remove(log);
}

TEST_CASE("keep-alive: one client connection carries several requests, upstream connections are pooled",
          "[integration]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  HttpConnection client(gw.port());
  REQUIRE(client.open());
  const auto port = client.local_port();
  for (int i = 0; i < 5; ++i) {
    auto r = client.request("POST", "/v1/chat/completions", kChat);
    REQUIRE(r.status == 200);
    CHECK(r.header("connection") != "close");
  }
  CHECK(client.open());
  CHECK(client.local_port() == port);  // the same client connection throughout
  // Sequential requests reuse pooled upstream connections (at most one per io thread).
  CHECK(local->open_connections() <= 2);
  CHECK(received_posts(*local).size() == 5);
}

// A client that is done closes its side after its last answer; the gateway
// must see that at once and close too, not hold the connection until
// idle_timeout_ms (75 s by default: under connection churn that is thousands of
// descriptors). Several requests first, so that the close follows a request
// whose client-close watch ran.
TEST_CASE("keep-alive: the gateway closes a connection as soon as its client does", "[integration]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  for (int requests : {1, 3}) {
    INFO(requests << " requests before the client closes");
    HttpConnection client(gw.port());
    REQUIRE(client.open());
    for (int i = 0; i < requests; ++i) REQUIRE(client.request("POST", "/v1/chat/completions", kChat).status == 200);
    CHECK(client.server_closes_after_half_close(3s));
  }
  // The same after a streamed answer.
  HttpConnection client(gw.port());
  REQUIRE(client.open());
  const std::string stream_chat = R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  REQUIRE(client.request("POST", "/v1/chat/completions", stream_chat).status == 200);
  CHECK(client.server_closes_after_half_close(3s));

  // A client that closes while its request is in flight: the connection is
  // closed at once, not at idle_timeout_ms. (That the upstream call is
  // cancelled is the half-close case above.)
  local->set_latency_ms(300);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string request = raw_chat_request();
  raw_exchange(gw.port(), request, 5s, /*half_close=*/true);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

TEST_CASE("admin listener: metrics, healthz, readyz", "[integration][admin]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(two_backend_config(local->port(), remote->port()));
  auto m = http_request(gw.admin_port(), "GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.body.find("hybridgw_backend_inflight") != std::string::npos);
  CHECK(http_request(gw.admin_port(), "GET", "/healthz").status == 200);
  CHECK(http_request(gw.admin_port(), "GET", "/readyz").status == 200);
  CHECK(http_request(gw.port(), "GET", "/healthz").status == 200);
}
