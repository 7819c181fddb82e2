// Stream translation between Anthropic Messages events and OpenAI
// chat.completion.chunk payloads, both ways. Event by event, nothing buffered
// beyond the state needed to map content blocks to tool call indexes.
#include "gateway/protocol/AnthropicTranslate.hpp"

#include "gateway/protocol/AnthropicJson.hpp"

#include <ctime>

namespace hgw::protocol::anthropic {

namespace json = boost::json;

namespace {

using detail::str;
using detail::strip_prefix;

const json::object* obj(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

// Reads an integer field; false when absent or not an integer.
bool integer(const json::object& o, std::string_view key, std::int64_t& out) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_int64()) out = v->as_int64();
  else if (v && v->is_uint64()) out = static_cast<std::int64_t>(v->as_uint64());
  else return false;
  return true;
}


}  // namespace

// ---- Anthropic events → OpenAI chunks ----------------------------------------

MessagesStreamToChat::MessagesStreamToChat(std::string request_id_hint)
    : id_(std::move(request_id_hint)), created_(static_cast<std::int64_t>(std::time(nullptr))) {}

TokenUsage MessagesStreamToChat::usage() const {
  TokenUsage u;
  u.input = input_ + cache_read_ + cache_creation_;
  u.output = output_;
  u.cached = cache_read_;
  u.known = usage_seen_;
  return u;
}

bool MessagesStreamToChat::fail(std::string message, bool upstream) {
  error_ = std::move(message);
  upstream_error_ = upstream;
  return false;
}

std::string MessagesStreamToChat::chunk(json::object delta, const char* finish_reason) const {
  json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
  if (finish_reason)
    choice["finish_reason"] = finish_reason;
  else
    choice["finish_reason"] = nullptr;
  return json::serialize(json::object{{"id", id_},
                                      {"object", "chat.completion.chunk"},
                                      {"created", created_},
                                      {"model", model_},
                                      {"choices", json::array{std::move(choice)}}});
}

// Anthropic reports usage in pieces (input at message_start, output — and in
// newer versions input again — at message_delta): each field is the latest value.
void MessagesStreamToChat::read_usage_fields(const json::object& usage) {
  auto take = [&](const char* key, std::uint64_t& field) {
    const json::value* v = usage.if_contains(key);
    if (v && v->is_uint64()) field = v->as_uint64();
    else if (v && v->is_int64() && v->as_int64() >= 0) field = static_cast<std::uint64_t>(v->as_int64());
    else return;
    usage_seen_ = true;
  };
  take("input_tokens", input_);
  take("output_tokens", output_);
  take("cache_read_input_tokens", cache_read_);
  take("cache_creation_input_tokens", cache_creation_);
}

bool MessagesStreamToChat::on_message_start(const json::object& data, std::vector<std::string>& out) {
  const json::object* message = obj(data, "message");
  if (!message) return fail("Anthropic message_start event without a message object");
  if (auto id = str(message->if_contains("id")); !id.empty()) id_ = "chatcmpl-" + std::string(id);
  model_ = str(message->if_contains("model"));
  if (const json::object* usage = obj(*message, "usage")) read_usage_fields(*usage);
  started_ = true;
  out.push_back(chunk({{"role", "assistant"}, {"content", ""}}));
  return true;
}

bool MessagesStreamToChat::on_block_start(const json::object& data, std::vector<std::string>& out) {
  std::int64_t index = 0;
  const json::object* block = obj(data, "content_block");
  if (!integer(data, "index", index) || !block)
    return fail("Anthropic content_block_start event without index or content_block");
  const auto type = str(block->if_contains("type"));
  Block b;
  if (type == "text") {
    b.kind = Block::text;
    if (auto text = str(block->if_contains("text")); !text.empty()) out.push_back(chunk({{"content", text}}));
  } else if (type == "tool_use") {
    b.kind = Block::tool;
    b.tool_index = tool_calls_++;
    // The input normally streams as input_json_delta; a non-empty one here is the whole input.
    std::string args;
    if (const json::object* input = obj(*block, "input"); input && !input->empty()) args = json::serialize(*input);
    json::object call{{"index", b.tool_index},
                      {"id", str(block->if_contains("id"))},
                      {"type", "function"},
                      {"function", {{"name", str(block->if_contains("name"))}, {"arguments", args}}}};
    out.push_back(chunk({{"tool_calls", json::array{std::move(call)}}}));
  }
  blocks_[index] = b;
  return true;
}

