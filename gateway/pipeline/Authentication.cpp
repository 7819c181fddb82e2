#include "gateway/pipeline/Authentication.hpp"

namespace hgw::pipeline {

std::string_view presented_key(const server::Request& req) {
  std::string_view auth = req[http::field::authorization];
  if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "bearer ")) return auth.substr(7);
  if (auto k = req["x-api-key"]; !k.empty()) return k;
  return req["api-key"];
}

int authenticate(const Snapshot& snapshot, const server::Request& request) {
  return snapshot.tenant_keys().find(presented_key(request));
}

}  // namespace hgw::pipeline
