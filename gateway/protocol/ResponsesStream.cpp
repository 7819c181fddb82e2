#include "gateway/protocol/ResponsesStream.hpp"

#include "gateway/protocol/ResponsesJson.hpp"

#include <utility>

namespace hgw::protocol::responses {

namespace json = boost::json;

namespace {

using detail::obj;
using detail::str;

void frame(std::string& out, const json::object& event) {
  out += format_sse(json::serialize(event), str(event.if_contains("type")));
}

// The error "type" OpenAI pairs with a code.
std::string_view error_type_for(std::string_view code) {
  if (code == "rate_limit_exceeded") return "rate_limit_error";
  if (code == "context_length_exceeded" || code.starts_with("invalid")) return "invalid_request_error";
  if (code == "insufficient_quota") return "insufficient_quota";
  return "server_error";
}

}  // namespace

namespace {

std::string error_event(std::string_view message, std::string_view code, std::uint64_t sequence_number) {
  std::string out;
  frame(out, {{"type", "error"},
              {"code", code},
              {"message", message},
              {"param", nullptr},
              {"error", {{"type", error_type_for(code)}, {"code", code}, {"message", message}, {"param", nullptr}}},
              {"sequence_number", sequence_number}});
  return out;
}

std::string failed_event(json::object response, std::string_view message, std::string_view code,
                         std::uint64_t sequence_number) {
  response["status"] = "failed";
  response["error"] = {{"code", code}, {"message", message}};
  std::string out;
  frame(out, {{"type", "response.failed"}, {"response", std::move(response)}, {"sequence_number", sequence_number}});
  return out;
}

}  // namespace

std::string failure_events(json::object response, std::string_view message, std::string_view code,
                           std::uint64_t first_sequence_number) {
  if (code.empty()) code = "server_error";
  return error_event(message, code, first_sequence_number) +
         failed_event(std::move(response), message, code, first_sequence_number + 1);
}

// ---- chat chunks → Responses events --------------------------------------------

ChatStreamToResponses::ChatStreamToResponses(ResponseContext context)
    : context_(std::move(context)), skeleton_(response_skeleton(context_)) {}

void ChatStreamToResponses::emit(std::string& out, json::object event) {
  event["sequence_number"] = sequence_++;
  frame(out, event);
}

void ChatStreamToResponses::start(std::string& out) {
  started_ = true;
  emit(out, {{"type", "response.created"}, {"response", skeleton_}});
  emit(out, {{"type", "response.in_progress"}, {"response", skeleton_}});
}

json::object ChatStreamToResponses::item_json(const Item& item, std::string_view status) const {
  if (!item.message)
    return detail::function_call_item(item.id, status, item.arguments, item.call_id, item.name,
                                      detail::namespace_of(context_.request, item.name));
  json::array content;
  for (const auto& p : item.parts) {
    if (p.refusal)
      content.push_back(json::object{{"type", "refusal"}, {"refusal", p.text}});
    else
      content.push_back(detail::output_text_part(p.text));
  }
  return detail::message_item(item.id, status, std::move(content));
}

void ChatStreamToResponses::close_part(std::string& out) {
  Item& m = items_[open_message_];
  if (m.parts.empty()) return;
  const Part& p = m.parts.back();
  const std::size_t index = m.parts.size() - 1;
  json::object done{{"type", p.refusal ? "response.refusal.done" : "response.output_text.done"},
                    {"item_id", m.id},
                    {"output_index", open_message_},
                    {"content_index", index}};
  if (p.refusal) {
    done["refusal"] = p.text;
  } else {
    done["text"] = p.text;
    done["logprobs"] = json::array{};
  }
  emit(out, std::move(done));
  emit(out, {{"type", "response.content_part.done"},
             {"item_id", m.id},
             {"output_index", open_message_},
             {"content_index", index},
             {"part", p.refusal ? json::object{{"type", "refusal"}, {"refusal", p.text}} : detail::output_text_part(p.text)}});
}

void ChatStreamToResponses::close_message(std::string& out, std::string_view status) {
  if (open_message_ < 0) return;
  close_part(out);
  Item& m = items_[open_message_];
  m.status = status;
  emit(out, {{"type", "response.output_item.done"}, {"output_index", open_message_}, {"item", item_json(m, status)}});
  open_message_ = -1;
}

void ChatStreamToResponses::on_text(std::string_view text, bool refusal, std::string& out) {
  if (open_message_ < 0) {
    Item m;
    m.id = detail::item_id("msg", context_.response_id, std::to_string(items_.size()));
    open_message_ = static_cast<int>(items_.size());
    items_.push_back(std::move(m));
    emit(out, {{"type", "response.output_item.added"},
               {"output_index", open_message_},
               {"item", item_json(items_.back(), "in_progress")}});
  }
  Item& m = items_[open_message_];
  if (m.parts.empty() || m.parts.back().refusal != refusal) {
    close_part(out);
    m.parts.push_back({refusal, {}});
    json::object part = refusal ? json::object{{"type", "refusal"}, {"refusal", ""}} : detail::output_text_part("");
    emit(out, {{"type", "response.content_part.added"},
               {"item_id", m.id},
               {"output_index", open_message_},
               {"content_index", m.parts.size() - 1},
               {"part", std::move(part)}});
  }
  m.parts.back().text += text;
  json::object delta{{"type", refusal ? "response.refusal.delta" : "response.output_text.delta"},
                     {"item_id", m.id},
                     {"output_index", open_message_},
                     {"content_index", m.parts.size() - 1},
                     {"delta", text}};
  if (!refusal) delta["logprobs"] = json::array{};
  emit(out, std::move(delta));
}

void ChatStreamToResponses::add_tool_item(ToolCall& call, std::string& out) {
  // The text before a call is finished: OpenAI never goes back to it.
  close_message(out, "completed");
  const std::string tag = std::to_string(items_.size());
  Item item;
  item.message = false;
  item.id = detail::item_id("fc", context_.response_id, tag);
  // Some local servers send calls without ids; the client must still be able
  // to answer each one by its call_id.
  item.call_id = call.call_id.empty() ? detail::item_id("call", context_.response_id, tag) : call.call_id;
  item.name = call.name;
  call.item = static_cast<int>(items_.size());
  items_.push_back(std::move(item));
  emit(out, {{"type", "response.output_item.added"},
             {"output_index", call.item},
             {"item", item_json(items_.back(), "in_progress")}});
  if (!call.pending_arguments.empty()) {
    items_.back().arguments = call.pending_arguments;
    emit(out, {{"type", "response.function_call_arguments.delta"},
               {"item_id", items_.back().id},
               {"output_index", call.item},
               {"delta", std::move(call.pending_arguments)}});
    call.pending_arguments.clear();
  }
}

void ChatStreamToResponses::on_tool_call(const json::object& c, std::string& out) {
  const std::string_view id = str(c.if_contains("id"));
  std::int64_t key = 0;
  if (const auto index = detail::integer(c, "index")) {
    key = *index;
  } else {
    // Servers that omit the index send each call whole: a new id is a new call.
    key = calls_.empty() ? 0 : calls_.rbegin()->first + (id.empty() ? 0 : 1);
  }
  if (!detail::integer(c, "index") && !id.empty())
    for (const auto& [k, known] : calls_)
      if (known.call_id == id) key = k;
  ToolCall& call = calls_[key];
  const json::object* fn = obj(c, "function");
  if (call.item < 0) {
    if (!id.empty() && call.call_id.empty()) call.call_id = id;
    if (const auto name = fn ? str(fn->if_contains("name")) : std::string_view{}; !name.empty() && call.name.empty())
      call.name = name;
  }
  const std::string_view args = fn ? str(fn->if_contains("arguments")) : std::string_view{};
  // output_item.added needs the name (clients show it at once), so the item
  // starts when the name is known; arguments that come first wait for it.
  if (call.item < 0) {
    call.pending_arguments += args;
    if (!call.name.empty()) add_tool_item(call, out);
    return;
  }
  if (args.empty()) return;
  Item& item = items_[call.item];
  item.arguments += args;
  emit(out, {{"type", "response.function_call_arguments.delta"},
             {"item_id", item.id},
             {"output_index", call.item},
             {"delta", args}});
}

bool ChatStreamToResponses::feed(std::string_view data, std::string& out) {
  if (finished_) return true;  // nothing may follow the end; ignore rather than break a finished answer
  if (data == "[DONE]") {
    out += complete();
    return true;
  }
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  if (ec || !v.is_object()) {
    error_ = "backend sent a stream chunk that is not a JSON object";
    return false;
  }
  const auto& chunk = v.as_object();
  if (const json::value* err = chunk.if_contains("error"); err && !err->is_null()) {
    upstream_error_ = true;
    error_ = "backend reported an error inside the stream";
    if (const json::object* e = err->if_object())
      if (const auto m = str(e->if_contains("message")); !m.empty()) error_ += ": " + std::string(m);
    return false;
  }
  if (!started_) start(out);
  if (const TokenUsage u = read_usage(chunk); u.known) {
    usage_ = u;
    reasoning_tokens_ = detail::chat_reasoning_tokens(chunk);
  }
  const json::value* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array()) return true;
  for (const auto& ch : choices->as_array()) {
    const json::object* choice = ch.if_object();
    if (!choice) continue;
    if (const auto index = detail::integer(*choice, "index"); index && *index != 0) continue;  // only n=1 is translated
    if (const json::object* delta = obj(*choice, "delta")) {
      // reasoning_content (vLLM, DeepSeek) has no place in the Responses
      // output of a chat backend: the answer is complete without it.
      if (const auto text = str(delta->if_contains("content")); !text.empty()) on_text(text, false, out);
      if (const auto refusal = str(delta->if_contains("refusal")); !refusal.empty()) on_text(refusal, true, out);
      if (const json::value* calls = delta->if_contains("tool_calls"); calls && calls->is_array())
        for (const auto& call : calls->as_array())
          if (const json::object* c = call.if_object()) on_tool_call(*c, out);
    }
    if (const auto fr = str(choice->if_contains("finish_reason")); !fr.empty()) finish_reason_ = fr;
  }
  return true;
}

