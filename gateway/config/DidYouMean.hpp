// "did you mean ...?" suggestions for misspelt keys and enum values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::config {

// Optimal-string-alignment distance (Levenshtein plus adjacent transposition,
// so "modle" is one edit from "model"), compared case-insensitively.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible
// typo: a small edit distance relative to the word's length, or one word being
// a prefix of the other ("connect" -> "connect_ms", "api_key" -> "api_key_env").
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean_suffix(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace hgw::config
