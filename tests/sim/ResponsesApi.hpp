// hybridgw-sim's native OpenAI Responses API (POST …/responses), streamed and
// not: the same deterministic content, usage and pacing as its chat
// completions, and a function call when the request asks for one (see
// SimToolCall.hpp). Pure: builds Plans, ResponseBuilder dispatches to it and
// applies the fault modes (cut=N, stall=N and malformed=N count the events of
// this stream; no_done leaves out the final response.completed, as a stream
// that ends without its terminal event).
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/ResponseBuilder.hpp"

namespace hgw::sim {

// What generation needs from a Responses request body.
struct ResponsesInput {
  std::size_t prompt_chars = 0;               // instructions and every input text
  std::string last_user_text;                 // the echo source
  std::optional<std::int64_t> max_output_tokens;
};
ResponsesInput read_responses_input(const boost::json::object& body);

// The generated answer, as ResponseBuilder computes it for every endpoint.
struct ResponsesReply {
  std::vector<std::string> pieces;  // one output_text.delta each
  bool truncated = false;           // hit max_output_tokens → status incomplete
  int prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  std::uint64_t id = 0;
  int first_delay_ms = 0, token_delay_ms = 0;
  bool no_done = false;
};
Plan responses_plan(const boost::json::object& body, const ResponsesReply& reply);

}  // namespace hgw::sim
