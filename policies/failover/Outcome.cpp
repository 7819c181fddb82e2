#include "policies/failover/Outcome.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace hgw::failover {

namespace {

constexpr std::array<std::pair<Outcome, const char*>, 17> kNames{{
    {Outcome::success, "success"},
    {Outcome::connect_error, "connect_error"},
    {Outcome::tls_error, "tls_error"},
    {Outcome::timeout_connect, "timeout_connect"},
    {Outcome::timeout_first_token, "timeout_first_token"},
    {Outcome::timeout_idle, "timeout_idle"},
    {Outcome::timeout_total, "timeout_total"},
    {Outcome::http_429, "http_429"},
    {Outcome::http_5xx, "http_5xx"},
    {Outcome::context_length, "context_length"},
    {Outcome::content_policy, "content_policy"},
    {Outcome::bad_request, "bad_request"},
    {Outcome::reset, "reset"},
    {Outcome::malformed, "malformed"},
    {Outcome::circuit_open, "circuit_open"},
    {Outcome::queue_full, "queue_full"},
    {Outcome::cancelled, "cancelled"},
}};

}  // namespace

const char* to_string(Outcome o) {
  for (const auto& [k, name] : kNames)
    if (k == o) return name;
  return "unknown";
}

std::optional<Outcome> outcome_from_string(std::string_view s) {
  for (const auto& [k, name] : kNames)
    if (s == name) return k;
  return std::nullopt;
}

namespace {
constexpr std::string_view kCategories[] = {"connect",   "tls",         "timeout",
                                            "http_429",  "http_5xx",    "reset",
                                            "malformed", "context_length", "content_policy",
                                            "circuit_open", "queue_full"};

bool listed(const config::FailoverConfig& f, std::string_view cat) {
  return std::find(f.on.begin(), f.on.end(), cat) != f.on.end();
}
}  // namespace

std::span<const std::string_view> failover_categories() { return kCategories; }

bool is_failover_category(std::string_view name) {
  return std::find(std::begin(kCategories), std::end(kCategories), name) != std::end(kCategories);
}

bool is_failover_trigger(Outcome o, const config::FailoverConfig& f) {
  switch (o) {
    case Outcome::connect_error: return listed(f, "connect");
    case Outcome::timeout_connect: return listed(f, "connect") || listed(f, "timeout");
    case Outcome::tls_error: return listed(f, "tls");
    case Outcome::timeout_first_token:
    case Outcome::timeout_idle:
    case Outcome::timeout_total: return listed(f, "timeout");
    case Outcome::http_429: return listed(f, "http_429");
    case Outcome::http_5xx: return listed(f, "http_5xx");
    case Outcome::reset: return listed(f, "reset");
    case Outcome::malformed: return listed(f, "malformed");
    case Outcome::context_length: return listed(f, "context_length");
    case Outcome::content_policy: return listed(f, "content_policy");
    case Outcome::circuit_open: return listed(f, "circuit_open");
    case Outcome::queue_full: return listed(f, "queue_full") || listed(f, "circuit_open");
    case Outcome::success:
    case Outcome::bad_request:
    case Outcome::cancelled: return false;
  }
  return false;
}

BreakerVerdict breaker_verdict(Outcome o) {
  switch (o) {
    case Outcome::success:
    case Outcome::context_length:
    case Outcome::content_policy:
    case Outcome::bad_request: return BreakerVerdict::success;
    case Outcome::connect_error:
    case Outcome::tls_error:
    case Outcome::timeout_connect:
    case Outcome::timeout_first_token:
    case Outcome::timeout_idle:
    case Outcome::timeout_total:
    case Outcome::http_429:
    case Outcome::http_5xx:
    case Outcome::reset:
    case Outcome::malformed: return BreakerVerdict::failure;
    case Outcome::circuit_open:
    case Outcome::queue_full:
    case Outcome::cancelled: return BreakerVerdict::none;
  }
  return BreakerVerdict::none;
}

}  // namespace hgw::failover
