#include "gateway/shadow/AnswerText.hpp"

#include "gateway/protocol/SseParser.hpp"

#include <map>
#include <vector>

namespace hgw::shadow {

namespace json = boost::json;

namespace {

std::string content_text(const json::value* content) {
  std::string out;
  if (!content) return out;
  if (const auto* s = content->if_string()) return std::string(*s);
  if (const auto* parts = content->if_array())
    for (const auto& p : *parts)
      if (const auto* po = p.if_object())
        if (const auto* t = po->if_contains("text"); t && t->is_string()) out += t->get_string();
  return out;
}

// As hybridgw eval shows an answer to its judge (eval/GatewayReply.cpp).
void append_tool_calls(const json::value* calls, std::string& text) {
  if (!calls || !calls->is_array() || calls->get_array().empty()) return;
  text += (text.empty() ? "" : "\n") + std::string("[tool calls] ") + json::serialize(*calls);
}

const json::object* first_choice(const json::object& o) {
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return nullptr;
  return choices->get_array()[0].if_object();
}

config::Protocol protocol_of(const protocol::ClientCodec& client) {
  if (&client == &protocol::client_codec(policy::Endpoint::messages)) return config::Protocol::anthropic;
  if (&client == &protocol::client_codec(policy::Endpoint::responses)) return config::Protocol::openai_responses;
  return config::Protocol::openai;
}

// OpenAI chunks (chat.completion.chunk or text_completion) → the text.
std::optional<std::string> stream_text(std::string_view openai_sse) {
  protocol::SseParser parser;
  std::vector<protocol::SseEvent> events;
  if (!parser.feed(openai_sse, events)) return std::nullopt;
  std::string text;
  // Tool calls arrive in pieces, by index: name once, arguments in parts.
  std::map<std::int64_t, json::object> calls;
  bool any = false;
  for (const auto& e : events) {
    if (e.data == "[DONE]" || e.data.empty()) continue;
    boost::system::error_code ec;
    auto v = json::parse(e.data, ec);
    if (ec || !v.is_object()) return std::nullopt;
    if (v.as_object().contains("error")) return std::nullopt;
    const auto* choice = first_choice(v.as_object());
    if (!choice) continue;  // a usage-only chunk
    any = true;
    if (const auto* t = choice->if_contains("text"); t && t->is_string()) text += t->get_string();
    const auto* delta = choice->if_contains("delta");
    if (!delta || !delta->is_object()) continue;
    text += content_text(delta->get_object().if_contains("content"));
    const auto* tc = delta->get_object().if_contains("tool_calls");
    if (!tc || !tc->is_array()) continue;
    for (const auto& piece : tc->get_array()) {
      const auto* p = piece.if_object();
      if (!p) continue;
      std::int64_t index = 0;
      if (const auto* i = p->if_contains("index"); i && i->is_int64()) index = i->get_int64();
      auto& call = calls[index];
      if (const auto* id = p->if_contains("id"); id && id->is_string()) call["id"] = *id;
      call["type"] = "function";
      auto& fn = call["function"];
      if (!fn.is_object()) fn = json::object{{"name", ""}, {"arguments", ""}};
      if (const auto* f = p->if_contains("function"); f && f->is_object()) {
        if (const auto* n = f->get_object().if_contains("name"); n && n->is_string())
          fn.as_object()["name"] = *n;
        if (const auto* a = f->get_object().if_contains("arguments"); a && a->is_string()) {
          std::string args(fn.as_object()["arguments"].as_string());
          args += a->get_string();
          fn.as_object()["arguments"] = args;
        }
      }
    }
  }
  if (!any) return std::nullopt;
  if (!calls.empty()) {
    json::value list = json::array();
    for (auto& [i, c] : calls) list.as_array().push_back(std::move(c));
    append_tool_calls(&list, text);
  }
  return text;
}

}  // namespace

std::optional<std::string> openai_answer_text(const json::object& answer) {
  const auto* choice = first_choice(answer);
  if (!choice) return std::nullopt;
  if (const auto* m = choice->if_contains("message"); m && m->is_object()) {
    std::string text = content_text(m->get_object().if_contains("content"));
    append_tool_calls(m->get_object().if_contains("tool_calls"), text);
    return text;
  }
  if (const auto* t = choice->if_contains("text"); t && t->is_string()) return std::string(t->get_string());
  return std::nullopt;
}

std::optional<std::string> client_answer_text(const protocol::ClientCodec& client, bool streamed,
                                              std::string_view bytes) {
  const auto& codec = protocol::backend_codec(protocol_of(client));
  if (!streamed) {
    boost::system::error_code ec;
    auto v = json::parse(bytes, ec);
    if (ec || !v.is_object()) return std::nullopt;
    if (codec.speaks_openai()) return openai_answer_text(v.as_object());
    return openai_answer_text(codec.answer_to_openai(v.as_object()));
  }
  auto decoder = codec.stream_decoder("shadow");
  if (!decoder) return stream_text(bytes);
  std::string openai_sse;
  if (!decoder->feed(bytes, openai_sse)) return std::nullopt;
  return stream_text(openai_sse);
}

}  // namespace hgw::shadow