bool MessagesStreamToChat::on_block_delta(const json::object& data, std::vector<std::string>& out) {
  std::int64_t index = 0;
  const json::object* delta = obj(data, "delta");
  if (!integer(data, "index", index) || !delta) return fail("Anthropic content_block_delta event without index or delta");
  const auto it = blocks_.find(index);
  if (it == blocks_.end())
    return fail("Anthropic content_block_delta for block " + std::to_string(index) + " that was never started");
  const auto type = str(delta->if_contains("type"));
  if (type == "text_delta" && it->second.kind == Block::text) {
    if (auto text = str(delta->if_contains("text")); !text.empty()) out.push_back(chunk({{"content", text}}));
  } else if (type == "input_json_delta" && it->second.kind == Block::tool) {
    if (auto part = str(delta->if_contains("partial_json")); !part.empty()) {
      json::object call{{"index", it->second.tool_index}, {"function", {{"arguments", part}}}};
      out.push_back(chunk({{"tool_calls", json::array{std::move(call)}}}));
    }
  }
  // thinking_delta, signature_delta, citations_delta: nothing to say in OpenAI chat.
  return true;
}

void MessagesStreamToChat::on_message_delta(const json::object& data, std::vector<std::string>& out) {
  if (const json::object* usage = obj(data, "usage")) read_usage_fields(*usage);
  const json::object* delta = obj(data, "delta");
  const json::value* reason = delta ? delta->if_contains("stop_reason") : nullptr;
  if (!reason || reason->is_null()) return;
  const std::string finish(finish_reason_for(str(reason)));
  out.push_back(chunk({}, finish.c_str()));
  finish_sent_ = true;
}

void MessagesStreamToChat::on_message_stop(std::vector<std::string>& out) {
  // A message_stop without a stop_reason still ends the answer normally.
  if (!finish_sent_) out.push_back(chunk({}, "stop"));
  out.push_back(json::serialize(json::object{{"id", id_},
                                             {"object", "chat.completion.chunk"},
                                             {"created", created_},
                                             {"model", model_},
                                             {"choices", json::array{}},
                                             {"usage", openai_usage(usage())}}));
  out.push_back("[DONE]");
  finished_ = true;
}

bool MessagesStreamToChat::feed(const SseEvent& event, std::vector<std::string>& out) {
  if (finished_) return true;  // nothing may follow message_stop; ignore rather than fail a complete answer
  if (event.event == "ping" && event.data.empty()) return true;
  boost::system::error_code ec;
  json::value v = json::parse(event.data, ec);
  if (ec || !v.is_object())
    return fail("Anthropic sent an SSE event that is not a JSON object (event '" +
                detail::printable_name(event.event) + "')");
  const auto& data = v.as_object();
  std::string type(str(data.if_contains("type")));
  if (type.empty()) type = event.event;

  if (type == "error") {
    const json::object* err = obj(data, "error");
    const auto etype = err ? str(err->if_contains("type")) : std::string_view{};
    const auto message = err ? str(err->if_contains("message")) : std::string_view{};
    return fail("Anthropic backend error" + (etype.empty() ? std::string() : " (" + std::string(etype) + ")") + ": " +
                    (message.empty() ? std::string("no message") : std::string(message)),
                true);
  }
  if (type == "ping") return true;
  if (type == "message_start") return on_message_start(data, out);
  if (!started_) return fail("Anthropic sent '" + detail::printable_name(type) + "' before message_start");
  if (type == "content_block_start") return on_block_start(data, out);
  if (type == "content_block_delta") return on_block_delta(data, out);
  if (type == "message_delta") on_message_delta(data, out);
  else if (type == "message_stop") on_message_stop(out);
  // content_block_stop needs nothing; unknown event types are skipped, as Anthropic asks of clients.
  return true;
}

// ---- OpenAI chunks → Anthropic events ----------------------------------------

namespace {
void emit(std::string& out, const json::object& event) {
  out += format_sse(json::serialize(event), str(event.if_contains("type")));
}
}  // namespace

ChatStreamToMessages::ChatStreamToMessages(std::string model) : model_(std::move(model)) {}

void ChatStreamToMessages::start(const json::object& chunk, std::string& out) {
  std::string id = strip_prefix(str(chunk.if_contains("id")), "chatcmpl-");
  id_ = "msg_" + (id.empty() ? std::string("hybridgw") : id);
  json::object message{{"id", id_},
                       {"type", "message"},
                       {"role", "assistant"},
                       {"model", model_},
                       {"content", json::array{}},
                       {"stop_reason", nullptr},
                       {"stop_sequence", nullptr},
                       // OpenAI reports usage only at the end: the real numbers go in message_delta.
                       {"usage", {{"input_tokens", 0}, {"output_tokens", 0}}}};
  emit(out, {{"type", "message_start"}, {"message", std::move(message)}});
  started_ = true;
}

