// The admin listener (DESIGN.md §4): /metrics, /healthz, /readyz, and the
// /admin/* endpoints (state, reload, explain, cost-report). Endpoints that
// reveal or change state require the admin key when admin.api_key_env is set.
#pragma once

#include "gateway/pipeline/Services.hpp"
#include "gateway/server/ClientChannel.hpp"

#include <functional>
#include <string>

namespace hgw::admin {

class AdminHandler final : public server::RequestHandler {
 public:
  // reload: re-reads the config file; returns "" on success or the errors.
  AdminHandler(pipeline::Services& services, std::function<std::string()> reload)
      : services_(services), reload_(std::move(reload)) {}

  awaitable<void> handle(server::Request& request, Clock::time_point received_at,
                         server::ClientChannel& channel) override;

 private:
  server::Response respond(const server::Request& request);

  pipeline::Services& services_;
  std::function<std::string()> reload_;
};

}  // namespace hgw::admin
