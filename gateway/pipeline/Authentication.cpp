#include "gateway/pipeline/Authentication.hpp"

namespace hgw::pipeline {

std::string_view presented_key(const server::Request& req) {
  // One pass over the fields, matched by their enum where Beast knows the name:
  // req[name] walks a tree comparing names case-insensitively (~500
  // instructions for Authorization alone, on every request). The first field
  // of a name counts; a non-bearer Authorization falls through to the others.
  std::string_view bearer, x_api_key, api_key;
  bool have_auth = false, have_bearer = false, have_x_api_key = false, have_api_key = false;
  for (const auto& f : req) {
    if (f.name() == http::field::authorization) {
      const std::string_view auth = f.value();
      if (!have_auth && auth.size() > 7 && beast::iequals(auth.substr(0, 7), "bearer ")) {
        bearer = auth.substr(7);
        have_bearer = true;
      }
      have_auth = true;
    } else if (f.name() == http::field::unknown) {
      const std::string_view name = f.name_string();
      if (!have_x_api_key && beast::iequals(name, "x-api-key")) {
        x_api_key = f.value();
        have_x_api_key = true;
      } else if (!have_api_key && beast::iequals(name, "api-key")) {
        api_key = f.value();
        have_api_key = true;
      }
    }
  }
  if (have_bearer) return bearer;
  if (!x_api_key.empty()) return x_api_key;
  return api_key;
}

int authenticate(const Snapshot& snapshot, const server::Request& request) {
  return snapshot.tenant_keys().find(presented_key(request));
}

}  // namespace hgw::pipeline
