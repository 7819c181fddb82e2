#include "gateway/upstream/BackendPool.hpp"

namespace hgw::upstream {

void BackendPool::expire(Clock::time_point now) {
  const auto max_idle = std::chrono::milliseconds(backend_.pool_idle_ms);
  while (!idle_.empty() && now - idle_.front()->idle_since > max_idle) {
    idle_.front()->close();
    idle_.pop_front();
  }
}

std::unique_ptr<UpstreamConnection> BackendPool::take_idle() {
  const auto now = Clock::now();
  expire(now);
  // Most recently used first: it is the least likely to have been closed by
  // the peer's own keep-alive timeout.
  while (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    if (conn->looks_alive(now)) return conn;
    conn->close();
  }
  return nullptr;
}

void BackendPool::give_back(std::unique_ptr<UpstreamConnection> conn) {
  const auto now = Clock::now();
  expire(now);
  if (backend_.max_idle_connections == 0) {  // pooling turned off
    conn->close();
    return;
  }
  if (idle_.size() >= backend_.max_idle_connections) {
    idle_.front()->close();
    idle_.pop_front();
  }
  conn->idle_since = now;
  idle_.push_back(std::move(conn));
}

}  // namespace hgw::upstream
