// Eval's HTTP client to the in-process gateway on 127.0.0.1: one keep-alive
// connection, one request at a time, errors as values. Each eval worker owns
// one, so the number of workers bounds the requests in flight.
#pragma once

#include "gateway/Asio.hpp"
#include "gateway/eval/GatewayReply.hpp"

#include <chrono>
#include <string>

namespace hgw::eval {

class GatewayClient {
 public:
  GatewayClient(Executor ex, unsigned short port, std::chrono::milliseconds timeout);

  // POST a JSON body with `Authorization: Bearer api_key` (none when empty).
  awaitable<GatewayReply> post_json(std::string target, std::string body, std::string api_key);

  // Closes the connection: an operation in flight completes with an error
  // (used to stop at once on Ctrl-C).
  void close();

 private:
  awaitable<error_code> exchange(const http::request<http::string_body>& req,
                                 http::response<http::string_body>& res, bool& got_bytes);

  TcpStream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  unsigned short port_;
  std::chrono::milliseconds timeout_;
};

}  // namespace hgw::eval
