// The keep-alive connections of one worker thread to one backend: bounded,
// with idle expiry. Each io thread has its own pools, so no locking.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/upstream/UpstreamConnection.hpp"

#include <deque>
#include <memory>

namespace hgw::upstream {

class BackendPool {
 public:
  BackendPool(const config::BackendConfig& backend, ssl::context* tls_context)
      : backend_(backend), tls_context_(tls_context) {}

  // A live idle connection, or nullptr when a new one must be opened.
  std::unique_ptr<UpstreamConnection> take_idle();
  std::unique_ptr<UpstreamConnection> make(Executor ex) {
    return std::make_unique<UpstreamConnection>(ex, tls_context_);
  }
  // Gives back a connection whose last response was read completely.
  void give_back(std::unique_ptr<UpstreamConnection> conn);

  const config::BackendConfig& backend() const { return backend_; }
  std::size_t idle_count() const { return idle_.size(); }
  // Closes connections idle for longer than pool_idle_ms.
  void expire(Clock::time_point now);

 private:

  config::BackendConfig backend_;  // a copy: the pool may outlive a config reload
  ssl::context* tls_context_;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;  // most recent at the back
};

}  // namespace hgw::upstream
