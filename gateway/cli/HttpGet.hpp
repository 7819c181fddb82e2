// A small blocking HTTP GET for the command line (cost-report against a
// running gateway's admin listener). Not used on the data path.
#pragma once

#include <string>

namespace hgw::cli {

struct HttpGetResult {
  unsigned status = 0;
  std::string body;
  std::string error;  // set when no answer was received
};

// base_url: http://host:port (https is not supported: the admin listener is
// plain HTTP on a private address).
HttpGetResult http_get(const std::string& base_url, const std::string& path, const std::string& bearer);

}  // namespace hgw::cli
