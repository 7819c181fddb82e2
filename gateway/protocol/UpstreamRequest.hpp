// Builds the HTTP request one backend receives: its own path, its own model
// id, its own credentials — all from the backend's codec. The client's headers
// are dropped except a small allowlist, and the client's credentials never go
// upstream (DESIGN.md §6).
#pragma once

#include "gateway/config/Config.hpp"
#include "policies/RequestFeatures.hpp"

#include <string>
#include <string_view>

namespace hgw::protocol {

// The Host header for a backend: the port only when it is not the scheme's
// default, IPv6 literals in brackets.
std::string host_header(const config::BackendConfig& backend);

// The bytes of the request a backend receives (request line, headers, body),
// written as text in one string: it goes out in one write. `body` is what the
// backend's codec encoded (BackendCodec::encode_body).
std::string make_upstream_request(const config::BackendConfig& backend, const std::string& api_key,
                                  policy::Endpoint endpoint, std::string_view body, bool stream,
                                  const std::string& request_id, std::string_view client_accept);

// The bytes of a health check: GET <base path><health_check.path>, with the
// backend's credentials, closing the connection after the answer.
std::string make_health_request(const config::BackendConfig& backend, const std::string& api_key);

}  // namespace hgw::protocol
