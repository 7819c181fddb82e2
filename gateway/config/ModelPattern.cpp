#include "gateway/config/ModelPattern.hpp"

#include "policies/compliance/ComplianceDecision.hpp"

namespace hgw::config {

bool is_model_pattern(std::string_view name) { return name.find('*') != std::string_view::npos; }

bool model_matches(std::string_view pattern, std::string_view model) {
  return compliance::glob_match(pattern, model, '\0');  // no '?': model names may hold one
}

}  // namespace hgw::config
