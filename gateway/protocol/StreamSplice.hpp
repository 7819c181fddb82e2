// Mid-stream continuation (routes[].failover.mid_stream: continue): when a
// committed text stream breaks, the next target that takes a prefill is
// asked to go on from the partial answer, and its stream is spliced into the
// client's. Pure pieces of it:
//  - continuation_request: the chat request with the partial answer as the
//    trailing assistant message (its trailing whitespace cut off, because
//    Anthropic refuses a prefill that ends in whitespace), and for OpenAI-
//    protocol servers vLLM's continue_final_message / add_generation_prompt;
//  - SpliceEditor: the continuation's OpenAI chunks as the client must see
//    them — no second preamble, the first stream's id, created and model, no
//    text repeated at the splice (a model that starts by repeating the
//    prefill, or gives back the whitespace that was cut), usage as the sum of
//    both attempts.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/SseParser.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace hgw::protocol {

struct Prefill {
  std::string text;        // sent as the assistant's start (no trailing whitespace)
  std::string whitespace;  // what was cut off its end (the client has seen it)
};
Prefill make_prefill(std::string_view partial_answer);

boost::json::object continuation_request(const boost::json::object& chat, const Prefill& prefill,
                                         config::Protocol protocol);

class SpliceEditor {
 public:
  // identity: id / created / model of the first stream's chunks; carried: the
  // usage of the attempts before (added to the continuation's own).
  SpliceEditor(Prefill prefill, boost::json::object identity, TokenUsage carried);

  // Continuation SSE bytes (OpenAI chunks) → the OpenAI chunks the client's
  // stream goes on with. What is not a JSON chunk, or carries an error, is
  // passed on for the transformer to report.
  void feed(std::string_view bytes, std::string& out);

  const TokenUsage& carried() const { return carried_; }

  // A repeat longer than this is not looked for (the text is released).
  static constexpr std::size_t kMaxRepeatCheck = 4096;

 private:
  void handle(const SseEvent& event, std::string& out);
  // Splice-point text: held while it may still be a repeat of the prefill.
  std::string take_text(std::string_view piece, bool final_chunk);

  Prefill prefill_;
  boost::json::object identity_;
  TokenUsage carried_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  std::string pending_;
  std::string whitespace_left_;  // of the prefill's cut whitespace, what the model may still give back
  bool resolved_ = false;
};

}  // namespace hgw::protocol
