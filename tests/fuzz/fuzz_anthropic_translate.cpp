// The non-streamed Anthropic translations (gateway/protocol/AnthropicTranslate.hpp),
// all four directions and the error mappings, on one JSON body (a client's
// request, or a backend's answer or error). Checks: nothing throws; a
// translation either fails with a reason or gives a body of the documented
// shape; everything that ends up in a body or an error message is valid
// UTF-8 and serialises to JSON that parses back to the same value.
#include "gateway/protocol/AnthropicTranslate.hpp"
#include "tests/fuzz/FuzzSupport.hpp"

#include <string>

namespace json = boost::json;
namespace an = hgw::protocol::anthropic;
using hgw::fuzz::check;

namespace {

void check_json(const json::value& v, const char* what) {
  const std::string text = json::serialize(v);
  check(hgw::fuzz::valid_utf8(text), what, "serialised body is not valid UTF-8");
  boost::system::error_code ec;
  const json::value back = json::parse(text, ec);
  check(!ec && back == v, what, "serialised body does not parse back to itself");
}

void check_error(const std::string& error, const char* what) {
  // The reason becomes the message of a 400 body for the client.
  check(hgw::fuzz::valid_utf8(error), what, error);
}

const json::array* array_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_array() : nullptr;
}

std::string_view string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

bool positive_int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && ((v->is_uint64() && v->as_uint64() > 0) || (v->is_int64() && v->as_int64() > 0));
}

void chat_to_messages(const json::object& in, bool stream) {
  const an::Translation t = an::chat_request_to_messages(in, "claude-backend", stream);
  check_error(t.error, "chat_request_to_messages: reason is not valid UTF-8");
  if (!t.error.empty()) return;
  const auto& b = t.body;
  check(string_of(b, "model") == "claude-backend", "chat_request_to_messages: model not the backend's");
  check(positive_int(b, "max_tokens"), "chat_request_to_messages: max_tokens not a positive integer");
  const json::array* msgs = array_of(b, "messages");
  check(msgs && !msgs->empty(), "chat_request_to_messages: no messages");
  std::string_view previous;
  for (const auto& m : *msgs) {
    const json::object* o = m.if_object();
    check(o != nullptr, "chat_request_to_messages: a message is not an object");
    const std::string_view role = string_of(*o, "role");
    check(role == "user" || role == "assistant", "chat_request_to_messages: role not user/assistant");
    check(role != previous, "chat_request_to_messages: two messages of one role in a row");
    const json::array* content = array_of(*o, "content");
    check(content && !content->empty(), "chat_request_to_messages: empty content");
    previous = role;
  }
  check(b.contains("stream") == stream, "chat_request_to_messages: stream flag lost or invented");
  check_json(b, "chat_request_to_messages");
}

void messages_to_chat(const json::object& in, bool stream) {
  const an::Translation t = an::messages_request_to_chat(in, "local-model", stream);
  check_error(t.error, "messages_request_to_chat: reason is not valid UTF-8");
  if (!t.error.empty()) return;
  const auto& b = t.body;
  check(string_of(b, "model") == "local-model", "messages_request_to_chat: model not the backend's");
  check(positive_int(b, "max_tokens"), "messages_request_to_chat: max_tokens not a positive integer");
  const json::array* msgs = array_of(b, "messages");
  check(msgs && !msgs->empty(), "messages_request_to_chat: no messages");
  for (const auto& m : *msgs) {
    const json::object* o = m.if_object();
    check(o != nullptr, "messages_request_to_chat: a message is not an object");
    const std::string_view role = string_of(*o, "role");
    check(role == "system" || role == "user" || role == "assistant" || role == "tool",
          "messages_request_to_chat: unexpected role", role);
  }
  check_json(b, "messages_request_to_chat");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  const json::value v = json::parse(hgw::fuzz::as_text(data, size), ec);
  if (ec || !v.is_object()) return 0;
  const json::object& in = v.as_object();

  for (bool stream : {false, true}) {
    chat_to_messages(in, stream);
    messages_to_chat(in, stream);
  }

  const json::object chat = an::messages_response_to_chat(in);
  check(string_of(chat, "object") == "chat.completion", "messages_response_to_chat: not a chat.completion");
  const json::array* choices = array_of(chat, "choices");
  check(choices && choices->size() == 1 && choices->front().is_object() &&
            choices->front().as_object().contains("message"),
        "messages_response_to_chat: not one choice with a message");
  check_json(chat, "messages_response_to_chat");

  const json::object msg = an::chat_response_to_messages(in);
  check(string_of(msg, "type") == "message" && string_of(msg, "role") == "assistant" && array_of(msg, "content"),
        "chat_response_to_messages: not an assistant message");
  check_json(msg, "chat_response_to_messages");

  const json::object err = an::error_to_openai(in);
  const json::value* e = err.if_contains("error");
  check(e && e->is_object() && !string_of(e->as_object(), "message").empty(),
        "error_to_openai: no error.message");
  check_json(err, "error_to_openai");

  for (int status : {400, 429, 500, 529}) {
    const std::string body = an::openai_error_to_anthropic(in, status);
    const json::value parsed = json::parse(body, ec);
    check(!ec && parsed.is_object() && string_of(parsed.as_object(), "type") == "error",
          "openai_error_to_anthropic: not an Anthropic error body", body);
    check(hgw::fuzz::valid_utf8(body), "openai_error_to_anthropic: not valid UTF-8");
  }
  return 0;
}
