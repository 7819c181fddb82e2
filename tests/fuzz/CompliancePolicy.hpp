// The detector set the compliance harnesses share: every built-in detector
// plus a keyword detector (any script, case-insensitive) and a regex one, as a
// compliance.custom_detectors section would configure them. Built once.
#pragma once

#include "policies/compliance/DetectorSet.hpp"
#include "tests/fuzz/FuzzSupport.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hgw::fuzz {

inline const compliance::DetectorSet& detector_set() {
  static const std::shared_ptr<const compliance::DetectorSet> set = [] {
    std::vector<config::CustomDetectorConfig> custom(2);
    custom[0].name = "project_codename";
    custom[0].keywords = {"Project Falcon", "项目机密"};
    custom[1].name = "employee_id";
    custom[1].regex = "EMP-[0-9]{6}";
    custom[1].case_sensitive = true;
    std::string error;
    auto s = compliance::DetectorSet::build({"all"}, custom, &error);
    check(error.empty(), "the harness's detector set does not build", error);
    return s;
  }();
  return *set;
}

// The texts of one request: the input split at NUL bytes (a request has
// several strings: messages, system prompt, tool arguments).
inline std::vector<std::string_view> texts_of(std::string_view in) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    const auto nul = in.find('\0', pos);
    out.push_back(in.substr(pos, nul == std::string_view::npos ? std::string_view::npos : nul - pos));
    if (nul == std::string_view::npos || out.size() == 8) break;
    pos = nul + 1;
  }
  return out;
}

}  // namespace hgw::fuzz
