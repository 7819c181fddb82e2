// Tests of hybridgw-sim, the fake upstream every gateway test relies on: the
// pure parts (fault specs, response shapes) without sockets, then the wire
// behaviour over loopback with a small Beast client that runs its io_context on
// the test thread with a deadline (SimClient.hpp).
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "tests/sim/FaultSpec.hpp"
#include "tests/sim/ResponseBuilder.hpp"
#include "tests/sim/SimState.hpp"
#include "tests/sim/Simulator.hpp"
#include "tests/unit/gateway/SimClient.hpp"

// GCC 12 warns about members left to their default initialisers in
// designated initialisers ({.body = ...}), which is exactly the intent here.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace hgw::testing;
using hgw::sim::Simulator;
using hgw::sim::SimOptions;

std::string chat_body(bool stream, std::string extra = {}) {
  std::string b = R"({"model":"m1","messages":[{"role":"system","content":"be brief"},)"
                  R"({"role":"user","content":"hello world, hi!"}])";
  if (stream) b += R"(,"stream":true)";
  return b + extra + "}";
}

}  // namespace

// ---------------------------------------------------------------- pure parts

TEST_CASE("sim fault specs parse, combine and reject unknown names", "[sim]") {
  using hgw::sim::parse_fault;
  auto r = parse_fault("status=429,retry_after=2");
  REQUIRE(r.ok());
  CHECK(r.spec.status == 429);
  CHECK(r.spec.retry_after_s == 2);
  CHECK(r.spec.replaces_response());

  r = parse_fault(" slow_ttft=200 ; cut=3 ");
  REQUIRE(r.ok());
  CHECK(r.spec.slow_ttft_ms == 200);
  CHECK(r.spec.cut == 3);
  CHECK_FALSE(r.spec.replaces_response());

  CHECK(parse_fault("hang").spec.hang);
  CHECK(parse_fault("no_done").spec.no_done);
  CHECK(parse_fault("malformed=0").spec.malformed == 0);

  CHECK_FALSE(parse_fault("").ok());
  CHECK_FALSE(parse_fault("bogus").ok());
  CHECK_FALSE(parse_fault("status=abc").ok());
  CHECK_FALSE(parse_fault("status=42").ok());
  CHECK_FALSE(parse_fault("hang=1").ok());
  CHECK_FALSE(parse_fault("retry_after=2").ok());
  CHECK(parse_fault("bogus").error.find("bogus") != std::string::npos);
}

TEST_CASE("sim echo chunking never splits a UTF-8 character", "[sim]") {
  using hgw::sim::split_utf8;
  CHECK(split_utf8("abcdefg", 3) == std::vector<std::string>{"abc", "def", "g"});
  // "é" is 2 bytes, "€" 3 bytes: pieces grow past 3 bytes rather than cut one.
  CHECK(split_utf8("ab\xC3\xA9z", 3) == std::vector<std::string>{"ab\xC3\xA9", "z"});
  CHECK(split_utf8("\xE2\x82\xAC\xE2\x82\xAC", 3) ==
        std::vector<std::string>{"\xE2\x82\xAC", "\xE2\x82\xAC"});
  CHECK(split_utf8("", 3).empty());
  CHECK(hgw::sim::estimate_tokens(0) == 1);
  CHECK(hgw::sim::estimate_tokens(8) == 2);
  CHECK(hgw::sim::estimate_tokens(9) == 3);
}

