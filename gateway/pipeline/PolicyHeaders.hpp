// The request headers policies may read: every x-hybridgw-* header, with its
// name in lowercase. Shared by live routing and POST /admin/explain so that
// both see the same request.
#pragma once

#include "gateway/Asio.hpp"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace hgw::pipeline {

inline std::vector<std::pair<std::string, std::string>> policy_headers(const http::fields& fields) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : fields) {
    const auto name = field.name_string();
    if (name.size() <= 10 || !beast::iequals(name.substr(0, 10), "x-hybridgw")) continue;
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(lower), std::string(field.value()));
  }
  return out;
}

}  // namespace hgw::pipeline
