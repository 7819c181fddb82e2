#include "policies/auth/ApiKey.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>

namespace hgw::auth {

namespace {
constexpr std::string_view kPrefix = "sha256:";

std::array<char, 64> sha256_hex(std::string_view key) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), md);
  static constexpr char hex[] = "0123456789abcdef";
  std::array<char, 64> out{};
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 0xf];
  }
  return out;
}
}  // namespace

bool is_digest_line(std::string_view line) {
  if (line.size() != kPrefix.size() + 64 || line.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char c : line.substr(kPrefix.size()))
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool key_matches(std::string_view presented_key, const std::vector<std::string>& digests) {
  if (presented_key.empty()) return false;
  const auto mine = sha256_hex(presented_key);
  int matched = 0;
  for (const auto& d : digests) {
    if (!is_digest_line(d)) continue;
    std::array<char, 64> theirs{};
    for (size_t i = 0; i < 64; ++i)
      theirs[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(d[kPrefix.size() + i])));
    matched |= (CRYPTO_memcmp(mine.data(), theirs.data(), 64) == 0) ? 1 : 0;
  }
  return matched != 0;
}

std::string sha256_digest_line(std::string_view key) {
  const auto h = sha256_hex(key);
  return std::string(kPrefix) + std::string(h.data(), h.size());
}

}  // namespace hgw::auth
