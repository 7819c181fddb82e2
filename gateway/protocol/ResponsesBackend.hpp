// The other direction of the Responses translators, for backends that speak
// the Responses API natively (protocol: openai-responses — OpenAI itself,
// recent vLLM): the pipeline's chat.completions request → a Responses
// request, and the backend's response object and event stream → chat
// completions. Pure: JSON and text in, JSON and framed SSE out; errors are
// strings that say what cannot be expressed, never thrown.
#pragma once

#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/SseParser.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::protocol::responses {

struct BackendRequest {
  boost::json::object body;
  std::string error;  // non-empty: this request has no Responses equivalent
};

// messages → input items (system → a system message item; user and
// assistant content → input_text / input_image / output_text parts;
// assistant tool_calls → function_call items; tool → function_call_output),
// function tools, tool_choice, parallel_tool_calls, response_format →
// text.format, max_tokens / max_completion_tokens → max_output_tokens,
// temperature, top_p, reasoning_effort → reasoning.effort, user, stream.
// Always store: false — the gateway keeps conversations itself, so a later
// turn may go to any backend. n > 1, stop, logprobs, seed and the penalties
// have no Responses equivalent: an error names them.
BackendRequest chat_request_to_responses(const boost::json::object& chat, std::string_view model, bool stream);

// A response object → chat.completion: message text → content, refusal →
// refusal, function_call items → tool_calls; status completed → finish_reason
// stop (tool_calls when there are calls), incomplete → length or
// content_filter; usage (input includes cached, as in chat).
boost::json::object response_to_chat(const boost::json::object& response);

// Responses events → chat.completion.chunk payloads, event by event.
class ResponsesStreamToChat {
 public:
  explicit ResponsesStreamToChat(std::string request_id) : id_(std::move(request_id)) {}

  // One upstream event → zero or more chunk payloads (the "data:" text, and
  // "[DONE]" after the last). false: a malformed event, or the backend's own
  // response.failed / error event (is_upstream_error()).
  bool feed(const SseEvent& event, std::vector<std::string>& payloads);
  bool finished() const { return finished_; }
  const TokenUsage& usage() const { return usage_; }
  const std::string& error_message() const { return error_; }
  bool is_upstream_error() const { return upstream_error_; }

 private:
  boost::json::object chunk_object(boost::json::array choices) const;
  std::string chunk(boost::json::object delta, const boost::json::value& finish_reason = nullptr) const;

  std::string id_, model_;
  std::int64_t created_ = 0;
  bool started_ = false, finished_ = false, upstream_error_ = false;
  std::string error_;
  TokenUsage usage_;
  std::map<std::int64_t, int> calls_;  // output_index of a function_call item → tool_calls index
};

}  // namespace hgw::protocol::responses
