#include "policies/failover/ErrorMapping.hpp"

namespace hgw::failover {

ErrorReply error_reply_for(Outcome o) {
  switch (o) {
    case Outcome::timeout_connect:
    case Outcome::timeout_first_token:
    case Outcome::timeout_idle:
    case Outcome::timeout_total:
      return {504, "upstream_error", nullptr, 0, "upstream timed out: "};
    // Nothing listens, or nothing may be tried now: compliant backends exist,
    // none is usable at the moment.
    case Outcome::connect_error:
    case Outcome::circuit_open:
    case Outcome::queue_full:
      return {503, "service_unavailable", nullptr, 1, "no backend available: "};
    case Outcome::content_policy:
      return {400, "invalid_request_error", "content_policy_violation", 0, ""};
    case Outcome::bad_request:  // could not be sent at all (e.g. not translatable)
      return {400, "invalid_request_error", "invalid_request", 0, ""};
    case Outcome::context_length:
      return {400, "invalid_request_error", "context_length_exceeded", 0, ""};
    case Outcome::http_429:
      return {429, "rate_limit_error", nullptr, 1, "upstream rate limit: "};
    case Outcome::success:
    case Outcome::cancelled:
    case Outcome::tls_error:
    case Outcome::http_5xx:
    case Outcome::reset:
    case Outcome::malformed:
      break;
  }
  return {502, "upstream_error", nullptr, 0, "upstream failed: "};
}

bool upstream_reply_passes(Outcome o) {
  return o == Outcome::bad_request || o == Outcome::content_policy || o == Outcome::context_length ||
         o == Outcome::http_429;
}

}  // namespace hgw::failover
