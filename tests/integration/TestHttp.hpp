// A small blocking HTTP/1.1 client for the loopback tests: every call has a
// deadline, so a test that would hang fails instead.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hgw::test {

struct HttpResult {
  int status = 0;                               // 0: no response (see error)
  std::map<std::string, std::string> headers;   // lowercase names
  std::string body;
  std::string error;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

HttpResult http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const Headers& headers = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
inline HttpResult post_json(unsigned short port, const std::string& target, const std::string& body,
                            const Headers& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return http_request(port, "POST", target, body, headers, timeout);
}

// One kept-alive client connection: every request goes over the same socket
// (a test can tell a reused connection from a new one by local_port()).
class HttpConnection {
 public:
  explicit HttpConnection(unsigned short port);
  ~HttpConnection();
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = {},
                     const Headers& headers = {}, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  unsigned short local_port() const;
  bool open() const;
  // Half-closes (sends FIN, as a client that is done) and waits up to
  // `timeout` for the server to close its side: true when it did.
  bool server_closes_after_half_close(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A streamed response: each body piece as it arrived, with its arrival time.
struct StreamResult {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> pieces;
  std::string body;          // all pieces joined
  bool complete = false;     // the chunked body ended properly
  std::string error;
  std::chrono::steady_clock::time_point sent_at;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// on_piece may return false to disconnect right there (client goes away).
StreamResult http_stream(unsigned short port, const std::string& target, const std::string& body,
                         const Headers& headers = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         const std::function<bool(const std::string&)>& on_piece = {});

// Sends raw bytes, then reads whatever comes back until the peer closes or
// the timeout passes. For malformed-request tests.
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5),
                         bool half_close = false,
                         std::chrono::milliseconds half_close_after = std::chrono::milliseconds(0));

// The "data:" payloads of an SSE body, and the event names ("" for none).
struct SseItem {
  std::string event, data;
};
std::vector<SseItem> parse_sse(const std::string& body);

}  // namespace hgw::test
