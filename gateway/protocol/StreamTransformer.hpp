// Relays an OpenAI-format SSE stream (chat completions or completions) event by
// event: reads usage as it passes, drops the usage chunk the client did not ask
// for, runs the answer text through an optional TextFilter, and notices
// [DONE], a finish_reason, malformed events and in-stream error objects.
// Pure: bytes in, bytes out — the session does the I/O.
#pragma once

#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "gateway/protocol/TextFilter.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace hgw::protocol {

class StreamTransformer {
 public:
  enum class State { ok, malformed, upstream_error, stopped };

  StreamTransformer(bool forward_usage, TextFilter* filter)
      : forward_usage_(forward_usage), filter_(filter) {}

  // Appends the bytes to send to the client. Once the state is not ok, stop
  // feeding: the stream is broken (what was appended before is still valid).
  State feed(std::string_view upstream_bytes, std::string& out);

  // Complete events seen so far (the relay commits to a backend on the first).
  int events() const { return events_; }
  bool done_seen() const { return done_seen_; }
  bool finish_seen() const { return finish_seen_; }
  int content_chunks() const { return content_chunks_; }
  // A content-bearing event passed: non-empty text, a tool-call delta, a
  // refusal or non-empty reasoning. What comes before (the role-only first
  // chunk, empty deltas, usage alone) is preamble that says nothing yet.
  bool content_seen() const { return content_seen_; }

  // For mid-stream continuation: keep the answer's text as the model wrote
  // it (before filters and restoration) and the first chunk's id, created
  // and model, which a continuation's chunks take over.
  void record_text() { record_ = true; }
  const std::string& text() const { return text_; }
  const boost::json::object& identity() const { return identity_; }
  // Only a single text answer can be continued from its text: not tool
  // calls, refusals or several choices.
  bool text_only() const { return !other_content_; }
  const TokenUsage& usage() const { return usage_; }
  const std::string& error_message() const { return error_; }
  // True when upstream bytes of an unfinished event are pending.
  bool has_partial() const { return parser_.has_partial(); }

 private:
  State handle(const SseEvent& event, std::string& out);
  bool filter_text(boost::json::object& chunk, bool final_chunk);
  bool filter_arguments(const boost::json::object& choice, boost::json::object& delta, bool final_chunk);

  bool forward_usage_;
  TextFilter* filter_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::unique_ptr<TextFilter>> argument_filters_;  // (choice, tool call)
  SseParser parser_;
  std::vector<SseEvent> pending_;
  int events_ = 0;
  int content_chunks_ = 0;
  bool content_seen_ = false;
  bool record_ = false;
  bool other_content_ = false;
  std::string text_;
  boost::json::object identity_;
  bool done_seen_ = false;
  bool finish_seen_ = false;
  TokenUsage usage_;
  std::string error_;
};

}  // namespace hgw::protocol
