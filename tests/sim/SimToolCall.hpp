// When hybridgw-sim calls a tool instead of answering, and with which
// arguments. Pure (Boost.JSON only), shared by the chat and Responses paths.
//
// The rule, deterministic so that tests can ask for a call: the request
// declares function tools, the conversation ends with a user message (not a
// tool result, so that the turn after the tool ran gets an answer), and that
// message names one of the tools as a word ("use get_weather for Paris").
// The first tool so named is called, with arguments made from its JSON schema.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "tests/sim/ResponseBuilder.hpp"

namespace hgw::sim {

struct SimToolCall {
  std::string name;
  std::string arguments;  // JSON text
};

// For a chat.completions body (tools[].function.name, messages).
std::optional<SimToolCall> pick_chat_tool_call(const boost::json::object& body);
// For a Responses API body (flat tools[].name, input as a string or items).
std::optional<SimToolCall> pick_responses_tool_call(const boost::json::object& body);

// A chat.completions answer that is the call (finish_reason tool_calls),
// whole or streamed as OpenAI does: name first, arguments in pieces.
struct ChatToolReply {
  std::string model;
  bool stream = false, include_usage = false, no_done = false;
  int prompt_tokens = 0, cached_tokens = 0;
  std::uint64_t id = 0;
  int first_delay_ms = 0, token_delay_ms = 0;
};
Plan chat_tool_call_plan(const SimToolCall& call, const ChatToolReply& reply);

// Arguments that satisfy a simple JSON schema: every property gets a value of
// its type ("sim", 1, true, [], {}), or its first enum value.
std::string arguments_for(const boost::json::value* schema);

}  // namespace hgw::sim