std::string ChatStreamToResponses::complete() {
  std::string out;
  if (finished_) return out;
  if (!started_) start(out);
  if (finish_reason_ == "length") incomplete_reason_ = "max_output_tokens";
  else if (finish_reason_ == "content_filter") incomplete_reason_ = "content_filter";
  status_ = incomplete_reason_.empty() ? "completed" : "incomplete";
  const std::string_view item_status = incomplete_reason_.empty() ? "completed" : "incomplete";
  // Calls whose name never came are still the model's output.
  for (auto& [key, call] : calls_)
    if (call.item < 0) add_tool_item(call, out);
  close_message(out, item_status);
  for (auto& [key, call] : calls_) {
    Item& item = items_[call.item];
    item.status = item_status;
    emit(out, {{"type", "response.function_call_arguments.done"},
               {"item_id", item.id},
               {"output_index", call.item},
               {"name", item.name},
               {"arguments", item.arguments}});
    emit(out, {{"type", "response.output_item.done"}, {"output_index", call.item}, {"item", item_json(item, item_status)}});
  }
  finished_ = true;
  emit(out, {{"type", status_ == "completed" ? "response.completed" : "response.incomplete"}, {"response", response()}});
  return out;
}

std::string ChatStreamToResponses::finish() {
  if (finished_) return {};
  if (!finish_reason_.empty()) return complete();
  return fail("the backend's stream ended before the answer was finished", "server_error");
}

