// A small keep-alive HTTP client for the simulator's loopback tests: it runs
// its io_context on the test thread with a deadline and splits SSE bodies
// into events as they arrive (shared by sim_test.cpp and
// sim_responses_test.cpp).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hgw::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Response {
  boost::system::error_code ec;  // of the read: timeout, reset, partial_message...
  unsigned status = 0;
  http::fields headers;
  std::string body;                 // whole body (chunk payloads concatenated)
  std::vector<std::string> events;  // SSE events, split at the blank line
  std::vector<double> event_ms;     // arrival of each event, ms after the request was sent
  bool has_done() const {
    for (const auto& e : events)
      if (e == "data: [DONE]") return true;
    return false;
  }
  json::value event_json(std::size_t i) const {
    auto pos = events.at(i).find("data: ");
    return json::parse(events.at(i).substr(pos + 6));
  }
  json::value json_body() const { return json::parse(body); }
};

struct Request {
  http::verb method = http::verb::post;
  std::string target = "/v1/chat/completions";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout = 3s;
  int close_after_events = -1;  // hang up once this many SSE events arrived
};

// Keep-alive client: one connection, one request at a time.
class Client {
 public:
  explicit Client(unsigned short port) : stream_(ioc_) {
    stream_.socket().connect({net::ip::make_address("127.0.0.1"), port});
  }

  Response send(const Request& rq) {
    Response r;
    http::request<http::string_body> req{rq.method, rq.target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : rq.headers) req.set(k, v);
    req.body() = rq.body;
    req.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    std::string pending;
    const auto start = Clock::now();
    auto on_chunk = [&](std::uint64_t, std::string_view data, boost::system::error_code& ec) {
      r.body += data;
      pending += data;
      for (auto pos = pending.find("\n\n"); pos != std::string::npos; pos = pending.find("\n\n")) {
        r.events.push_back(pending.substr(0, pos));
        r.event_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        pending.erase(0, pos + 2);
      }
      if (rq.close_after_events >= 0 && static_cast<int>(r.events.size()) >= rq.close_after_events)
        ec = net::error::operation_aborted;  // stops the read: we hang up below
      return data.size();
    };
    parser.on_chunk_body(on_chunk);

    stream_.expires_after(rq.timeout);
    http::async_write(stream_, req, [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
        r.ec = ec;
        return;
      }
      http::async_read(stream_, buffer_, parser,
                       [&](boost::system::error_code ec, std::size_t) { r.ec = ec; });
    });
    ioc_.restart();
    ioc_.run();
    if (parser.is_header_done()) {
      r.status = parser.get().result_int();
      r.headers = parser.get().base();
      if (!parser.chunked()) {
        r.body = parser.get().body();
        for (auto rest = std::string_view(r.body); !rest.empty();) {  // close-delimited SSE
          auto pos = rest.find("\n\n");
          if (pos == std::string_view::npos || parser.get()[http::field::content_type] != "text/event-stream") break;
          r.events.emplace_back(rest.substr(0, pos));
          rest.remove_prefix(pos + 2);
        }
      }
    }
    if (rq.close_after_events >= 0) close();
    return r;
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

inline Response send(unsigned short port, const Request& rq) { return Client(port).send(rq); }

// Polls `cond` until it holds or the deadline passes (counters update on io threads).
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds deadline = 2s) {
  for (auto end = Clock::now() + deadline; Clock::now() < end; std::this_thread::sleep_for(5ms))
    if (cond()) return true;
  return cond();
}

}  // namespace hgw::testing
