// Per-tenant rate limits (requests_per_minute, tokens_per_minute) as token
// buckets. Pure logic: the clock is passed in. In-memory state guarded by a
// mutex (no I/O). Limits are per gateway replica.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gateway/config/Config.hpp"

namespace hgw::cost {

// A bucket holding up to `capacity` units, refilled continuously at
// capacity / 60 per second (capacity per minute). Starts full. The level may go
// negative after a correction (debt), which later admissions must wait out.
class TokenBucket {
 public:
  using clock = std::chrono::steady_clock;
  TokenBucket() = default;
  TokenBucket(double capacity_per_minute, clock::time_point now);

  // Changes the capacity (config reload), keeping the level within it.
  void set_capacity(double capacity_per_minute, clock::time_point now);
  double capacity() const { return capacity_; }
  double available(clock::time_point now);   // refills first
  bool can_take(double n, clock::time_point now);
  bool try_take(double n, clock::time_point now);
  void take(double n, clock::time_point now);          // unconditional, may go negative
  void give_back(double n, clock::time_point now);     // capped at capacity
  // Seconds until n units are available (0 if now); +inf if n > capacity.
  double seconds_until(double n, clock::time_point now);

 private:
  void refill(clock::time_point now);
  double capacity_ = 0;
  double level_ = 0;
  clock::time_point last_{};
};

// The 429 message for a refusal: names the limit, the wait, and for a request
// that can never pass (too_large) what to change.
std::string rate_limit_message(const config::TenantConfig& tenant, int limit_kind, std::uint32_t retry_after_s,
                               std::uint64_t estimated_tokens, bool too_large);

class RateLimiter {
 public:
  enum class Limit { none, requests_per_minute, tokens_per_minute };
  struct Verdict {
    bool allowed = true;
    Limit limit = Limit::none;    // which limit refused (none when allowed)
    std::uint32_t retry_after_s = 0;
    std::string message;          // names the limit, for the 429 body
  };

  // Charges one request and estimated_tokens (prompt + max_tokens) when both
  // limits allow it; charges nothing otherwise. A tenant without limits is
  // always allowed. A request whose estimate exceeds tokens_per_minute can
  // never pass: rejected with retry_after 60 and a message that says so.
  Verdict admit(const config::TenantConfig&, std::uint64_t estimated_tokens,
                std::chrono::steady_clock::time_point now);
  // After the response: token_delta = actual - estimated (negative refunds).
  void correct(const config::TenantConfig&, std::int64_t token_delta,
               std::chrono::steady_clock::time_point now);
  // Drops all state (e.g. tests).
  void reset();

 private:
  struct Buckets {
    bool has_requests = false, has_tokens = false;
    TokenBucket requests, tokens;
  };
  Buckets& buckets_for(const config::TenantConfig&, std::chrono::steady_clock::time_point now);
  std::mutex mu_;
  std::unordered_map<std::string, Buckets> tenants_;
};

}  // namespace hgw::cost