void ChatStreamToMessages::close_block(std::string& out) {
  if (open_block_ < 0) return;
  emit(out, {{"type", "content_block_stop"}, {"index", open_block_}});
  open_block_ = -1;
}

void ChatStreamToMessages::open_block(json::object block, std::string& out) {
  close_block(out);
  open_block_ = next_block_++;
  open_is_text_ = str(block.if_contains("type")) == "text";
  emit(out, {{"type", "content_block_start"}, {"index", open_block_}, {"content_block", std::move(block)}});
}

bool ChatStreamToMessages::on_tool_call(const json::object& call, std::string& out) {
  const auto id = str(call.if_contains("id"));
  std::int64_t key = 0;
  if (!integer(call, "index", key)) {
    // Some servers omit index and send each call whole: a new id is a new call.
    key = static_cast<std::int64_t>(tool_blocks_.size()) - (id.empty() ? 1 : 0);
  }
  const json::object* fn = obj(call, "function");
  auto it = tool_blocks_.find(key);
  if (it == tool_blocks_.end()) {
    const std::string tool_id =
        id.empty() ? "toolu_" + id_.substr(id_.find('_') + 1) + "_" + std::to_string(key) : std::string(id);
    open_block({{"type", "tool_use"},
                {"id", tool_id},
                {"name", fn ? str(fn->if_contains("name")) : std::string_view{}},
                {"input", json::object{}}},
               out);
    it = tool_blocks_.emplace(key, open_block_).first;
  }
  const auto args = fn ? str(fn->if_contains("arguments")) : std::string_view{};
  if (args.empty()) return true;
  if (it->second != open_block_) {
    error_ = "backend interleaved the arguments of parallel tool calls, which Anthropic streams cannot carry";
    return false;
  }
  emit(out, {{"type", "content_block_delta"},
             {"index", open_block_},
             {"delta", {{"type", "input_json_delta"}, {"partial_json", args}}}});
  return true;
}

bool ChatStreamToMessages::feed(std::string_view data, std::string& out) {
  if (finished_) return true;
  if (data == "[DONE]") {
    out += finish();
    return true;
  }
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  if (ec || !v.is_object()) {
    error_ = "backend sent a stream chunk that is not a JSON object";
    return false;
  }
  const auto& chunk = v.as_object();
  if (auto* err = chunk.if_contains("error"); err && !err->is_null()) {
    upstream_error_ = true;
    error_ = "backend reported an error inside the stream";
    if (auto* e = err->if_object())
      if (auto m = str(e->if_contains("message")); !m.empty()) error_ += ": " + std::string(m);
    return false;
  }
  if (const TokenUsage u = read_usage(chunk); u.known) usage_ = u;
  if (!started_) start(chunk, out);
  const json::value* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array()) return true;
  for (const auto& c : choices->as_array()) {
    const json::object* choice = c.if_object();
    std::int64_t index = 0;
    if (!choice || (integer(*choice, "index", index) && index != 0)) continue;  // only n=1 is translated
    if (const json::object* delta = obj(*choice, "delta")) {
      if (auto text = str(delta->if_contains("content")); !text.empty()) {
        if (open_block_ < 0 || !open_is_text_) open_block({{"type", "text"}, {"text", ""}}, out);
        emit(out, {{"type", "content_block_delta"},
                   {"index", open_block_},
                   {"delta", {{"type", "text_delta"}, {"text", text}}}});
      }
      if (auto* calls = delta->if_contains("tool_calls"); calls && calls->is_array())
        for (const auto& call : calls->as_array())
          if (call.is_object() && !on_tool_call(call.as_object(), out)) return false;
    }
    if (auto fr = str(choice->if_contains("finish_reason")); !fr.empty()) stop_reason_ = stop_reason_for(fr);
  }
  return true;
}

std::string ChatStreamToMessages::finish() {
  std::string out;
  if (finished_) return out;
  if (!started_) start({}, out);
  close_block(out);
  emit(out, {{"type", "message_delta"},
             {"delta", {{"stop_reason", stop_reason_.empty() ? "end_turn" : stop_reason_}, {"stop_sequence", nullptr}}},
             {"usage", anthropic_usage(usage_)}});
  emit(out, {{"type", "message_stop"}});
  finished_ = true;
  return out;
}

}  // namespace hgw::protocol::anthropic
