#include "gateway/shadow/ShadowTap.hpp"

#include <random>

namespace hgw::shadow {

namespace {
double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}
}  // namespace

void ShadowTap::draw(const config::RouteConfig& route) {
  mirrored_ = judged_ = false;
  if (!route.shadow) return;
  mirrored_ = uniform01() < route.shadow->sample;
  judged_ = mirrored_ && route.judge && uniform01() < route.judge->sample;
}

void ShadowTap::keep(std::string_view data) {
  if (overflow_) return;
  if (bytes_.size() + data.size() > kMaxKeptBytes) {
    overflow_ = true;
    bytes_.clear();
    bytes_.shrink_to_fit();
    return;
  }
  bytes_.append(data);
}

// Not coroutines: each returns the client channel's own operation, so that
// forwarding adds no coroutine frame to a write.
awaitable<bool> ShadowTap::send(server::Response response) {
  if (judged_ && response.status == 200) {
    answered_ = true;
    keep(response.body);
  }
  return client_.send(std::move(response));
}

awaitable<bool> ShadowTap::start_stream(server::Response head) {
  if (judged_ && head.status == 200) streamed_ = true;
  return client_.start_stream(std::move(head));
}

awaitable<bool> ShadowTap::send_chunk(std::string_view data) {
  if (streamed_) keep(data);
  return client_.send_chunk(data);
}

}  // namespace hgw::shadow
