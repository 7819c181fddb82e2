#include "gateway/app/Gateway.hpp"

#include "gateway/config/ConfigLoader.hpp"
#include "gateway/state/StateStore.hpp"
#include "gateway/upstream/HealthChecker.hpp"

#include <boost/asio/signal_set.hpp>

#include <functional>
#include <iostream>
#include <stdexcept>

namespace hgw::app {

// Declaration order matters: the io_context goes before the acceptor that
// uses it and after the handler that its pending coroutines point to.
struct Gateway::Worker {
  std::unique_ptr<pipeline::ProxyHandler> handler;
  std::shared_ptr<server::SessionEnv> env;
  // One thread runs each io_context and every socket of a worker is used only
  // from it (other threads post to it, e.g. the drain, cross-thread answers),
  // so Asio need not lock each socket's reactor state: UNSAFE_IO keeps the
  // scheduler's and the timers' locks and drops the per-descriptor one.
  net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::unique_ptr<Acceptor> acceptor;
  std::thread thread;
  // Pooled upstream sockets belong to ioc: close them before it is destroyed
  // (the handler itself must outlive ioc's pending coroutines).
  ~Worker() {
    if (handler) handler->close_upstreams();
  }
};

namespace {

// Waits for the next signal, again as long as on_signal says so. Only the
// pending wait holds the signal set and the callback: nothing is left behind
// after the last signal (a handler that referred to itself leaked at every
// stop; scripts/sanitize.sh found it).
void wait_for_signals(std::shared_ptr<net::signal_set> signals, std::function<bool(int)> on_signal) {
  auto& set = *signals;
  set.async_wait([signals = std::move(signals), on_signal = std::move(on_signal)](error_code ec, int sig) mutable {
    if (ec) return;
    if (on_signal(sig)) wait_for_signals(std::move(signals), std::move(on_signal));
  });
}

// Idle pooled upstream connections are closed even when no request comes to
// notice them (file descriptors return to their baseline after load).
awaitable<void> sweep_idle_upstreams(pipeline::ProxyHandler& handler) {
  Timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) co_return;
    handler.expire_idle_upstreams();
  }
}

std::unique_ptr<state::StateStore> open_store(const config::StateConfig& cfg) {
  std::string error;
  auto store = state::open_state_store(cfg, &error);
  if (!store) throw std::runtime_error("state store (" + cfg.store + "): " + error);
  return store;
}
}  // namespace

Gateway::Gateway(std::shared_ptr<const config::Config> config, GatewayOptions options)
    : options_(std::move(options)) {
  services_ = std::make_unique<pipeline::Services>(config, open_store(config->state));
}

Gateway::~Gateway() {
  stop();
  wait();
}

void Gateway::start() {
  auto snap = services_->snapshot();
  const auto& cfg = snap->config();
  unsigned threads = cfg.server.threads ? cfg.server.threads : std::max(1u, std::thread::hardware_concurrency());
  unsigned short port = options_.port.value_or(cfg.server.port);
  for (unsigned i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->acceptor = std::make_unique<Acceptor>(server::open_acceptor(w->ioc, cfg.server.host, port, true));
    if (port == 0) port = w->acceptor->local_endpoint().port();  // the others join the same port
    w->handler = std::make_unique<pipeline::ProxyHandler>(*services_);
    w->env = std::make_shared<server::SessionEnv>();
    w->env->limits = cfg.server.limits;
    w->env->handler = w->handler.get();
    w->env->draining = &services_->draining;
    w->env->open_connections = &services_->open_connections;
    workers_.push_back(std::move(w));
  }
  port_ = port;

  admin_handler_ = std::make_unique<admin::AdminHandler>(*services_, [this] { return reload(); });
  admin_env_ = std::make_shared<server::SessionEnv>();
  admin_env_->limits = config::Limits{};
  admin_env_->handler = admin_handler_.get();
  admin_env_->draining = &stopped_;
  admin_env_->open_connections = &admin_connections_;
  admin_acceptor_ = std::make_unique<Acceptor>(
      server::open_acceptor(admin_ioc_, cfg.admin.host, options_.admin_port.value_or(cfg.admin.port), false));
  admin_port_ = admin_acceptor_->local_endpoint().port();

  for (auto& w : workers_) {
    net::co_spawn(w->ioc, server::accept_loop(*w->acceptor, w->env, snap->server_tls()), net::detached);
    net::co_spawn(w->ioc, sweep_idle_upstreams(*w->handler), net::detached);
    w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
  }
  net::co_spawn(admin_ioc_, server::accept_loop(*admin_acceptor_, admin_env_, nullptr), net::detached);
  upstream::start_health_checks(admin_ioc_.get_executor(), *services_);
  if (options_.handle_signals) {
    auto signals = std::make_shared<net::signal_set>(admin_ioc_, SIGINT, SIGTERM);
    signals->add(SIGHUP);
    signals->add(SIGUSR1);
    wait_for_signals(std::move(signals), [this](int sig) {
      if (sig == SIGUSR1) {  // log rotation: the access log starts a new file at its path
        const std::string error = services_->access_log().reopen();
        std::cerr << (error.empty() ? "hybridgw: access log reopened\n" : "hybridgw: " + error + "\n");
        return true;
      }
      if (sig == SIGHUP) {
        const auto result = reload();
        std::cerr << (result.errors.empty() ? "hybridgw: configuration reloaded\n"
                                            : "hybridgw: reload failed, keeping the old configuration:\n" +
                                                  result.errors);
        return true;
      }
      std::cerr << "hybridgw: signal " << sig << ": draining in-flight requests\n";
      begin_drain();
      return false;
    });
  }
  admin_thread_ = std::thread([this] { admin_ioc_.run(); });
}

