// Streaming for POST /v1/responses: chat.completion.chunk payloads from a chat
// stream → Responses API events (ChatStreamToResponses). Every backend's
// stream reaches it as chat chunks (a native Responses backend's through
// ResponsesStreamToChat). Pure: text in, framed SSE bytes out.
//
// A stream that breaks after bytes were sent ends with an `error` event and
// then `response.failed` — the order OpenAI itself uses — because each client
// reads a different one of the two:
//   - openai-node and openai-python throw on the `error` event (an SSE event
//     named "error" whose data has an "error" object) and never look at
//     response.failed; a stream that just stops after response.failed alone
//     makes openai-node's responses.stream() resolve with a "failed" response
//     instead of throwing;
//   - Codex CLI ignores `error` events and turns response.failed (its
//     response.error.code and message) into the error it shows or retries on;
//     a stream that ends without response.completed is an error too;
//   - the Vercel AI SDK reports either as a stream error, once.
// The `error` event carries both shapes clients read: the nested "error"
// object OpenAI sends and the flat code/message/param of the documented event.
#pragma once

#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/ResponsesResponse.hpp"
#include "gateway/protocol/SseParser.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::protocol::responses {

// The `error` event and the `response.failed` event that end a broken stream;
// `response` is the response object so far (its status and error are set here).
std::string failure_events(boost::json::object response, std::string_view message, std::string_view code,
                           std::uint64_t first_sequence_number);

class ChatStreamToResponses {
 public:
  explicit ChatStreamToResponses(ResponseContext context);

  // One chat chunk payload (the SSE data text, or "[DONE]") → zero or more
  // framed events appended to `out`. response.created and response.in_progress
  // come with the first chunk, so that nothing is sent for a backend that
  // fails before its first chunk. Returns false, appending nothing, on a
  // malformed chunk or an in-stream error object: error_message() says why and
  // the caller ends the stream with fail() (or fails over if nothing was sent).
  bool feed(std::string_view chunk_data, std::string& out);

  // The backend ended without [DONE]. After a finish_reason the answer is
  // whole and completes; without one it was cut and the stream fails, so that
  // a truncated answer never looks complete.
  std::string finish();

  // Ends a stream that broke after bytes were sent: `error`, then
  // `response.failed` with the output so far (see the header comment).
  std::string fail(std::string_view message, std::string_view code = "server_error");

  bool started() const { return started_; }    // response.created was emitted
  bool finished() const { return finished_; }  // a terminal event was emitted
  bool saw_finish_reason() const { return !finish_reason_.empty(); }
  const std::string& error_message() const { return error_; }
  bool is_upstream_error() const { return upstream_error_; }
  const TokenUsage& usage() const { return usage_; }
  // The response object as it stands; after the end, the final one (storage).
  boost::json::object response() const;

 private:
  struct Part {
    bool refusal = false;
    std::string text;
  };
  struct Item {
    bool message = true;
    std::string id;
    std::vector<Part> parts;      // message
    std::string call_id, name, arguments;  // function_call
    std::string status = "in_progress";    // set when output_item.done is sent
  };
  struct ToolCall {
    int item = -1;  // index in items_ once output_item.added was sent
    std::string call_id, name, pending_arguments;
  };

  void emit(std::string& out, boost::json::object event);
  void start(std::string& out);
  boost::json::object item_json(const Item& item, std::string_view status) const;
  void on_text(std::string_view text, bool refusal, std::string& out);
  void on_tool_call(const boost::json::object& call, std::string& out);
  void add_tool_item(ToolCall& call, std::string& out);
  void close_part(std::string& out);
  void close_message(std::string& out, std::string_view status);
  std::string complete();

  ResponseContext context_;
  boost::json::object skeleton_;
  std::uint64_t sequence_ = 0;
  bool started_ = false, finished_ = false, upstream_error_ = false;
  std::string error_;
  std::string status_ = "in_progress";
  std::string incomplete_reason_;
  std::string failure_code_, failure_message_;
  std::vector<Item> items_;
  int open_message_ = -1;                    // index in items_ of the message being streamed
  std::map<std::int64_t, ToolCall> calls_;  // chat tool_calls[].index → call
  std::string finish_reason_;
  TokenUsage usage_;
  std::uint64_t reasoning_tokens_ = 0;
};

}  // namespace hgw::protocol::responses
