// The pools of one io thread, one per backend of the current config. A config
// reload (new generation) starts new pools; exchanges still running keep
// their old pool alive through the shared_ptr.
#pragma once

#include "gateway/upstream/BackendPool.hpp"

#include <memory>
#include <vector>

namespace hgw::upstream {

class PoolSet {
 public:
  std::shared_ptr<BackendPool> pool(std::uint64_t generation, int backend,
                                    const config::BackendConfig& config, ssl::context* tls) {
    if (generation != generation_) {
      pools_.clear();
      generation_ = generation;
    }
    if (static_cast<std::size_t>(backend) >= pools_.size()) pools_.resize(backend + 1);
    auto& p = pools_[backend];
    if (!p) p = std::make_shared<BackendPool>(config, tls);
    return p;
  }

  // Closes idle connections past their pool_idle_ms, so that descriptors
  // return to their baseline when traffic stops (called periodically).
  void expire_idle() {
    const auto now = Clock::now();
    for (auto& p : pools_)
      if (p) p->expire(now);
  }

  // Closes every pooled connection (before the io_context they belong to goes).
  void clear() { pools_.clear(); }

 private:
  std::uint64_t generation_ = 0;
  std::vector<std::shared_ptr<BackendPool>> pools_;
};

}  // namespace hgw::upstream
