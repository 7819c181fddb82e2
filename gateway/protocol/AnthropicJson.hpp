// Small JSON reading helpers shared by the Anthropic request and stream
// translators (internal to gateway/protocol).
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace hgw::protocol::anthropic::detail {

// The text of a JSON string value, or "" for anything else (absent included).
inline std::string_view str(const boost::json::value* v) {
  if (!v || !v->is_string()) return {};
  const auto& s = v->as_string();
  return {s.data(), s.size()};
}

inline std::string strip_prefix(std::string_view id, std::string_view prefix) {
  if (id.starts_with(prefix)) id.remove_prefix(prefix.size());
  return std::string(id);
}

}  // namespace hgw::protocol::anthropic::detail
