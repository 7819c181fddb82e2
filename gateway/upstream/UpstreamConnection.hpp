// One keep-alive connection to a backend, plain TCP or TLS. Owned by a
// BackendPool while idle and by one Exchange while in use.
#pragma once

#include "gateway/Asio.hpp"

#include <memory>
#include <optional>
#include <string>

namespace hgw::upstream {

class UpstreamConnection {
 public:
  using TlsStream = beast::ssl_stream<TcpStream>;

  UpstreamConnection(Executor ex, ssl::context* tls_context);

  bool is_tls() const { return tls_.has_value(); }
  TcpStream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }
  beast::flat_buffer& buffer() { return buffer_; }

  // Connects (and handshakes, verifying the peer and host name) within timeout.
  // Returns an error code; on timeout it is beast::error::timeout.
  awaitable<error_code> connect(const std::string& host, const std::string& port,
                                Clock::duration timeout, bool* timed_out_in_tls);

  // A pooled connection the peer has closed (or that holds unexpected bytes)
  // must not carry a request. The peer is probed (one system call) only when
  // the connection has been idle for a while: one used a moment ago is closed
  // only in a race, and an exchange that finds its pooled connection closed
  // before any answer byte retries on a fresh one anyway.
  bool looks_alive(Clock::time_point now);

  void close();

  Clock::time_point idle_since{};
  int requests_served = 0;

 private:
  std::optional<TcpStream> plain_;
  std::optional<TlsStream> tls_;
  beast::flat_buffer buffer_;
};

}  // namespace hgw::upstream
