#include "gateway/pipeline/Authentication.hpp"

#include "policies/auth/ApiKey.hpp"

namespace hgw::pipeline {

std::string_view presented_key(const server::Request& req) {
  std::string_view auth = req[http::field::authorization];
  if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "bearer ")) return auth.substr(7);
  if (auto k = req["x-api-key"]; !k.empty()) return k;
  return req["api-key"];
}

const config::TenantConfig* authenticate(const config::Config& cfg, const server::Request& request) {
  const std::string_view key = presented_key(request);
  if (key.empty()) return nullptr;
  // Every tenant is compared (constant time per digest): no early exit that
  // would tell which tenants exist.
  const config::TenantConfig* found = nullptr;
  for (const auto& t : cfg.tenants)
    if (auth::key_matches(key, t.keys)) found = &t;
  return found;
}

}  // namespace hgw::pipeline
