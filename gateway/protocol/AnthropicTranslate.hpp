// Pure translation between the OpenAI Chat Completions wire format and the
// Anthropic Messages API, both ways (DESIGN.md §1 "translation", §4
// POST /v1/messages). No I/O: JSON in, JSON (or SSE bytes) out; errors are
// returned as strings a person can act on, never thrown.
//
//   client spoke OpenAI, backend is Anthropic:
//     chat_request_to_messages → (backend) → messages_response_to_chat / MessagesStreamToChat
//   client spoke Anthropic (POST /v1/messages), backend speaks OpenAI:
//     messages_request_to_chat → (backend) → chat_response_to_messages / ChatStreamToMessages
#pragma once

#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/SseParser.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::protocol::anthropic {

// A translated request body, or why the request cannot be translated
// (error non-empty → 400 for the client).
struct Translation {
  boost::json::object body;
  std::string error;
};

// ---- shared vocabulary ----------------------------------------------------

// Anthropic stop_reason → OpenAI finish_reason (end_turn/stop_sequence/pause_turn
// → stop, max_tokens → length, tool_use → tool_calls, refusal → content_filter).
std::string_view finish_reason_for(std::string_view stop_reason);
// OpenAI finish_reason → Anthropic stop_reason (the reverse; unknown → end_turn).
std::string_view stop_reason_for(std::string_view finish_reason);
// Usage objects in each format from the common TokenUsage (cached ⊆ input);
// the OpenAI one is protocol::openai_usage (OpenAiWire.hpp).
boost::json::object anthropic_usage(const TokenUsage& u);

// ---- gateway → Anthropic backend (client spoke OpenAI) ---------------------

Translation chat_request_to_messages(const boost::json::object& openai_chat, std::string_view backend_model,
                                     bool stream, std::uint32_t default_max_tokens = 4096);

// Non-streamed Anthropic reply → OpenAI chat.completion ("model" = the reply's model).
boost::json::object messages_response_to_chat(const boost::json::object& anthropic_message);

// Anthropic error body ({"type":"error","error":{type,message}}, or the inner
// object alone) → OpenAI error body {"error":{message,type,code}}.
boost::json::object error_to_openai(const boost::json::object& anthropic_error);

// HTTP status Anthropic uses for an error type (overloaded_error → 529, …; unknown → 502).
int status_for_error_type(std::string_view anthropic_error_type);

// Streamed Anthropic events → OpenAI chat.completion.chunk payloads.
class MessagesStreamToChat {
 public:
  explicit MessagesStreamToChat(std::string request_id_hint = {});

  // Appends zero or more OpenAI chunk payloads (JSON text, or "[DONE]") to out.
  // Returns false on a malformed event or an Anthropic "error" event (then
  // error_message() says why and is_upstream_error() tells which).
  bool feed(const SseEvent& event, std::vector<std::string>& out);

  const std::string& error_message() const { return error_; }
  bool is_upstream_error() const { return upstream_error_; }
  bool finished() const { return finished_; }  // message_stop seen
  // Usage so far, in the common convention (cached ⊆ input).
  TokenUsage usage() const;

 private:
  struct Block {
    enum Kind { text, tool, ignored } kind = ignored;  // ignored: thinking and kinds OpenAI chat cannot carry
    int tool_index = 0;                                // OpenAI tool_calls[].index
  };

  bool fail(std::string message, bool upstream = false);
  std::string chunk(boost::json::object delta, const char* finish_reason = nullptr) const;
  bool on_message_start(const boost::json::object& data, std::vector<std::string>& out);
  bool on_block_start(const boost::json::object& data, std::vector<std::string>& out);
  bool on_block_delta(const boost::json::object& data, std::vector<std::string>& out);
  void on_message_delta(const boost::json::object& data, std::vector<std::string>& out);
  void on_message_stop(std::vector<std::string>& out);
  void read_usage_fields(const boost::json::object& usage);

  std::string id_;
  std::string model_;
  std::int64_t created_;
  bool started_ = false;
  bool finished_ = false;
  bool finish_sent_ = false;
  bool upstream_error_ = false;
  std::string error_;
  std::map<std::int64_t, Block> blocks_;  // Anthropic content block index → kind
  int tool_calls_ = 0;
  std::uint64_t input_ = 0, output_ = 0, cache_read_ = 0, cache_creation_ = 0;
  bool usage_seen_ = false;
};

// ---- client spoke Anthropic (POST /v1/messages) → OpenAI-format backend -----

Translation messages_request_to_chat(const boost::json::object& anthropic_request, std::string_view backend_model,
                                     bool stream);

// Non-streamed OpenAI chat.completion → Anthropic message.
boost::json::object chat_response_to_messages(const boost::json::object& openai_chat);

// OpenAI chunk payloads (the "data:" text, or "[DONE]") → Anthropic SSE events,
// already framed with format_sse(data, event).
class ChatStreamToMessages {
 public:
  explicit ChatStreamToMessages(std::string model);

  // Returns false on a malformed chunk or an in-stream error object
  // (error_message() says why; the caller ends the stream with an error event).
  bool feed(std::string_view openai_chunk_data, std::string& out_framed_events);
  // Emits content_block_stop / message_delta (stop_reason, usage) / message_stop
  // if not already emitted (also message_start for an empty stream).
  std::string finish();
  bool finished() const { return finished_; }
  const std::string& error_message() const { return error_; }
  bool is_upstream_error() const { return upstream_error_; }
  const TokenUsage& usage() const { return usage_; }

 private:
  void start(const boost::json::object& chunk, std::string& out);
  void open_block(boost::json::object block, std::string& out);
  void close_block(std::string& out);
  bool on_tool_call(const boost::json::object& call, std::string& out);

  std::string model_;
  bool started_ = false;
  bool finished_ = false;
  bool upstream_error_ = false;
  std::string error_;
  std::string id_;
  int next_block_ = 0;
  int open_block_ = -1;       // Anthropic index of the open content block, -1 when none
  bool open_is_text_ = false;
  std::map<std::int64_t, int> tool_blocks_;  // OpenAI tool_calls index → Anthropic block index
  std::string stop_reason_;
  TokenUsage usage_;
};

// {"type":"error","error":{"type":…,"message":…}}
std::string anthropic_error_body(std::string_view type, std::string_view message);
// Anthropic error type for an HTTP status the gateway answers with
// (400 invalid_request_error, 429 rate_limit_error, 503/529 overloaded_error, …).
std::string_view error_type_for_status(int status);
// OpenAI error body ({"error":{message,type,code}}) → Anthropic error body text.
std::string openai_error_to_anthropic(const boost::json::object& openai_error, int status);

}  // namespace hgw::protocol::anthropic