TEST_CASE("sim builds deterministic response plans without sockets", "[sim]") {
  SimOptions o;
  o.tokens = 5;
  o.cached_tokens = 2;
  hgw::sim::SimState state(o);
  hgw::sim::Inbound in;
  in.method = "POST";

  SECTION("legacy completions with max_tokens") {
    in.target = "/v1/completions";
    in.body = R"({"model":"c","prompt":"abcdefgh","max_tokens":2})";
    auto p = hgw::sim::build_response(in, state);
    auto v = json::parse(p.body);
    CHECK(v.at("object") == "text_completion");
    CHECK(v.at("choices").at(0).at("text") == "tok0 tok1 ");
    CHECK(v.at("choices").at(0).at("finish_reason") == "length");
    CHECK(v.at("usage").at("prompt_tokens") == 2);
    CHECK(v.at("usage").at("prompt_tokens_details").at("cached_tokens") == 2);
  }
  SECTION("embeddings are deterministic 8-dim vectors") {
    in.target = "/v1/embeddings";
    in.body = R"({"model":"e","input":["alpha","beta"]})";
    auto a = json::parse(hgw::sim::build_response(in, state).body);
    auto b = json::parse(hgw::sim::build_response(in, state).body);
    CHECK(a == b);
    CHECK(a.at("data").as_array().size() == 2);
    CHECK(a.at("data").at(0).at("embedding").as_array().size() == 8);
    CHECK(a.at("data").at(0).at("embedding") != a.at("data").at(1).at("embedding"));
    CHECK(a.at("usage").at("prompt_tokens") == 3);
  }
  SECTION("Anthropic messages") {
    in.target = "/v1/messages";
    in.body = R"({"model":"claude","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})";
    auto v = json::parse(hgw::sim::build_response(in, state).body);
    CHECK(v.at("type") == "message");
    CHECK(v.at("content").at(0).at("text") == "tok0 tok1 tok2 tok3 tok4 ");
    CHECK(v.at("stop_reason") == "end_turn");
    CHECK(v.at("usage").at("input_tokens") == 1);
    CHECK(v.at("usage").at("output_tokens") == 5);
  }
  SECTION("Azure-style path prefix and query string") {
    in.target = "/openai/deployments/gpt4/chat/completions?api-version=2024-02-01";
    in.body = R"({"messages":[{"role":"user","content":"x"}]})";
    CHECK(hgw::sim::build_response(in, state).status == 200);
  }
  SECTION("a fault: model and an unknown path") {
    in.target = "/v1/chat/completions";
    in.body = R"({"model":"fault:status=502","messages":[]})";
    CHECK(hgw::sim::build_response(in, state).status == 502);
    in.body = R"({"model":"fault:nonsense","messages":[]})";
    CHECK(hgw::sim::build_response(in, state).status == 400);
    in.target = "/v1/nowhere";
    CHECK(hgw::sim::build_response(in, state).status == 404);
  }
}

// ---------------------------------------------------------------- over loopback

TEST_CASE("sim answers a non-streaming chat completion", "[sim]") {
  SimOptions o;
  o.name = "alpha";
  o.tokens = 4;
  o.cached_tokens = 3;
  Simulator sim(o);
  auto port = sim.start();

  auto r = send(port, {.body = chat_body(false)});
  REQUIRE_FALSE(r.ec);
  CHECK(r.status == 200);
  CHECK(r.headers["x-sim-name"] == "alpha");
  CHECK(r.headers[http::field::content_type] == "application/json");
  auto v = r.json_body();
  CHECK(v.at("object") == "chat.completion");
  CHECK(v.at("model") == "m1");
  CHECK(v.at("id").as_string().starts_with("chatcmpl-sim-"));
  CHECK(v.at("choices").at(0).at("message").at("role") == "assistant");
  CHECK(v.at("choices").at(0).at("message").at("content") == "tok0 tok1 tok2 tok3 ");
  CHECK(v.at("choices").at(0).at("finish_reason") == "stop");
  // "be brief" + "hello world, hi!" = 24 characters = 6 tokens
  CHECK(v.at("usage").at("prompt_tokens") == 6);
  CHECK(v.at("usage").at("completion_tokens") == 4);
  CHECK(v.at("usage").at("total_tokens") == 10);
  CHECK(v.at("usage").at("prompt_tokens_details").at("cached_tokens") == 3);

  r = send(port, {.body = chat_body(false, R"(,"max_completion_tokens":2)")});
  CHECK(r.json_body().at("choices").at(0).at("finish_reason") == "length");
  CHECK(r.json_body().at("usage").at("completion_tokens") == 2);

  r = send(port, {.method = http::verb::get, .target = "/v1/models"});
  CHECK(r.json_body().at("data").at(0).at("id") == "sim-model");
  CHECK(r.json_body().at("data").at(0).at("owned_by") == "alpha");

  r = send(port, {.body = "{not json"});
  CHECK(r.status == 400);
  CHECK(r.json_body().at("error").at("type") == "invalid_request_error");
}

