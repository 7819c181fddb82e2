// The Retry-After an upstream sent with a 429 or 503: the header's own
// grammar (RFC 9110 §10.2.3: delta-seconds or an HTTP-date) plus the
// OpenAI/Azure retry-after-ms extension. The failover policy decides what to
// do with the wait; this only reads it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace hgw::protocol {

// Retry-After: delta-seconds (decimals tolerated) or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime), relative to `now`; a date in the past gives 0. The
// OpenAI/Azure `retry-after-ms` header, when valid, wins (it is more precise).
// Empty, negative or unparseable values give nullopt. Values are capped at 24 h.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after, std::string_view retry_after_ms,
    std::chrono::system_clock::time_point now);

}  // namespace hgw::protocol
