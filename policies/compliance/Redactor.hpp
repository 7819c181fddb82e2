// Redaction before a remote backend sees the request, and restoration of the
// placeholders in the answer for the client. The mapping placeholder ->
// original lives only in memory, only for one request.
#pragma once

#include <boost/json/string.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policies/compliance/DetectorSet.hpp"

namespace hgw::compliance {

class Redactor {
 public:
  // Replaces each finding whose type is in `types` with a typed placeholder
  // ([EMAIL_1], [CN_RESIDENT_ID_2], custom names upper-cased with non-alnum
  // bytes as '_'); the same (type, value) gets the same placeholder within the
  // request. `findings` must come from scanning exactly these texts (same
  // order, before any change); overlapping findings: the first wins.
  void redact(std::vector<boost::json::string*>& texts, const std::vector<Finding>& findings,
              const std::vector<std::string>& types);
  // Same on plain strings (tests, explain).
  void redact(std::vector<std::string>& texts, const std::vector<Finding>& findings,
              const std::vector<std::string>& types);

  // One text: `mine` are the findings in it (any order); those of `types` are
  // replaced. Returns the new text, or nothing when no finding applied.
  std::optional<std::string> rewrite(std::string_view text, std::vector<const Finding*> mine,
                                     const std::vector<std::string>& types);

  const std::vector<std::pair<std::string, std::string>>& mapping() const { return mapping_; }
  std::size_t count() const { return count_; }  // occurrences replaced
  const std::map<std::string, int>& counts_by_type() const { return by_type_; }

 private:
  std::optional<std::string> rewrite_index(std::string_view text, std::uint32_t index,
                                           const std::vector<Finding>& findings,
                                           const std::vector<std::string>& types);
  std::vector<std::pair<std::string, std::string>> mapping_;
  std::map<std::pair<std::string, std::string>, std::size_t> by_value_;  // (type, value) -> mapping index
  std::map<std::string, int> next_;   // placeholder prefix -> last number
  std::map<std::string, int> by_type_;
  std::size_t count_ = 0;
};

// Placeholder name prefix for a detector type: "cn_mobile" -> "CN_MOBILE".
std::string placeholder_prefix(std::string_view type);

// Streaming restore: feed chunks of the answer; returns the text safe to emit
// now, holding back only a possible partial placeholder at the end ("[EMA");
// flush() returns the rest. Output never splits a UTF-8 character that the
// input did not split.
class PlaceholderRestorer {
 public:
  explicit PlaceholderRestorer(std::vector<std::pair<std::string, std::string>> mapping);
  std::string feed(std::string_view chunk);
  std::string flush();
  std::size_t restored() const { return restored_; }

 private:
  std::string process(bool final);
  std::unordered_map<std::string, std::string> map_;
  std::vector<std::string> placeholders_;
  std::size_t max_len_ = 0;
  std::string pending_;
  std::size_t restored_ = 0;
};

}  // namespace hgw::compliance
