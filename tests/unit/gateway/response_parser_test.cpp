// The upstream response parser keeps only what the gateway acts on: status,
// Content-Type, Retry-After, retry-after-ms; body bytes go to the caller's
// string, plain or chunked, split anywhere.
#include <catch2/catch.hpp>

#include "gateway/upstream/ResponseParser.hpp"

using namespace hgw;

namespace {

// Feeds `wire` split at `at`, the body read into `body`.
void parse(upstream::ResponseParser& p, std::string_view wire, std::size_t at, std::string& body) {
  p.eager(true);
  p.body_to(&body);
  std::string pending;
  for (std::string_view piece : {wire.substr(0, at), wire.substr(at)}) {
    pending += piece;
    if (pending.empty() || p.is_done()) continue;
    error_code ec;
    const auto used = p.put(net::buffer(pending), ec);
    if (ec == http::error::need_more) ec = {};
    INFO("split at " << at << ": " << ec.message());
    REQUIRE_FALSE(ec);
    pending.erase(0, used);
  }
}

}  // namespace

TEST_CASE("upstream response parser: the fields it keeps and the body it hands on", "[upstream][parser]") {
  const std::string long_type = "text/event-stream; " + std::string(200, 'x') + "=1";
  const std::string chunked =
      "HTTP/1.1 429 Too Many Requests\r\n"
      "Server: sim\r\nContent-Type: " + long_type + "\r\ncontent-type: application/json\r\n"
      "Retry-After: 7\r\nRETRY-AFTER-MS: 6500\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
  for (std::size_t at = 0; at <= chunked.size(); ++at) {
    upstream::ResponseParser p;
    std::string body;
    parse(p, chunked, at, body);
    REQUIRE(p.is_done());
    CHECK(p.status() == 429);
    CHECK(p.content_type() == long_type);  // the first of repeated fields, longer than the inline room
    CHECK(p.retry_after() == "7");
    CHECK(p.retry_after_ms() == "6500");
    CHECK(body == "hello, world");
    CHECK(p.keep_alive());
  }
  const std::string plain =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
      "{\"ok\":true}";
  upstream::ResponseParser p;
  std::string body;
  parse(p, plain, 40, body);
  REQUIRE(p.is_done());
  CHECK(p.status() == 200);
  CHECK(p.content_type() == "application/json");
  CHECK(p.retry_after().empty());
  CHECK(p.retry_after_ms().empty());
  CHECK(body == "{\"ok\":true}");
  CHECK_FALSE(p.keep_alive());
}

TEST_CASE("upstream response parser: body bytes wait while no target is set", "[upstream][parser]") {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  upstream::ResponseParser p;
  p.eager(true);
  error_code ec;
  std::size_t used = p.put(net::buffer(wire), ec);  // the head; then no target for the body
  CHECK(p.is_header_done());
  if (!ec) used += p.put(net::buffer(wire.data() + used, wire.size() - used), ec);
  CHECK(ec == http::error::need_buffer);
  CHECK_FALSE(p.is_done());
  std::string body;
  p.body_to(&body);
  ec = {};
  p.put(net::buffer(wire.data() + used, wire.size() - used), ec);
  CHECK_FALSE(ec);
  CHECK(body == "abc");
  CHECK(p.is_done());
}
