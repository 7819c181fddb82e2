#pragma once

#include <string>
#include <utility>
#include <vector>

#include "policies/compliance/DetectorSet.hpp"

namespace hgw::compliance::test {

inline std::shared_ptr<const DetectorSet> all_builtins() {
  static const auto set = [] {
    config::ComplianceConfig c;
    c.detectors = builtin_detector_names();
    return DetectorSet::build(c);
  }();
  return set;
}

// (type, matched text) for every finding in one text.
inline std::vector<std::pair<std::string, std::string>> found(const DetectorSet& set, std::string_view text) {
  std::vector<Finding> f;
  set.scan_one(text, 0, f);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& x : f) out.emplace_back(x.type, std::string(text.substr(x.begin, x.end - x.begin)));
  return out;
}
inline std::vector<std::pair<std::string, std::string>> found(std::string_view text) {
  return found(*all_builtins(), text);
}
using TV = std::vector<std::pair<std::string, std::string>>;

}  // namespace hgw::compliance::test
