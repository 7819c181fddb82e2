// How an upstream's HTTP error reply maps to an attempt outcome, whatever the
// provider's error shape. Pure: the gateway hands in the status and body.
#pragma once

#include <string_view>

#include "policies/failover/Outcome.hpp"

namespace hgw::failover {

// Classifies an upstream HTTP error reply from its status and body (any
// provider: OpenAI, Azure OpenAI, Anthropic, vLLM, TGI, llama.cpp, SGLang,
// Ollama). Only the first 64 KiB of the body are looked at.
//   429                         → http_429
//   5xx                         → http_5xx (whatever the body says)
//   408                         → timeout_first_token: the upstream itself gave
//                                 up before producing anything; like a silent
//                                 server, it is failed over, not retried
//   other 4xx, context overflow → context_length (OpenAI/Azure code
//                                 context_length_exceeded, Anthropic "prompt is
//                                 too long", vLLM/SGLang/TGI/llama.cpp messages)
//   other 4xx, content refusal  → content_policy (OpenAI
//                                 content_policy_violation / usage policy, Azure
//                                 content_filter / ResponsibleAIPolicyViolation,
//                                 Anthropic "content filtering policy")
//   other 4xx                   → bad_request
//   anything < 400              → malformed (the caller should not pass a
//                                 success here; 1xx/3xx are not followed)
Outcome classify_http_error(int status, std::string_view body);

}  // namespace hgw::failover
