// What a request handler may do with the client connection: answer once, or
// stream a chunked body, and learn when the client went away. Implemented by
// the Session for plain and TLS connections alike.
#pragma once

#include "gateway/Asio.hpp"
#include "gateway/server/Response.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace hgw::server {

using Request = http::request<http::string_body>;

class ClientChannel {
 public:
  virtual ~ClientChannel() = default;

  // Each returns false when the client is gone (the handler should stop).
  virtual awaitable<bool> send(Response response) = 0;
  virtual awaitable<bool> start_stream(Response head) = 0;  // chunked; head.body unused
  virtual awaitable<bool> send_chunk(std::string_view data) = 0;                 // one write
  virtual awaitable<bool> finish_stream() = 0;

  // What the current request's answer has reached: a response or a stream
  // head went out (answered), a stream is open and not finished (streaming).
  virtual bool answered() const = 0;
  virtual bool streaming() const = 0;

  // Calls on_close if the client closes its side while `active` is true: used
  // to cancel the upstream call of a client that stopped waiting. A plain
  // callback on the socket's read readiness, so that watching costs one queued
  // wait operation per request. Set active to false before anything on_close
  // refers to goes away.
  struct CloseWatch {
    bool active = true;
    std::function<void()> on_close;
  };
  virtual std::shared_ptr<CloseWatch> watch_close(std::function<void()> on_close) = 0;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual awaitable<void> handle(Request& request, Clock::time_point received_at,
                                 ClientChannel& channel) = 0;
};

}  // namespace hgw::server
