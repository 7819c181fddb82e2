// Model names in routes may be patterns: `*` stands for any run of
// characters ("claude-*", "gpt-4o*", "*"). A request's model picks the route
// that names it exactly; failing that, the route whose matching pattern is
// the longest (the most specific); on a tie, the route listed first.
#pragma once

#include <string_view>

namespace hgw::config {

bool is_model_pattern(std::string_view name);
// Whether model matches pattern (a plain name matches only itself).
bool model_matches(std::string_view pattern, std::string_view model);

// A backend whose model is "*" is sent the model name the client asked for
// (for wildcard routes in front of an API that serves many models).
inline constexpr std::string_view kClientModel = "*";
inline std::string_view upstream_model(std::string_view backend_model, std::string_view requested) {
  return backend_model == kClientModel ? requested : backend_model;
}

}  // namespace hgw::config