admin::ReloadResult Gateway::reload() {
  admin::ReloadResult out;
  if (options_.config_path.empty()) {
    out.errors = "no config file to reload from\n";
    return out;
  }
  auto result = config::load_config_file(options_.config_path);
  out.warnings = result.warnings;
  // As at start-up: a warning (TLS verification off, a tenant without keys) is
  // said every time a config is read.
  for (const auto& w : out.warnings) std::cerr << "hybridgw: warning: " << w << "\n";
  auto& counter = services_->metrics().config_reloads_total;
  if (!result.ok()) {
    for (const auto& e : result.errors) out.errors += e.to_string() + "\n";
    counter.Add({{"result", "failure"}}).Increment();
    return out;
  }
  try {
    services_->install(result.config);
  } catch (const std::exception& e) {
    counter.Add({{"result", "failure"}}).Increment();
    out.errors = std::string(e.what()) + "\n";
    return out;
  }
  counter.Add({{"result", "success"}}).Increment();
  upstream::start_health_checks(admin_ioc_.get_executor(), *services_);
  // A reload is the other moment to rotate the access log (after the lines so far are written).
  if (const std::string error = services_->access_log().reopen(); !error.empty())
    std::cerr << "hybridgw: " << error << "\n";
  return out;
}

void Gateway::begin_drain() {
  if (stopping_.exchange(true)) return;
  services_->draining = true;
  services_->shadows().close();  // shadow traffic is abandoned at once, never waited for
  // Stop accepting at once; sessions finish their current request and close.
  for (auto& w : workers_)
    net::post(w->ioc, [acc = w->acceptor.get()] {
      error_code ignored;
      acc->close(ignored);
    });
  net::post(admin_ioc_, [this] { watch_drain(); });
}

// Waits (on the admin thread) until no request is in flight or the drain
// timeout passed, then stops everything.
void Gateway::watch_drain() {
  const auto limit = Clock::now() + std::chrono::milliseconds(services_->snapshot()->config().server.limits.drain_timeout_ms);
  poll_drain(std::make_shared<Timer>(admin_ioc_), limit);
}

// Only the pending wait holds the timer: no handler refers to itself, so
// nothing is left behind once the drain ends (a self-referencing handler
// leaked at every stop; scripts/sanitize.sh found it).
void Gateway::poll_drain(std::shared_ptr<Timer> timer, Clock::time_point limit) {
  const bool idle = services_->inflight_requests.load() == 0 && services_->shadows().active() == 0;
  if (idle || Clock::now() >= limit) {
    stopped_ = true;
    for (auto& w : workers_) w->ioc.stop();
    admin_ioc_.stop();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait([this, timer, limit](error_code) { poll_drain(timer, limit); });
}

void Gateway::stop() {
  if (workers_.empty() && !admin_thread_.joinable()) return;
  begin_drain();
}

void Gateway::wait() {
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  if (admin_thread_.joinable()) admin_thread_.join();
  services_->accounting().flush();
  services_->access_log().flush();
}

}  // namespace hgw::app