TEST_CASE("sim streams chunks spaced by the token delay", "[sim]") {
  SimOptions o;
  o.tokens = 5;
  o.token_delay_ms = 50;
  Simulator sim(o);
  auto port = sim.start();

  auto r = send(port, {.body = chat_body(true)});
  REQUIRE_FALSE(r.ec);
  CHECK(r.status == 200);
  CHECK(r.headers[http::field::content_type] == "text/event-stream");
  CHECK(r.headers[http::field::transfer_encoding] == "chunked");
  REQUIRE(r.events.size() == 6);  // 5 tokens + [DONE]; no usage chunk unless asked
  CHECK(r.has_done());
  auto first = r.event_json(0);
  CHECK(first.at("object") == "chat.completion.chunk");
  CHECK(first.at("choices").at(0).at("delta").at("role") == "assistant");
  CHECK(first.at("choices").at(0).at("delta").at("content") == "tok0 ");
  CHECK(first.at("choices").at(0).at("finish_reason").is_null());
  CHECK(r.event_json(4).at("choices").at(0).at("finish_reason") == "stop");
  CHECK_FALSE(r.event_json(4).as_object().contains("usage"));
  // The first token arrives at once; the last 4 delays later.
  CHECK(r.event_ms[0] < 100);
  CHECK(r.event_ms[4] - r.event_ms[0] >= 190);

  sim.set_token_delay_ms(0);
  r = send(port, {.body = chat_body(true, R"(,"stream_options":{"include_usage":true})")});
  REQUIRE(r.events.size() == 7);
  auto usage = r.event_json(5);
  CHECK(usage.at("choices").as_array().empty());
  CHECK(usage.at("usage").at("completion_tokens") == 5);
  CHECK(r.events[6] == "data: [DONE]");
}

TEST_CASE("sim streams legacy completions and Anthropic events", "[sim]") {
  SimOptions o;
  o.tokens = 2;
  Simulator sim(o);
  auto port = sim.start();

  auto r = send(port, {.target = "/v1/completions", .body = R"({"model":"c","prompt":["a","b"],"stream":true})"});
  REQUIRE(r.events.size() == 3);
  CHECK(r.event_json(1).at("choices").at(0).at("text") == "tok1 ");
  CHECK(r.has_done());

  r = send(port, {.target = "/v1/messages",
                  .body = R"({"model":"claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]})"});
  std::vector<std::string> kinds;
  for (const auto& e : r.events) kinds.push_back(e.substr(0, e.find('\n')));
  CHECK(kinds == std::vector<std::string>{"event: message_start", "event: content_block_start",
                                          "event: content_block_delta", "event: content_block_delta",
                                          "event: content_block_stop", "event: message_delta",
                                          "event: message_stop"});
  CHECK(r.event_json(3).at("delta").at("text") == "tok1 ");
  CHECK(r.event_json(5).at("usage").at("output_tokens") == 2);
  CHECK(r.event_json(5).at("delta").at("stop_reason") == "end_turn");
}

TEST_CASE("sim echo mode returns the last user message in 3-byte pieces", "[sim]") {
  Simulator sim;
  auto port = sim.start();
  // "héllo wörld": multibyte characters must stay whole.
  const std::string text = "h\xC3\xA9llo w\xC3\xB6rld";
  auto body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"first"},)"
              R"({"role":"assistant","content":"x"},{"role":"user","content":")" + text + "\"}]}";
  auto r = send(port, {.body = body, .headers = {{"x-sim-echo", "1"}}});
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i + 1 < r.events.size(); ++i)
    pieces.emplace_back(r.event_json(i).at("choices").at(0).at("delta").at("content").as_string());
  CHECK(pieces == std::vector<std::string>{"h\xC3\xA9", "llo", " w\xC3\xB6", "rld"});

  auto plain = send(port, {.body = R"({"model":"echo","messages":[{"role":"user","content":"abcdefg"}]})"});
  CHECK(plain.json_body().at("choices").at(0).at("message").at("content") == "abcdefg");
  CHECK(plain.json_body().at("usage").at("completion_tokens") == 3);
}

