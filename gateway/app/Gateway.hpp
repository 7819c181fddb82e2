// A running gateway: io threads (each with its own io_context, acceptor on a
// shared SO_REUSEPORT port, and upstream pools — no locks between them), one
// admin thread (admin listener, health checks, signals, reloads), and the
// graceful drain on SIGTERM/SIGINT. Usable in-process by tests.
#pragma once

#include "gateway/admin/AdminHandler.hpp"
#include "gateway/pipeline/ProxyHandler.hpp"
#include "gateway/pipeline/Services.hpp"
#include "gateway/server/Listener.hpp"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace hgw::app {

struct GatewayOptions {
  std::string config_path;        // for reloads ("" = reload impossible)
  bool handle_signals = true;     // SIGTERM/SIGINT drain, SIGHUP reload
  // Tests bind to port 0: these override the config's listen ports when set.
  std::optional<unsigned short> port, admin_port;
};

class Gateway {
 public:
  // Throws std::runtime_error with a readable message when it cannot start.
  Gateway(std::shared_ptr<const config::Config> config, GatewayOptions options);
  ~Gateway();

  void start();                   // returns once listening
  void wait();                    // blocks until stopped (signal or stop())
  void stop();                    // graceful drain, then stop (idempotent)

  unsigned short port() const { return port_; }
  unsigned short admin_port() const { return admin_port_; }
  pipeline::Services& services() { return *services_; }
  // Re-reads the config file. On failure the old config stays; warnings
  // (such as upstream TLS verification turned off) are reported either way,
  // to stderr as at start-up and in the result.
  admin::ReloadResult reload();

 private:
  struct Worker;
  void begin_drain();
  void watch_drain();
  void poll_drain(std::shared_ptr<Timer> timer, Clock::time_point limit);

  GatewayOptions options_;
  std::unique_ptr<pipeline::Services> services_;
  std::vector<std::unique_ptr<Worker>> workers_;
  net::io_context admin_ioc_{1};
  std::unique_ptr<Acceptor> admin_acceptor_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::shared_ptr<server::SessionEnv> admin_env_;
  std::atomic<long> admin_connections_{0};
  std::thread admin_thread_;
  unsigned short port_ = 0, admin_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace hgw::app
