// Accepts connections on one address and runs a session for each (plain or
// TLS), enforcing max_connections: over the limit a connection gets an
// immediate 503 and is closed.
#pragma once

#include "gateway/server/Session.hpp"

#include <memory>
#include <string>

namespace hgw::server {

// Opens an acceptor. reuse_port lets one acceptor per io thread share the
// port (the kernel spreads connections). Throws on failure (start-up only).
Acceptor open_acceptor(net::io_context& ioc, const std::string& host, unsigned short port,
                            bool reuse_port);

awaitable<void> accept_loop(Acceptor& acceptor, std::shared_ptr<const SessionEnv> env,
                            ssl::context* tls);

}  // namespace hgw::server
