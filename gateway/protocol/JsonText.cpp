#include "gateway/protocol/JsonText.hpp"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hgw::protocol {

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::size_t skip_space(std::string_view t, std::size_t i) {
  while (i < t.size() && is_space(t[i])) ++i;
  return i;
}

// The first quote or backslash in [p, end), or end. Strings are most of a
// request's bytes: 16 at a time where SSE2 is there.
const char* next_quote_or_backslash(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (hits) return p + __builtin_ctz(static_cast<unsigned>(hits));
  }
#endif
  while (p < end && *p != '"' && *p != '\\') ++p;
  return p;
}

// t[i] is an opening quote: the index of the closing one (t.size() if none),
// and whether the string holds an escape.
std::size_t string_end(std::string_view t, std::size_t i, bool& escaped) {
  const char* p = t.data() + i + 1;
  const char* end = t.data() + t.size();
  while (p < end) {
    p = next_quote_or_backslash(p, end);
    if (p >= end) break;
    if (*p == '"') return static_cast<std::size_t>(p - t.data());
    escaped = true;
    p += 2;  // the escaped character, whatever it is, does not end the string
  }
  return t.size();
}

}  // namespace

std::optional<TextMember> find_top_level_string(std::string_view t, std::string_view key) {
  std::size_t i = skip_space(t, 0);
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  TextMember found;
  int depth = 0, found_count = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '"') {
      bool escaped = false;
      const std::size_t close = string_end(t, i, escaped);
      if (close >= t.size()) return std::nullopt;
      if (depth == 1) {
        const std::size_t after = skip_space(t, close + 1);
        if (after < t.size() && t[after] == ':') {  // a top-level key
          if (escaped) return std::nullopt;
          if (t.substr(i + 1, close - i - 1) == key) {
            const std::size_t v = skip_space(t, after + 1);
            if (v >= t.size() || t[v] != '"' || ++found_count > 1) return std::nullopt;
            bool value_escaped = false;
            const std::size_t value_close = string_end(t, v, value_escaped);
            if (value_close >= t.size()) return std::nullopt;
            found.value_begin = v;
            found.value_end = value_close + 1;
            ++found.members;
            i = value_close + 1;
            continue;
          }
        }
      }
      i = close + 1;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        if (skip_space(t, i + 1) != t.size()) return std::nullopt;
        break;
      }
    } else if (c == ':') {
      ++found.members;  // outside strings, a colon only ever follows a key
    }
    ++i;
  }
  if (depth != 0 || found_count != 1) return std::nullopt;
  return found;
}

std::size_t count_members(const boost::json::object& o) {
  std::size_t n = o.size();
  for (const auto& member : o) n += count_members(member.value());
  return n;
}

std::size_t count_members(const boost::json::value& v) {
  if (const auto* o = v.if_object()) return count_members(*o);
  std::size_t n = 0;
  if (const auto* a = v.if_array())
    for (const auto& element : *a) n += count_members(element);
  return n;
}

}  // namespace hgw::protocol
