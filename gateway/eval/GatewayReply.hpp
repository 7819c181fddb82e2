// One answer of the in-process gateway to eval, and what eval reads from it:
// the x-hybridgw-* headers (backend, route, cost, decision), the assistant's
// text and usage of a chat completion, or the gateway's reason for an error.
// The reading is pure; GatewayClient fills the struct from the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hgw::eval {

struct GatewayReply {
  unsigned status = 0;          // 0 = no HTTP answer (error says why)
  std::string error;            // transport error
  std::string body;
  std::string backend, route, decision;  // x-hybridgw-backend / -route / -decision
  std::optional<double> cost_usd;        // x-hybridgw-cost-usd
  double latency_ms = 0;                 // request written -> whole answer read
};

struct ChatAnswer {
  std::string text;  // the assistant's content (tool calls rendered as JSON after it)
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
};

// The first choice of a chat completion, or nullopt with `error` set.
std::optional<ChatAnswer> read_chat_answer(std::string_view body, std::string& error);

// Why a request did not succeed, in the gateway's words: "code: message" from
// an OpenAI-shaped error body, else the status and the start of the body.
std::string failure_reason(const GatewayReply& reply);

// True when the gateway refused by policy (compliance, route not allowed):
// such a pair is recorded as skipped, not failed.
bool is_policy_refusal(const GatewayReply& reply);

}  // namespace hgw::eval
