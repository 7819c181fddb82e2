#include "gateway/protocol/StreamSplice.hpp"

namespace hgw::protocol {

namespace json = boost::json;

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

}  // namespace

Prefill make_prefill(std::string_view partial) {
  std::size_t end = partial.size();
  while (end > 0 && is_space(partial[end - 1])) --end;
  return {std::string(partial.substr(0, end)), std::string(partial.substr(end))};
}

json::object continuation_request(const json::object& chat, const Prefill& prefill, config::Protocol protocol) {
  json::object out = chat;
  json::array messages;
  if (const auto* m = chat.if_contains("messages"); m && m->is_array()) messages = m->as_array();
  messages.push_back(json::object{{"role", "assistant"}, {"content", prefill.text}});
  out["messages"] = std::move(messages);
  if (protocol == config::Protocol::openai) {
    // vLLM's (and SGLang's) way to continue the last assistant message
    // instead of starting a new one; llama.cpp's server continues a trailing
    // assistant message by itself.
    out["continue_final_message"] = true;
    out["add_generation_prompt"] = false;
  }
  out["stream"] = true;
  return out;
}

SpliceEditor::SpliceEditor(Prefill prefill, json::object identity, TokenUsage carried)
    : prefill_(std::move(prefill)), identity_(std::move(identity)), carried_(carried) {
  resolved_ = prefill_.text.empty() && prefill_.whitespace.empty();
}

void SpliceEditor::feed(std::string_view bytes, std::string& out) {
  events_.clear();
  parser_.feed(bytes, events_);
  for (const auto& e : events_) handle(e, out);
}

std::string SpliceEditor::take_text(std::string_view piece, bool final_chunk) {
  std::string text;
  if (resolved_) {
    text = std::string(piece);
  } else {
    pending_ += piece;
    const std::string& p = prefill_.text;
    // Still a prefix of the prefill: it may be the model repeating it.
    if (!final_chunk && pending_.size() < p.size() && p.size() <= kMaxRepeatCheck &&
        std::string_view(p).starts_with(pending_))
      return {};
    text = std::move(pending_);
    pending_.clear();
    resolved_ = true;
    if (!p.empty() && p.size() <= kMaxRepeatCheck && std::string_view(text).starts_with(p)) text.erase(0, p.size());
    whitespace_left_ = prefill_.whitespace;
  }
  // The whitespace cut off the prefill was already sent: what the model
  // gives back of it, character by character (it may come in pieces), is
  // not sent twice.
  std::size_t same = 0;
  while (same < whitespace_left_.size() && same < text.size() && text[same] == whitespace_left_[same]) ++same;
  text.erase(0, same);
  if (same == whitespace_left_.size() || !text.empty()) whitespace_left_.clear();
  else whitespace_left_.erase(0, same);
  return text;
}

void SpliceEditor::handle(const SseEvent& event, std::string& out) {
  if (event.data == "[DONE]") {
    out += format_sse("[DONE]");
    return;
  }
  boost::system::error_code ec;
  json::value v = json::parse(event.data, ec);
  if (ec || !v.is_object() || v.as_object().contains("error")) {
    out += format_sse(event.data);  // the transformer reports it
    return;
  }
  json::object& chunk = v.as_object();
  for (const auto& [key, value] : identity_) chunk[key] = value;
  bool keep = false;
  if (auto* usage = chunk.if_contains("usage"); usage && usage->is_object()) {
    TokenUsage sum = carried_ + read_usage(chunk);
    sum.known = true;
    chunk["usage"] = openai_usage(sum);
    keep = true;
  }
  if (auto* choices = chunk.if_contains("choices"); choices && choices->is_array()) {
    for (auto& c : choices->as_array()) {
      if (!c.is_object()) continue;
      auto& choice = c.as_object();
      const auto* fr = choice.if_contains("finish_reason");
      const bool final_chunk = fr && !fr->is_null();
      if (final_chunk) keep = true;
      auto* delta = choice.if_contains("delta");
      if (!delta || !delta->is_object()) continue;
      auto& d = delta->as_object();
      d.erase("role");  // the client's stream already has its preamble
      if (auto* content = d.if_contains("content"); content && content->is_string()) {
        std::string text = take_text(content->as_string(), final_chunk);
        if (text.empty())
          d.erase("content");
        else
          *content = json::string(text);
      } else if (final_chunk && !resolved_) {
        // The answer ends while its start is held: what is held goes out.
        std::string text = take_text({}, true);
        if (!text.empty()) d["content"] = text;
      }
      for (const auto& member : d)
        if (member.key() != "content" || !member.value().is_null()) keep = true;
    }
  }
  if (keep) out += format_sse(json::serialize(chunk));
}

}  // namespace hgw::protocol
