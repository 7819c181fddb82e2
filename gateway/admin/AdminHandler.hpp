// The admin listener (DESIGN.md §4): /metrics, /healthz, /readyz, and the
// /admin/* endpoints (state, reload, explain, cost-report). Endpoints that
// reveal or change state require the admin key when admin.api_key_env is set.
#pragma once

#include "gateway/pipeline/Services.hpp"
#include "gateway/server/ClientChannel.hpp"

#include <functional>
#include <string>
#include <vector>

namespace hgw::admin {

struct ReloadResult {
  std::string errors;                 // "" on success (then the new config is active)
  std::vector<std::string> warnings;  // of the config read, applied or not
};

class AdminHandler final : public server::RequestHandler {
 public:
  // reload: re-reads the config file.
  AdminHandler(pipeline::Services& services, std::function<ReloadResult()> reload)
      : services_(services), reload_(std::move(reload)) {}

  awaitable<void> handle(server::Request& request, Clock::time_point received_at,
                         server::ClientChannel& channel) override;

 private:
  server::Response respond(const server::Request& request);

  pipeline::Services& services_;
  std::function<ReloadResult()> reload_;
};

}  // namespace hgw::admin
