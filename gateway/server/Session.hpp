// One client connection (Beast's async server examples, written with C++20
// coroutines): read each request within the configured limits, hand it to the
// RequestHandler, keep the connection alive between requests up to the idle
// timeout. Oversized, slow or malformed requests are answered here, before any
// handler runs.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/server/ClientChannel.hpp"

#include <atomic>
#include <functional>
#include <memory>

namespace hgw::server {

// Shared by the sessions of one listener.
struct SessionEnv {
  config::Limits limits;
  RequestHandler* handler = nullptr;
  std::atomic<bool>* draining = nullptr;       // stop keep-alive after the current request
  std::atomic<long>* open_connections = nullptr;
};

// Runs a plain-TCP session to completion.
awaitable<void> run_plain_session(Socket socket, std::shared_ptr<const SessionEnv> env);
// Runs a TLS session (handshake first, within the header timeout).
awaitable<void> run_tls_session(Socket socket, ssl::context& tls,
                                std::shared_ptr<const SessionEnv> env);

// Sends a complete small response on a raw socket and closes it (used when the
// connection limit is reached, before a session exists).
awaitable<void> reject_connection(Socket socket, unsigned status, std::string body);

}  // namespace hgw::server
