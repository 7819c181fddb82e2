// Both stream translators of gateway/protocol/AnthropicTranslate.hpp fed the
// events of one SSE stream (an Anthropic backend's, or an OpenAI-format one's):
//  - MessagesStreamToChat: every payload is "[DONE]" (last, once) or a JSON
//    chat.completion.chunk; nothing after the end.
//  - ChatStreamToMessages: the output is an Anthropic event stream a client
//    SDK accepts: named events whose data is the JSON object of that type;
//    message_start first, blocks opened with consecutive indexes, deltas only
//    into the open block and of its kind, each block stopped, message_delta
//    and message_stop last.
// Everything written to the client must be valid UTF-8.
#include "gateway/protocol/AnthropicTranslate.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "tests/fuzz/FuzzSupport.hpp"

#include <string>

namespace json = boost::json;
namespace an = hgw::protocol::anthropic;
using hgw::fuzz::check;
using hgw::protocol::SseEvent;

namespace {

std::string_view string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

void anthropic_to_chat(const std::vector<SseEvent>& events) {
  an::MessagesStreamToChat t("chatcmpl-fuzz");
  std::vector<std::string> out;
  bool done = false;
  for (const auto& e : events) {
    out.clear();
    const bool ok = t.feed(e, out);
    for (const auto& payload : out) {
      check(!done, "MessagesStreamToChat: a payload after [DONE]");
      check(hgw::fuzz::valid_utf8(payload), "MessagesStreamToChat: payload is not valid UTF-8", payload);
      if (payload == "[DONE]") {
        done = true;
        continue;
      }
      boost::system::error_code ec;
      const json::value v = json::parse(payload, ec);
      check(!ec && v.is_object() && string_of(v.as_object(), "object") == "chat.completion.chunk",
            "MessagesStreamToChat: payload is not a chat.completion.chunk", payload);
    }
    if (!ok) {
      check(!t.error_message().empty() && hgw::fuzz::valid_utf8(t.error_message()),
            "MessagesStreamToChat: failure without a readable reason");
      return;  // the gateway ends the client's stream with an error event here
    }
    check(done == t.finished(), "MessagesStreamToChat: finished() disagrees with [DONE]");
  }
}

// Validates an Anthropic event stream, event by event.
class AnthropicStreamCheck {
 public:
  void event(const SseEvent& e) {
    check(!stopped_, "ChatStreamToMessages: an event after message_stop", e.event);
    boost::system::error_code ec;
    const json::value v = json::parse(e.data, ec);
    check(!ec && v.is_object(), "ChatStreamToMessages: event data is not a JSON object", e.data);
    const auto& o = v.as_object();
    const std::string_view type = string_of(o, "type");
    check(type == e.event, "ChatStreamToMessages: event name differs from data.type", e.event);
    check(started_ || type == "message_start", "ChatStreamToMessages: first event is not message_start", type);
    if (type == "message_start") {
      check(!started_, "ChatStreamToMessages: second message_start");
      started_ = true;
    } else if (type == "content_block_start") {
      check(open_ < 0, "ChatStreamToMessages: a block opened while another is open");
      check(index(o) == next_, "ChatStreamToMessages: block indexes not consecutive");
      const json::value* b = o.if_contains("content_block");
      check(b && b->is_object(), "ChatStreamToMessages: content_block_start without content_block");
      open_kind_ = std::string(string_of(b->as_object(), "type"));
      check(open_kind_ == "text" || open_kind_ == "tool_use", "ChatStreamToMessages: unknown block type");
      open_ = next_++;
    } else if (type == "content_block_delta") {
      check(open_ >= 0 && index(o) == open_, "ChatStreamToMessages: delta not into the open block");
      const json::value* d = o.if_contains("delta");
      check(d && d->is_object(), "ChatStreamToMessages: content_block_delta without delta");
      const std::string_view dt = string_of(d->as_object(), "type");
      check((dt == "text_delta" && open_kind_ == "text") || (dt == "input_json_delta" && open_kind_ == "tool_use"),
            "ChatStreamToMessages: delta of another kind than its block", dt);
    } else if (type == "content_block_stop") {
      check(open_ >= 0 && index(o) == open_, "ChatStreamToMessages: stop of a block that is not open");
      open_ = -1;
    } else if (type == "message_delta") {
      check(open_ < 0, "ChatStreamToMessages: message_delta with a block still open");
      delta_ = true;
    } else if (type == "message_stop") {
      check(delta_, "ChatStreamToMessages: message_stop without message_delta");
      stopped_ = true;
    } else {
      check(false, "ChatStreamToMessages: unknown event type", type);
    }
  }
  bool stopped() const { return stopped_; }

 private:
  static std::int64_t index(const json::object& o) {
    const json::value* i = o.if_contains("index");
    return i && i->is_int64() ? i->as_int64() : (i && i->is_uint64() ? static_cast<std::int64_t>(i->as_uint64()) : -2);
  }
  bool started_ = false, delta_ = false, stopped_ = false;
  std::int64_t next_ = 0, open_ = -1;
  std::string open_kind_;
};

void chat_to_anthropic(const std::vector<SseEvent>& events) {
  an::ChatStreamToMessages t("claude-fuzz");
  hgw::protocol::SseParser reparse;
  AnthropicStreamCheck checker;
  std::vector<SseEvent> produced;
  auto consume = [&](const std::string& framed) {
    check(hgw::fuzz::valid_utf8(framed), "ChatStreamToMessages: output is not valid UTF-8", framed);
    produced.clear();
    check(reparse.feed(framed, produced), "ChatStreamToMessages: output is not SSE");
    for (const auto& e : produced) checker.event(e);
  };
  for (const auto& e : events) {
    std::string framed;
    const bool ok = t.feed(e.data, framed);
    consume(framed);
    if (!ok) {
      check(!t.error_message().empty() && hgw::fuzz::valid_utf8(t.error_message()),
            "ChatStreamToMessages: failure without a readable reason");
      return;
    }
  }
  consume(t.finish());
  check(checker.stopped() && t.finished() && !reparse.has_partial(),
        "ChatStreamToMessages: finish() did not end the stream with message_stop");
  check(t.finish().empty(), "ChatStreamToMessages: a second finish() wrote more");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hgw::protocol::SseParser parser;
  std::vector<SseEvent> events;
  parser.feed(hgw::fuzz::as_text(data, size), events);
  anthropic_to_chat(events);
  chat_to_anthropic(events);
  return 0;
}
