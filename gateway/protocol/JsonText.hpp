// Facts about a JSON text read from its bytes, for a text that boost::json has
// already parsed without error (strict JSON): where a top-level string member
// sits, and how many members the text spells out at every depth. They let the
// gateway send the client's own bytes upstream with one value replaced
// instead of serialising the parsed body again (see upstream_body_from_text).
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace hgw::protocol {

struct TextMember {
  std::size_t value_begin = 0, value_end = 0;  // the value's bytes, quotes included: [begin, end)
  std::size_t members = 0;                      // members written in the text, at every depth
};

// The one top-level member named `key` whose value is a string. nullopt when
// the text is not an object, spells `key` more than once at the top level,
// its value is not a string, or a top-level key uses an escape (it might
// spell `key`, or another name, in a way the bytes do not show).
std::optional<TextMember> find_top_level_string(std::string_view text, std::string_view key);

// The members a parsed value holds at every depth. Fewer than the text spells
// means the text repeats a key somewhere (the parse kept one of them).
std::size_t count_members(const boost::json::value& v);
std::size_t count_members(const boost::json::object& o);

}  // namespace hgw::protocol
