// Who is calling: the API key the client presented, matched against the
// tenants' key digests (policies/auth/ApiKey). With no tenants configured the
// gateway is open.
#pragma once

#include "gateway/pipeline/Snapshot.hpp"
#include "gateway/server/ClientChannel.hpp"

#include <string_view>

namespace hgw::pipeline {

// OpenAI SDKs send "Authorization: Bearer", Anthropic's x-api-key, Azure's api-key.
std::string_view presented_key(const server::Request& request);

// The index (in config().tenants) of the tenant whose key was presented, or -1.
int authenticate(const Snapshot& snapshot, const server::Request& request);

}  // namespace hgw::pipeline
