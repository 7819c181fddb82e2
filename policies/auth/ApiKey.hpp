// Tenant API keys: configuration holds only "sha256:<64 lowercase hex>" digests;
// a presented key is hashed and compared in constant time (CRYPTO_memcmp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hgw::auth {

// True if sha256(presented_key) equals one of the digests. Every digest is
// compared (no early exit). An empty key never matches; malformed digest lines
// (no "sha256:" prefix or not 64 hex digits) never match.
bool key_matches(std::string_view presented_key, const std::vector<std::string>& sha256_digests);

// "sha256:<64 lowercase hex>" — what `hybridgw hash-key` prints.
std::string sha256_digest_line(std::string_view key);

// True if `line` is a well-formed digest line (for config validation).
bool is_digest_line(std::string_view line);

}  // namespace hgw::auth
