// How a request that no attempt could serve is answered (DESIGN.md §4): the
// last attempt's outcome decides the status, error type and code. One table,
// so that every path answers the same way and the README's error table is
// this file.
#pragma once

#include <cstdint>

#include "policies/failover/Outcome.hpp"

namespace hgw::failover {

struct ErrorReply {
  unsigned status;
  const char* type;            // OpenAI error type
  const char* code;            // nullptr: the outcome's own name (e.g. "timeout_first_token")
  std::uint32_t retry_after_s;  // 0: no Retry-After header
  const char* message_prefix;  // before the attempt's detail
};

// The gateway's own answer for an outcome.
ErrorReply error_reply_for(Outcome);

// Whether an upstream's own error reply goes back to the client as it is
// (translated to the client's format): its 4xx says what the client must
// change (bad_request, context_length, content_policy) or when to come back
// (http_429). Only when the upstream did answer (an HTTP status).
bool upstream_reply_passes(Outcome);

}  // namespace hgw::failover
