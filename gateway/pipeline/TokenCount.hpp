// POST /v1/messages/count_tokens (Anthropic): how many input tokens a Messages
// request holds, for coding agents that size their context with it. The
// answer is always the gateway's own estimate — the one budgets and
// rate limits charge up front — and says so in `x-hybridgw-token-count:
// estimated`: asking a backend would send the prompt to it, and a remote
// backend must not see what compliance keeps local just to count it.
#pragma once

#include "gateway/Asio.hpp"
#include "gateway/pipeline/Call.hpp"

#include <string_view>

namespace hgw::pipeline {

inline constexpr std::string_view kCountTokensPath = "/v1/messages/count_tokens";

// After authentication: validates the body (model, messages), checks the
// route and the tenant's access to it, and answers {"input_tokens": N}.
awaitable<void> serve_token_count(Call& call);

}  // namespace hgw::pipeline
