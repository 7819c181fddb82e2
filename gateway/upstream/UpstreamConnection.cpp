#include "gateway/upstream/UpstreamConnection.hpp"

#include "gateway/upstream/BoundedResolve.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

namespace hgw::upstream {

UpstreamConnection::UpstreamConnection(Executor ex, ssl::context* tls_context) {
  if (tls_context)
    tls_.emplace(ex, *tls_context);
  else
    plain_.emplace(ex);
}

awaitable<error_code> UpstreamConnection::connect(const std::string& host, const std::string& port,
                                                  Clock::duration timeout, bool* timed_out_in_tls) {
  // connect_ms bounds the name resolution, the connect and the handshake together.
  const auto until = Clock::now() + timeout;
  auto resolved = co_await resolve_within(timeout, host, port);
  if (resolved.ec) co_return resolved.ec;
  auto& stream = tcp();
  stream.expires_at(until);
  auto [cec, endpoint] = co_await stream.async_connect(resolved.results, use_nothrow);
  if (cec) co_return cec;
  set_nodelay(stream.socket());
  if (tls_) {
    // SNI, so that virtual-hosted APIs present the right certificate.
    if (!SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str()))
      co_return error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
    tls_->set_verify_callback(ssl::host_name_verification(host));
    auto [hec] = co_await tls_->async_handshake(ssl::stream_base::client, use_nothrow);
    if (hec) {
      if (timed_out_in_tls) *timed_out_in_tls = true;
      co_return hec;
    }
  }
  stream.expires_never();
  co_return error_code{};
}

bool UpstreamConnection::looks_alive(Clock::time_point now) {
  auto& sock = tcp().socket();
  if (!sock.is_open()) return false;
  if (tls_) {
    // Bytes pending in the TLS layer of an idle connection are unexpected.
    if (SSL_pending(tls_->native_handle()) > 0) return false;
  }
  if (buffer_.size() > 0) return false;
  if (now - idle_since < std::chrono::seconds(1)) return true;
  char probe;
  const ssize_t n = ::recv(sock.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;                                  // peer closed
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;  // nothing to read: alive
  // For TLS, a pending record may be a close_notify or session ticket; a
  // session ticket is harmless, so keep TLS connections with data pending.
  return tls_.has_value();
}

void UpstreamConnection::close() {
  error_code ignored;
  auto& sock = tcp().socket();
  if (sock.is_open()) {
    sock.shutdown(Socket::shutdown_both, ignored);
    sock.close(ignored);
  }
}

}  // namespace hgw::upstream