std::string ChatStreamToResponses::fail(std::string_view message, std::string_view code) {
  std::string out;
  if (finished_) return out;
  if (!started_) start(out);
  finished_ = true;
  status_ = "failed";
  failure_code_ = code.empty() ? "server_error" : code;
  failure_message_ = message;
  json::object snapshot = response();
  out += failure_events(std::move(snapshot), message, failure_code_, sequence_);
  sequence_ += 2;
  return out;
}

json::object ChatStreamToResponses::response() const {
  json::object r = skeleton_;
  r["status"] = status_;
  // Items still open when the response ended did not finish.
  const bool ended = status_ != "in_progress";
  json::array output;
  for (const auto& item : items_)
    output.push_back(item_json(item, item.status != "in_progress" || !ended ? std::string_view(item.status) : "incomplete"));
  r["output"] = std::move(output);
  if (!incomplete_reason_.empty()) r["incomplete_details"] = {{"reason", incomplete_reason_}};
  if (status_ == "failed") r["error"] = {{"code", failure_code_}, {"message", failure_message_}};
  // Zeros when the backend sent no usage chunk: clients (the Vercel AI SDK)
  // require the numbers in response.completed.
  if (ended) r["usage"] = responses_usage(usage_, reasoning_tokens_);
  return r;
}

}  // namespace hgw::protocol::responses
