// What every harness shares: a check that aborts with a message (libFuzzer
// then saves the input as a crash), and deterministic chunkings of an input
// for the parsers that are fed as bytes arrive. The chunk sizes come from a
// hash of the input itself, so seeds stay plain files (a real SSE stream, a
// real prompt) and a crash reproduces from the saved input alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace hgw::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ CHECK FAILED: %s\n", what);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, <= U+10FFFF):
// what a JSON body may carry.
inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

// Chunks of `data` in order: mostly 1..16 bytes (splits inside every token),
// sometimes up to 1 KiB. `salt` gives a second, different chunking.
inline std::vector<std::string_view> chunks(std::string_view data, std::uint64_t salt = 0) {
  std::uint64_t h = 1469598103934665603ull ^ salt;  // FNV-1a over the input
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    h ^= h << 13;  // xorshift64
    h ^= h >> 7;
    h ^= h << 17;
    const std::size_t n = (h & 7) == 0 ? 1 + (h >> 8) % 1024 : 1 + (h >> 8) % 16;
    out.push_back(data.substr(pos, n));
    pos += out.back().size();
  }
  return out;
}

}  // namespace hgw::fuzz
