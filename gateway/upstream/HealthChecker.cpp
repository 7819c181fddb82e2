#include "gateway/upstream/HealthChecker.hpp"

#include "gateway/protocol/UpstreamRequest.hpp"
#include "gateway/upstream/Exchange.hpp"

namespace hgw::upstream {

awaitable<void> run_health_checks(pipeline::Services& services, int b, std::uint64_t generation) {
  auto ex = co_await net::this_coro::executor;
  Timer timer(ex);
  for (;;) {
    auto snap = services.snapshot();
    if (snap->generation() != generation || services.draining.load()) co_return;  // a reload took over
    const auto& backend = snap->config().backends[b];
    const auto& hc = backend.health_check;
    auto& state = snap->backend(b);

    // A fresh pool per check: a check must prove that a new connection works.
    auto pool = std::make_shared<BackendPool>(backend, state.tls.get());
    const auto deadline = Clock::now() + std::chrono::milliseconds(hc.timeout_ms);
    Exchange exchange(pool, deadline);
    const std::string request = protocol::make_health_request(backend, state.api_key);
    bool ok = false;
    if (co_await exchange.send(request) == TransportFailure::none) {
      std::string body;
      const bool read = co_await exchange.read_all(body, 1024 * 1024) == TransportFailure::none;
      ok = read && exchange.status() >= 200 && exchange.status() < 300;
    }
    state.health.on_check(ok);
    snap->metrics().healthy(b).Set(state.health.gauge_value());

    timer.expires_after(std::chrono::milliseconds(hc.interval_ms));
    snap.reset();  // do not hold an old config across the wait
    co_await timer.async_wait(use_nothrow);
  }
}

void start_health_checks(Executor ex, pipeline::Services& services) {
  auto snap = services.snapshot();
  for (std::size_t i = 0; i < snap->backend_count(); ++i)
    if (snap->config().backends[i].health_check.enabled)
      net::co_spawn(ex, run_health_checks(services, static_cast<int>(i), snap->generation()), net::detached);
}

}  // namespace hgw::upstream
