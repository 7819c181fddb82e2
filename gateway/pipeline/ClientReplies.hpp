// What the client receives when the gateway answers itself: its headers
// (x-request-id, x-hybridgw-*), errors in the client's own format, and the
// last upstream failure as DESIGN.md §4 maps it (policies/failover/ErrorMapping).
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/server/Response.hpp"

#include <string>
#include <string_view>

namespace hgw::pipeline {

void add_gateway_headers(server::Response& res, const Call& call);
server::Response json_response(const Call& call, unsigned status, std::string body);

// An error the gateway decided, in the client's format; records status and outcome.
awaitable<void> reply_error(Call& call, unsigned status, std::string_view message, std::string_view type,
                            std::string_view code, std::uint32_t retry_after_s = 0);

// The last failed attempt, as the client sees it: an upstream's own 4xx reply
// goes back (in the client's format); everything else becomes the gateway's
// error with its reason.
awaitable<void> reply_upstream_failure(Call& call, const AttemptResult& last);

}  // namespace hgw::pipeline
