#include "gateway/config/Config.hpp"

#include <algorithm>

namespace hgw::config {

const BackendConfig* Config::find_backend(std::string_view name) const {
  for (const auto& b : backends)
    if (b.name == name) return &b;
  return nullptr;
}

int Config::backend_index(std::string_view name) const {
  for (size_t i = 0; i < backends.size(); ++i)
    if (backends[i].name == name) return static_cast<int>(i);
  return -1;
}

const RouteConfig* Config::find_route_by_model(std::string_view model) const {
  for (const auto& r : routes)
    if (std::find(r.models.begin(), r.models.end(), model) != r.models.end()) return &r;
  return nullptr;
}

const TenantConfig* Config::find_tenant(std::string_view name) const {
  for (const auto& t : tenants)
    if (t.name == name) return &t;
  return nullptr;
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::openai: return "openai";
    case Protocol::anthropic: return "anthropic";
    case Protocol::azure_openai: return "azure-openai";
  }
  return "openai";
}

const char* to_string(Locality l) { return l == Locality::local ? "local" : "remote"; }

}  // namespace hgw::config
