#include "gateway/config/ModelPattern.hpp"

namespace hgw::config {

bool is_model_pattern(std::string_view name) { return name.find('*') != std::string_view::npos; }

bool model_matches(std::string_view pattern, std::string_view model) {
  // Greedy glob with backtracking to the last star: linear in practice for
  // the short names routes hold.
  std::size_t p = 0, m = 0, star = std::string_view::npos, resume = 0;
  while (m < model.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = m;
    } else if (p < pattern.size() && pattern[p] == model[m]) {
      ++p;
      ++m;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      m = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace hgw::config
