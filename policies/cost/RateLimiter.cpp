#include "policies/cost/RateLimiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hgw::cost {

TokenBucket::TokenBucket(double capacity_per_minute, clock::time_point now)
    : capacity_(capacity_per_minute), level_(capacity_per_minute), last_(now) {}

void TokenBucket::refill(clock::time_point now) {
  if (now > last_) {
    const double secs = std::chrono::duration<double>(now - last_).count();
    level_ = std::min(capacity_, level_ + secs * capacity_ / 60.0);
    last_ = now;
  }
}

void TokenBucket::set_capacity(double capacity_per_minute, clock::time_point now) {
  refill(now);
  if (capacity_per_minute > capacity_) level_ += capacity_per_minute - capacity_;
  capacity_ = capacity_per_minute;
  level_ = std::min(level_, capacity_);
}

double TokenBucket::available(clock::time_point now) {
  refill(now);
  return level_;
}

bool TokenBucket::can_take(double n, clock::time_point now) {
  refill(now);
  return level_ >= n;
}

bool TokenBucket::try_take(double n, clock::time_point now) {
  if (!can_take(n, now)) return false;
  level_ -= n;
  return true;
}

void TokenBucket::take(double n, clock::time_point now) {
  refill(now);
  level_ -= n;
}

void TokenBucket::give_back(double n, clock::time_point now) {
  refill(now);
  level_ = std::min(capacity_, level_ + n);
}

double TokenBucket::seconds_until(double n, clock::time_point now) {
  refill(now);
  if (level_ >= n) return 0.0;
  if (n > capacity_ || capacity_ <= 0) return std::numeric_limits<double>::infinity();
  return (n - level_) * 60.0 / capacity_;
}

RateLimiter::Buckets& RateLimiter::buckets_for(const config::TenantConfig& t,
                                               std::chrono::steady_clock::time_point now) {
  auto [it, inserted] = tenants_.try_emplace(t.name);
  Buckets& b = it->second;
  const auto& rl = t.rate_limit;
  if (rl.requests_per_minute) {
    const double cap = static_cast<double>(*rl.requests_per_minute);
    if (!b.has_requests) b.requests = TokenBucket(cap, now);
    else if (b.requests.capacity() != cap) b.requests.set_capacity(cap, now);
    b.has_requests = true;
  } else {
    b.has_requests = false;
  }
  if (rl.tokens_per_minute) {
    const double cap = static_cast<double>(*rl.tokens_per_minute);
    if (!b.has_tokens) b.tokens = TokenBucket(cap, now);
    else if (b.tokens.capacity() != cap) b.tokens.set_capacity(cap, now);
    b.has_tokens = true;
  } else {
    b.has_tokens = false;
  }
  return b;
}

static std::uint32_t ceil_seconds(double s) {
  if (!std::isfinite(s)) return 60;
  return static_cast<std::uint32_t>(std::max(1.0, std::ceil(s - 1e-9)));
}

std::string rate_limit_message(const config::TenantConfig& t, int limit_kind, std::uint32_t retry_after_s,
                               std::uint64_t estimated_tokens, bool too_large) {
  if (limit_kind == static_cast<int>(RateLimiter::Limit::requests_per_minute))
    return "Rate limit reached for tenant '" + t.name + "': requests_per_minute limit of " +
           std::to_string(t.rate_limit.requests_per_minute.value_or(0)) + " requests. Retry after " +
           std::to_string(retry_after_s) + " s.";
  const std::string tpm = std::to_string(t.rate_limit.tokens_per_minute.value_or(0));
  if (too_large)
    return "Request too large for tenant '" + t.name + "': an estimated " + std::to_string(estimated_tokens) +
           " tokens (prompt + max_tokens) exceed the tokens_per_minute limit of " + tpm +
           ". Lower max_tokens or shorten the prompt.";
  return "Rate limit reached for tenant '" + t.name + "': tokens_per_minute limit of " + tpm +
         " tokens (this request: an estimated " + std::to_string(estimated_tokens) + "). Retry after " +
         std::to_string(retry_after_s) + " s.";
}

RateLimiter::Verdict RateLimiter::admit(const config::TenantConfig& t, std::uint64_t estimated_tokens,
                                        std::chrono::steady_clock::time_point now) {
  Verdict v;
  if (!t.rate_limit.requests_per_minute && !t.rate_limit.tokens_per_minute) return v;
  std::lock_guard lock(mu_);
  Buckets& b = buckets_for(t, now);
  const double tokens = static_cast<double>(estimated_tokens);
  if (b.has_requests && !b.requests.can_take(1.0, now)) {
    v.allowed = false;
    v.limit = Limit::requests_per_minute;
    v.retry_after_s = ceil_seconds(b.requests.seconds_until(1.0, now));
    v.message = rate_limit_message(t, static_cast<int>(v.limit), v.retry_after_s, estimated_tokens, false);
    return v;
  }
  if (b.has_tokens && !b.tokens.can_take(tokens, now)) {
    v.allowed = false;
    v.limit = Limit::tokens_per_minute;
    const double wait = b.tokens.seconds_until(tokens, now);
    v.retry_after_s = ceil_seconds(wait);
    v.message = rate_limit_message(t, static_cast<int>(v.limit), v.retry_after_s, estimated_tokens, !std::isfinite(wait));
    return v;
  }
  if (b.has_requests) b.requests.take(1.0, now);
  if (b.has_tokens) b.tokens.take(tokens, now);
  return v;
}

void RateLimiter::correct(const config::TenantConfig& t, std::int64_t token_delta,
                          std::chrono::steady_clock::time_point now) {
  if (!t.rate_limit.tokens_per_minute || token_delta == 0) return;
  std::lock_guard lock(mu_);
  Buckets& b = buckets_for(t, now);
  if (!b.has_tokens) return;
  if (token_delta > 0) b.tokens.take(static_cast<double>(token_delta), now);
  else b.tokens.give_back(static_cast<double>(-token_delta), now);
}

void RateLimiter::reset() {
  std::lock_guard lock(mu_);
  tenants_.clear();
}

}  // namespace hgw::cost
