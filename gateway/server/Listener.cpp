#include "gateway/server/Listener.hpp"

#include "gateway/protocol/OpenAiWire.hpp"

#include <boost/asio/detail/socket_option.hpp>

#include <exception>
#include <iostream>
#include <stdexcept>

namespace hgw::server {

Acceptor open_acceptor(net::io_context& ioc, const std::string& host, unsigned short port,
                            bool reuse_port) {
  error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on '" + host + "': not an IP address");
  tcp::endpoint endpoint(address, port);
  Acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(Acceptor::reuse_address(true));
  if (reuse_port) {
    using reuse_port_option = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    acceptor.set_option(reuse_port_option(true));
  }
  acceptor.bind(endpoint, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  acceptor.listen(net::socket_base::max_listen_connections);
  return acceptor;
}

namespace {

// A session ends with its connection; an exception that escapes one (the
// request handler answers its own) is reported instead of dropped in silence.
void report_escaped(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::cerr << "hybridgw: a client connection ended on an exception: " << ex.what() << "\n";
  } catch (...) {
    std::cerr << "hybridgw: a client connection ended on an unknown exception\n";
  }
}

}  // namespace

awaitable<void> accept_loop(Acceptor& acceptor, std::shared_ptr<const SessionEnv> env,
                            ssl::context* tls) {
  auto ex = co_await net::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of file descriptors and the like: back off briefly, keep serving.
      Timer pause(ex, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    if (env->open_connections->fetch_add(1) >= static_cast<long>(env->limits.max_connections)) {
      env->open_connections->fetch_sub(1);
      net::co_spawn(ex,
                    reject_connection(std::move(socket), 503,
                                      protocol::error_body("too many connections (server.limits.max_connections)",
                                                           "service_unavailable", "too_many_connections")),
                    report_escaped);
      continue;
    }
    if (tls)
      net::co_spawn(ex, run_tls_session(std::move(socket), *tls, env), report_escaped);
    else
      net::co_spawn(ex, run_plain_session(std::move(socket), env), report_escaped);
  }
}

}  // namespace hgw::server
