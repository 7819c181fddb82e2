#include "gateway/pipeline/Authentication.hpp"

#include <optional>

namespace hgw::pipeline {

std::string_view presented_key(const server::Request& req) {
  // One pass over the fields, matched by their enum where Beast knows the name:
  // req[name] walks a tree comparing names case-insensitively (~500
  // instructions for Authorization alone, on every request). The first field
  // of a name counts. A bearer token wins wherever it stands; a non-bearer
  // Authorization falls through to x-api-key (when not empty), then api-key.
  bool seen_authorization = false;
  std::optional<std::string_view> x_api_key, api_key;
  for (const auto& f : req) {
    if (f.name() == http::field::authorization) {
      const std::string_view auth = f.value();
      if (!seen_authorization && auth.size() > 7 && beast::iequals(auth.substr(0, 7), "bearer "))
        return auth.substr(7);
      seen_authorization = true;
    } else if (f.name() == http::field::unknown) {
      const std::string_view name = f.name_string();
      if (!x_api_key && beast::iequals(name, "x-api-key"))
        x_api_key = f.value();
      else if (!api_key && beast::iequals(name, "api-key"))
        api_key = f.value();
    }
  }
  if (x_api_key && !x_api_key->empty()) return *x_api_key;
  return api_key.value_or(std::string_view{});
}

int authenticate(const Snapshot& snapshot, const server::Request& request) {
  return snapshot.tenant_keys().find(presented_key(request));
}

}  // namespace hgw::pipeline