TEST_CASE("sim records what the upstream received", "[sim]") {
  Simulator sim;
  auto port = sim.start();
  send(port, {.target = "/v1/chat/completions?x=1", .body = chat_body(false),
              .headers = {{"Authorization", "Bearer sk-test"}, {"x-request-id", "r-1"}}});
  send(port, {.method = http::verb::get, .target = "/_sim/stats"});  // control: not recorded
  REQUIRE(sim.received_count() == 1);
  auto rec = sim.received().at(0);
  CHECK(rec.method == "POST");
  CHECK(rec.target == "/v1/chat/completions?x=1");
  CHECK(rec.body == chat_body(false));
  CHECK(rec.header("authorization") == "Bearer sk-test");
  CHECK(rec.header("x-request-id") == "r-1");
  CHECK(rec.header("absent").empty());

  auto list = send(port, {.method = http::verb::get, .target = "/_sim/requests"}).json_body();
  CHECK(list.at(0).at("headers").at("x-request-id") == "r-1");
  CHECK(list.at(0).at("body").as_string() == chat_body(false));
  send(port, {.method = http::verb::delete_, .target = "/_sim/requests"});
  CHECK(sim.received_count() == 0);
  CHECK(sim.received().empty());
}

TEST_CASE("sim error faults: status, Retry-After, context length, content policy", "[sim]") {
  Simulator sim;
  auto port = sim.start();

  auto r = send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "status=429,retry_after=2"}}});
  CHECK(r.status == 429);
  CHECK(r.headers["retry-after"] == "2");
  CHECK(r.json_body().at("error").at("code") == "rate_limit_exceeded");

  r = send(port, {.body = R"({"model":"fault:status=500","messages":[]})"});
  CHECK(r.status == 500);
  CHECK(r.json_body().at("error").at("type") == "server_error");

  r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "status=503"}}});
  CHECK(r.status == 503);
  CHECK(r.headers[http::field::content_type] == "application/json");

  r = send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "context_length"}}});
  CHECK(r.status == 400);
  CHECK(r.json_body().at("error").at("code") == "context_length_exceeded");
  CHECK(r.json_body().at("error").at("param") == "messages");

  r = send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "content_policy"}}});
  CHECK(r.status == 400);
  CHECK(r.json_body().at("error").at("code") == "content_policy_violation");

  r = send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "explode"}}});
  CHECK(r.status == 400);
  CHECK(std::string(r.json_body().at("error").at("message").as_string()).find("explode") != std::string::npos);
  CHECK(sim.received_count() == 6);  // faulted requests are recorded too
}

TEST_CASE("sim connection faults: reset, hang, stop closes hung connections", "[sim]") {
  Simulator sim;
  auto port = sim.start();

  auto r = send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "reset"}}});
  CHECK(r.ec);
  CHECK(r.status == 0);
  CHECK(sim.received_count() == 1);

  const auto t0 = Clock::now();
  r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "hang"}}, .timeout = 200ms});
  CHECK(r.ec == beast::error::timeout);
  CHECK(r.status == 0);
  CHECK(Clock::now() - t0 < 1s);
  // The client went away while the stream request hung.
  CHECK(eventually([&] { return sim.open_connections() == 0; }));
  CHECK(sim.cancelled_streams() == 1);

  // A hung connection is closed by stop(): the client sees the end at once.
  Client c(port);
  std::thread stopper([&] {
    eventually([&] { return sim.received_count() == 3; });
    sim.stop();
  });
  r = c.send({.body = chat_body(false), .headers = {{"x-sim-fault", "hang"}}, .timeout = 2s});
  stopper.join();
  CHECK(r.ec);
  CHECK(r.ec != beast::error::timeout);
  CHECK(sim.open_connections() == 0);
}

TEST_CASE("sim stream faults: cut, stall, malformed, no_done, slow_ttft", "[sim]") {
  SimOptions o;
  o.tokens = 5;
  Simulator sim(o);
  auto port = sim.start();

  auto r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "cut=2"}}});
  CHECK(r.status == 200);
  CHECK(r.events.size() == 2);
  CHECK_FALSE(r.has_done());
  CHECK(r.ec == http::error::partial_message);

  r = send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "cut=1"}}});
  CHECK(r.status == 200);
  CHECK(r.ec == http::error::partial_message);
  CHECK(r.body.size() < std::stoul(std::string(r.headers[http::field::content_length])));

  r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "stall=3"}}, .timeout = 200ms});
  CHECK(r.events.size() == 3);
  CHECK(r.ec == beast::error::timeout);

  r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "malformed=1"}}});
  REQUIRE(r.events.size() == 6);
  CHECK(r.events[1] == "data: {not json");
  CHECK_NOTHROW(r.event_json(2));
  CHECK(r.has_done());

  r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "no_done"}}});
  CHECK_FALSE(r.ec);  // the chunked body ends cleanly...
  CHECK(r.events.size() == 5);
  CHECK_FALSE(r.has_done());  // ...without the [DONE] marker

  r = send(port, {.body = chat_body(true), .headers = {{"x-sim-fault", "slow_ttft=120"}}});
  CHECK_FALSE(r.ec);
  CHECK(r.event_ms.at(0) >= 110);
  CHECK(r.has_done());
}

