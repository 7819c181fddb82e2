// Name resolution within the backend's connect_ms. Asio resolves a host name
// with getaddrinfo on a helper thread, which no cancellation interrupts: a
// slow DNS server would hold the attempt for as long as the resolver library
// waits (seconds per server and retry). So the attempt waits at most the
// timeout and moves on; a late answer is dropped.
#pragma once

#include "gateway/Asio.hpp"

#include <functional>
#include <string>

namespace hgw::upstream {

struct Resolution {
  error_code ec;  // beast::error::timeout when the time ran out
  Resolver::results_type results;
};

// Starts a resolution that calls `done` exactly once, on the caller's executor.
using StartResolve = std::function<void(std::function<void(error_code, Resolver::results_type)> done)>;

awaitable<Resolution> resolve_within(Clock::duration timeout, StartResolve start);

// The real thing: Asio's resolver for host and port.
awaitable<Resolution> resolve_within(Clock::duration timeout, const std::string& host, const std::string& port);

}  // namespace hgw::upstream
