#include "gateway/config/ConfigError.hpp"

namespace hgw::config {

std::string ConfigError::to_string() const {
  std::string out = file;
  out += ':' + std::to_string(line) + ':' + std::to_string(column) + ": ";
  out += path.empty() ? "$" : path;
  out += ": ";
  out += message;
  return out;
}

}  // namespace hgw::config
