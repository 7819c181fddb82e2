#include "policies/auth/ApiKey.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace hgw::auth {

namespace {
constexpr std::string_view kPrefix = "sha256:";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Fetched once: SHA256() fetches the algorithm from the provider on every
// call, which costs more than hashing a key.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!m) throw std::runtime_error("OpenSSL has no SHA-256");
    return m;
  }();
  return md;
}
}  // namespace

KeyDigest digest_of(std::string_view key) {
  KeyDigest out{};
  unsigned int n = 0;
  if (EVP_Digest(key.data(), key.size(), out.data(), &n, sha256_md(), nullptr) != 1 || n != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

std::optional<KeyDigest> parse_digest_line(std::string_view line) {
  if (line.size() != kPrefix.size() + 64 || line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view hex = line.substr(kPrefix.size());
  KeyDigest d{};
  for (std::size_t i = 0; i < d.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return d;
}

bool is_digest_line(std::string_view line) { return parse_digest_line(line).has_value(); }

KeyTable::KeyTable(const std::vector<const std::vector<std::string>*>& keys_per_owner) {
  for (std::size_t owner = 0; owner < keys_per_owner.size(); ++owner)
    for (const auto& line : *keys_per_owner[owner])
      if (auto d = parse_digest_line(line)) digests_.emplace_back(*d, static_cast<int>(owner));
}

bool KeyTable::ConstantTimeEqual::operator()(std::string_view a, std::string_view b) const {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int KeyTable::find(std::string_view presented_key) const {
  if (presented_key.empty()) return -1;
  {
    std::lock_guard lock(memo_->mutex);
    if (auto it = memo_->owners.find(presented_key); it != memo_->owners.end()) return it->second;
  }
  const int owner = find_by_digest(presented_key);
  if (owner >= 0) {
    std::lock_guard lock(memo_->mutex);
    if (memo_->owners.size() >= kMemoKeys) memo_->owners.clear();
    memo_->owners.emplace(std::string(presented_key), owner);
  }
  return owner;
}

int KeyTable::find_by_digest(std::string_view presented_key) const {
  const KeyDigest mine = digest_of(presented_key);
  int found = -1;
  for (const auto& [digest, owner] : digests_) {
    // Branch-free select: the loop's timing does not depend on which matched.
    const int match = CRYPTO_memcmp(mine.data(), digest.data(), mine.size()) == 0;
    found = match * owner + (1 - match) * found;
  }
  return found;
}

bool key_matches(std::string_view presented_key, const std::vector<std::string>& digests) {
  return KeyTable({&digests}).find(presented_key) == 0;
}

std::string sha256_digest_line(std::string_view key) {
  static constexpr char hex[] = "0123456789abcdef";
  const KeyDigest d = digest_of(key);
  std::string out(kPrefix);
  for (unsigned char b : d) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

}  // namespace hgw::auth
