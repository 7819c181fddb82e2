#include "gateway/pipeline/Services.hpp"

#include <stdexcept>

namespace hgw::pipeline {

Services::Services(std::shared_ptr<const config::Config> config,
                   std::unique_ptr<state::StateStore> store)
    : accounting_(std::move(store)) {
  access_log_ = std::make_unique<obs::AccessLog>(config->server.access_log.path);
  if (!access_log_->error().empty()) throw std::runtime_error(access_log_->error());
  install(std::move(config));
}

Services::~Services() = default;

void Services::install(std::shared_ptr<const config::Config> config) {
  std::lock_guard lock(install_mutex_);
  auto next = std::make_shared<Snapshot>(std::move(config), metrics_, ++generation_);
  snapshot_.store(std::move(next));
}

}  // namespace hgw::pipeline
