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

// At most `max` bytes of a valid UTF-8 text, cut before a character rather
// than inside one: error messages quote pieces of requests and go back to the
// client inside JSON, which must stay valid UTF-8.
inline std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  while (max > 0 && (static_cast<unsigned char>(s[max]) & 0xC0) == 0x80) --max;
  return s.substr(0, max);
}

// An SSE event name (raw bytes off the wire, not validated like JSON text)
// quoted in an error message: printable ASCII only, '?' for anything else,
// and at most 64 bytes.
inline std::string printable_name(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 64)) out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

inline std::string strip_prefix(std::string_view id, std::string_view prefix) {
  if (id.starts_with(prefix)) id.remove_prefix(prefix.size());
  return std::string(id);
}

}  // namespace hgw::protocol::anthropic::detail