TEST_CASE("sim global fault with a count applies that many times; header wins", "[sim]") {
  Simulator sim;
  auto port = sim.start();
  sim.set_fault("status=503", 1);
  CHECK(send(port, {.body = chat_body(false)}).status == 503);
  CHECK(send(port, {.body = chat_body(false)}).status == 200);

  sim.set_fault("status=500");  // persistent
  CHECK(send(port, {.body = chat_body(false), .headers = {{"x-sim-fault", "status=429"}}}).status == 429);
  CHECK(send(port, {.body = chat_body(false)}).status == 500);
  CHECK(send(port, {.body = chat_body(false)}).status == 500);
  sim.clear_fault();
  CHECK(send(port, {.body = chat_body(false)}).status == 200);
  CHECK_THROWS_AS(sim.set_fault("nonsense"), std::invalid_argument);

  // The same over the control API, as scripts use it.
  auto r = send(port, {.target = "/_sim/fault", .body = R"({"fault":"status=502","count":2})"});
  CHECK(r.status == 200);
  CHECK(send(port, {.body = chat_body(false)}).status == 502);
  CHECK(send(port, {.body = chat_body(false)}).status == 502);
  CHECK(send(port, {.body = chat_body(false)}).status == 200);
  CHECK(send(port, {.target = "/_sim/fault", .body = R"({"fault":"bad"})"}).status == 400);
  auto stats = send(port, {.method = http::verb::get, .target = "/_sim/stats"}).json_body();
  CHECK(stats.at("received") == 9);
  CHECK(stats.at("open_connections") == 1);  // this request's own connection
}

TEST_CASE("sim keeps connections alive, notices clients that leave mid-stream", "[sim]") {
  SimOptions o;
  o.tokens = 40;
  o.latency_ms = 30;
  o.token_delay_ms = 20;
  o.threads = 2;
  Simulator sim(o);
  auto port = sim.start();

  {
    Client c(port);
    // Delayed answers go through the "watch for close" read; the next request
    // on the same connection must still be served.
    for (int i = 0; i < 3; ++i) {
      auto r = c.send({.body = chat_body(false)});
      CHECK_FALSE(r.ec);
      CHECK(r.status == 200);
    }
    CHECK(sim.open_connections() == 1);
  }
  CHECK(eventually([&] { return sim.open_connections() == 0; }));
  CHECK(sim.cancelled_streams() == 0);

  Client c(port);
  auto r = c.send({.body = chat_body(true), .close_after_events = 2});
  CHECK(r.events.size() == 2);
  CHECK(eventually([&] { return sim.cancelled_streams() == 1; }, 500ms));
  CHECK(eventually([&] { return sim.open_connections() == 0; }, 500ms));
}

TEST_CASE("sim answers pipelined requests that arrive during a delayed answer", "[sim]") {
  SimOptions o;
  o.latency_ms = 30;
  Simulator sim(o);
  auto port = sim.start();

  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.socket().connect({net::ip::make_address("127.0.0.1"), port});
  const std::string body = chat_body(false);
  std::string two;
  for (int i = 0; i < 2; ++i)
    two += "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  net::write(stream.socket(), net::buffer(two));

  beast::flat_buffer buffer;
  http::response<http::string_body> first, second;
  boost::system::error_code ec1 = net::error::would_block, ec2 = net::error::would_block;
  stream.expires_after(2s);
  http::async_read(stream, buffer, first, [&](boost::system::error_code ec, std::size_t) {
    ec1 = ec;
    if (!ec) http::async_read(stream, buffer, second, [&](boost::system::error_code ec, std::size_t) { ec2 = ec; });
  });
  ioc.run();
  CHECK_FALSE(ec1);
  CHECK_FALSE(ec2);
  CHECK(first.result_int() == 200);
  CHECK(second.result_int() == 200);
  CHECK(sim.received_count() == 2);
}
