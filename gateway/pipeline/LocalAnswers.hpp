// Requests the gateway answers itself, without a route: GET /healthz,
// GET /v1/models (the route model names), a wrong method, an unknown path.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/server/Response.hpp"

#include <optional>
#include <string>

namespace hgw::pipeline {

// The endpoint a path serves, or nullopt for the paths not proxied.
std::optional<policy::Endpoint> proxied_endpoint(std::string_view path);

// A request target quoted in an error: printable ASCII, the rest
// percent-encoded (the JSON body stays valid UTF-8), at most 256 bytes.
std::string quoted_path(std::string_view path);

// The answer for a request the gateway serves itself, or nullopt for the ones
// to proxy (then call.endpoint and call.client are set). Synchronous.
std::optional<server::Response> answer_locally(Call& call);

}  // namespace hgw::pipeline
