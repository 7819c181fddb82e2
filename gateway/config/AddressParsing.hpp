// Listen addresses ("host:port", "[::1]:8080") and backend URLs
// ("https://api.openai.com/v1"), checked strictly at load so the data plane
// never has to cope with a malformed one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hgw::config {

struct ListenAddress {
  std::string host;  // IPv6 without brackets
  unsigned short port = 0;
};

// On failure returns nullopt and sets `error` to a sentence a person can act on.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

struct BackendUrl {
  bool https = false;
  std::string host;       // IPv6 without brackets
  std::string port;       // explicit, or 80 / 443 by scheme
  std::string base_path;  // "" or "/v1" (never a trailing slash)
};

std::optional<BackendUrl> parse_backend_url(std::string_view text, std::string& error);

}  // namespace hgw::config
