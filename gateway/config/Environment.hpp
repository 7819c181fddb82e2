// Secrets never live in the YAML: the config names environment variables
// (api_key_env, admin.api_key_env, state.redis_password_env) and this reads them.
#pragma once

#include <cstdlib>
#include <string>

namespace hgw::config {

// The value of the variable `name`; empty when the name is empty or the
// variable is unset.
inline std::string env_value(const std::string& name) {
  if (name.empty()) return {};
  const char* v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

}  // namespace hgw::config
