#include "gateway/config/AddressParsing.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hgw::config {

namespace {

bool parse_port(std::string_view s, unsigned& port) {
  if (s.empty() || s.size() > 5) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  return ec == std::errc() && end == s.data() + s.size() && port >= 1 && port <= 65535;
}

bool valid_hostname(std::string_view h) {
  return !h.empty() && std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

bool valid_ipv6_literal(std::string_view h) {
  return h.find(':') != std::string_view::npos && std::all_of(h.begin(), h.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%';
  });
}

// "host", "host:port", "[v6]" or "[v6]:port"; port_text empty when absent.
bool split_host_port(std::string_view text, std::string& host, std::string_view& port_text,
                     std::string& error) {
  port_text = {};
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' after the IPv6 address";
      return false;
    }
    host = std::string(text.substr(1, close - 1));
    if (!valid_ipv6_literal(host)) {
      error = "'" + host + "' is not an IPv6 address";
      return false;
    }
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "expected ':port' after ']'";
        return false;
      }
      port_text = rest.substr(1);
      if (port_text.empty()) port_text = "x";  // "[::1]:" -> bad port
    }
    return true;
  }
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') != colon) {
    error = "IPv6 addresses need brackets, e.g. [::1]:8080";
    return false;
  }
  host = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) {
    port_text = text.substr(colon + 1);
    if (port_text.empty()) port_text = "x";
  }
  if (!valid_hostname(host)) {
    error = host.empty() ? "missing host" : "'" + host + "' is not a valid host name or address";
    return false;
  }
  return true;
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  std::string host;
  std::string_view port_text;
  const std::string hint = "; expected host:port, e.g. 0.0.0.0:8080 or [::1]:8080";
  if (!split_host_port(text, host, port_text, error)) {
    error = "bad listen address '" + std::string(text) + "': " + error + hint;
    return std::nullopt;
  }
  unsigned port = 0;
  if (port_text.empty()) {
    error = "bad listen address '" + std::string(text) + "': missing port" + hint;
    return std::nullopt;
  }
  if (!parse_port(port_text, port)) {
    error = "bad listen address '" + std::string(text) + "': port must be a number from 1 to 65535";
    return std::nullopt;
  }
  return ListenAddress{host, static_cast<unsigned short>(port)};
}

std::optional<BackendUrl> parse_backend_url(std::string_view text, std::string& error) {
  BackendUrl url;
  const auto bad = [&](const std::string& why) {
    error = "bad url '" + std::string(text) + "': " + why;
    return std::nullopt;
  };
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return bad("must start with http:// or https://");
  std::string scheme(text.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "https")
    url.https = true;
  else if (scheme != "http")
    return bad("must start with http:// or https://");

  std::string_view rest = text.substr(sep + 3);
  const auto path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos)
    return bad("credentials in the url are not allowed; put the key's environment variable in api_key_env");
  if (authority.empty()) return bad("missing host");
  std::string why;
  std::string_view port_text;
  if (!split_host_port(authority, url.host, port_text, why)) return bad(why);
  unsigned port = url.https ? 443 : 80;
  if (!port_text.empty() && !parse_port(port_text, port)) return bad("port must be a number from 1 to 65535");
  url.port = std::to_string(port);
  if (path.find_first_of("?#") != std::string_view::npos)
    return bad("a query or fragment is not allowed (azure-openai takes api_version separately)");
  while (path.ends_with('/')) path.remove_suffix(1);
  url.base_path = std::string(path);
  return url;
}

}  // namespace hgw::config
