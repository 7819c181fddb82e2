// OpenAI Chat Completions reply → OpenAI Responses API response object, and
// the usage of native Responses objects. Pure: JSON in, JSON out.
#pragma once

#include "gateway/protocol/OpenAiWire.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>

namespace hgw::protocol::responses {

// What the response object says about itself that the backend's reply does not.
struct ResponseContext {
  std::string response_id;  // "resp_…"; the ids of output items derive from it
  std::int64_t created_at = 0;  // unix seconds
  std::string model;        // the model name the client asked for
  // The client's request: its parameters are echoed back (instructions, tools,
  // temperature, …) as OpenAI does. May be null (then the defaults are echoed).
  const boost::json::object* request = nullptr;
  bool stored = true;  // echoed as "store": whether the gateway keeps this response
};

// The response object before any output: status "in_progress", output [],
// usage null, the request's parameters echoed.
boost::json::object response_skeleton(const ResponseContext& context);

// {input_tokens, input_tokens_details.cached_tokens, output_tokens,
//  output_tokens_details.reasoning_tokens, total_tokens} (cached ⊆ input).
boost::json::object responses_usage(const TokenUsage& usage, std::uint64_t reasoning_tokens = 0);

// Non-streamed chat.completion → response object. finish_reason "length" →
// status "incomplete" (incomplete_details.reason "max_output_tokens"),
// "content_filter" → incomplete ("content_filter"); tool_calls →
// function_call items; a refusal → a refusal content part.
boost::json::object chat_response_to_response(const boost::json::object& chat, const ResponseContext& context);

// Usage of a native Responses API response object (its "usage" member:
// input_tokens includes input_tokens_details.cached_tokens, so cached ⊆ input
// as in TokenUsage). known=false when absent or null.
TokenUsage read_responses_usage(const boost::json::object& response);

}  // namespace hgw::protocol::responses
