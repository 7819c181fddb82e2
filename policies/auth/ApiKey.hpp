// Tenant API keys: configuration holds only "sha256:<64 lowercase hex>" digests;
// a presented key is hashed once and compared in constant time (CRYPTO_memcmp)
// with every configured digest.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hgw::auth {

using KeyDigest = std::array<unsigned char, 32>;

// SHA-256 of a key.
KeyDigest digest_of(std::string_view key);

// The digest a well-formed line holds (hex of either case), or nullopt.
std::optional<KeyDigest> parse_digest_line(std::string_view line);

// The digests of several owners (tenants), parsed once when a configuration
// is loaded, so that a request costs one SHA-256 and one comparison per digest.
// Keys that matched are remembered (up to kMemoKeys, then forgotten all at
// once), so that a client's next request costs a hash-table look-up and a
// constant-time comparison instead of SHA-256; keys that did not match are
// never remembered, so that guessing cannot fill the memo. Thread-safe.
class KeyTable {
 public:
  KeyTable() = default;
  // keys_per_owner[i]: owner i's digest lines; malformed lines never match.
  explicit KeyTable(const std::vector<const std::vector<std::string>*>& keys_per_owner);
  // The owner whose digest matches the presented key, or -1 (also for an
  // empty key). Every digest is compared (no early exit that would tell
  // which owners exist); when two owners hold the same digest the last wins.
  int find(std::string_view presented_key) const;

  static constexpr std::size_t kMemoKeys = 4096;

 private:
  int find_by_digest(std::string_view presented_key) const;

  // Equal in constant time for keys of one length: a look-up's timing tells
  // nothing of how much of a remembered key a guess got right.
  struct ConstantTimeEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Memo {
    std::mutex mutex;
    std::unordered_map<std::string, int, KeyHash, ConstantTimeEqual> owners;
  };
  std::vector<std::pair<KeyDigest, int>> digests_;
  std::shared_ptr<Memo> memo_ = std::make_shared<Memo>();
};

// True if sha256(presented_key) equals one of the digests. Every digest is
// compared (no early exit). An empty key never matches; malformed digest lines
// (no "sha256:" prefix or not 64 hex digits) never match.
bool key_matches(std::string_view presented_key, const std::vector<std::string>& sha256_digests);

// "sha256:<64 lowercase hex>" — what `hybridgw hash-key` prints.
std::string sha256_digest_line(std::string_view key);

// True if `line` is a well-formed digest line (for config validation).
bool is_digest_line(std::string_view line);

}  // namespace hgw::auth
