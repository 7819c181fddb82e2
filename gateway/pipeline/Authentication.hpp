// Who is calling: the API key the client presented, matched against the
// tenants' key digests (policies/auth/ApiKey). With no tenants configured the
// gateway is open.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/server/ClientChannel.hpp"

#include <string_view>

namespace hgw::pipeline {

// OpenAI SDKs send "Authorization: Bearer", Anthropic's x-api-key, Azure's api-key.
std::string_view presented_key(const server::Request& request);

// The tenant whose key was presented, or nullptr.
const config::TenantConfig* authenticate(const config::Config& config, const server::Request& request);

}  // namespace hgw::pipeline
