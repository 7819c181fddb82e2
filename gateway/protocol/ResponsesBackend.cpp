#include "gateway/protocol/ResponsesBackend.hpp"

#include "gateway/protocol/ResponsesJson.hpp"
#include "gateway/protocol/ResponsesResponse.hpp"

#include <algorithm>

namespace hgw::protocol::responses {

namespace json = boost::json;
using detail::integer;
using detail::obj;
using detail::str;

namespace {

// Chat message content (a string or parts) → Responses content parts.
bool content_parts(const json::value& content, bool assistant, json::array& out, std::string& error,
                   std::string_view where) {
  const char* text_type = assistant ? "output_text" : "input_text";
  if (content.is_string()) {
    out.push_back(json::object{{"type", text_type}, {"text", content.as_string()}});
    return true;
  }
  if (content.is_null()) return true;
  if (!content.is_array()) {
    error = std::string(where) + ".content must be a string or an array of parts";
    return false;
  }
  for (const auto& p : content.as_array()) {
    const json::object* part = p.if_object();
    const std::string_view type = part ? str(part->if_contains("type")) : std::string_view();
    if (type == "text") {
      out.push_back(json::object{{"type", text_type}, {"text", str(part->if_contains("text"))}});
    } else if (type == "image_url" && !assistant) {
      const json::value* url = part->if_contains("image_url");
      std::string_view u = url && url->is_object() ? str(url->as_object().if_contains("url")) : str(url);
      json::object image{{"type", "input_image"}, {"image_url", u}};
      if (url && url->is_object())
        if (auto d = str(url->as_object().if_contains("detail")); !d.empty()) image["detail"] = d;
      out.push_back(std::move(image));
    } else if (type == "refusal" && assistant) {
      out.push_back(json::object{{"type", "refusal"}, {"refusal", str(part->if_contains("refusal"))}});
    } else {
      error = std::string(where) + ": content part type '" + std::string(type) +
              "' has no Responses API equivalent (text and image_url parts do)";
      return false;
    }
  }
  return true;
}

std::string text_of(const json::value* content) {
  if (!content) return {};
  if (content->is_string()) return std::string(content->as_string());
  std::string out;
  if (content->is_array())
    for (const auto& p : content->as_array())
      if (const auto* o = p.if_object(); o && str(o->if_contains("type")) == "text") out += str(o->if_contains("text"));
  return out;
}

// What a Responses client sent that the chat form has no place for
// (kNativeResponsesExtras), back into the Responses request.
void put_back_native(const json::object& extras, json::object& b) {
  if (const json::value* hosted = extras.if_contains("tools"); hosted && hosted->is_array()) {
    json::array tools;
    if (const json::value* t = b.if_contains("tools"); t && t->is_array()) tools = t->as_array();
    for (const auto& tool : hosted->as_array()) tools.push_back(tool);
    b["tools"] = std::move(tools);
  }
  for (const char* key : detail::kNativeOnlyFields)
    if (const json::value* v = extras.if_contains(key)) b[key] = *v;
  if (const json::value* verbosity = extras.if_contains("verbosity")) {
    json::object text;
    if (const json::value* t = b.if_contains("text"); t && t->is_object()) text = t->as_object();
    text["verbosity"] = *verbosity;
    b["text"] = std::move(text);
  }
}

}  // namespace

BackendRequest chat_request_to_responses(const json::object& chat, std::string_view model, bool stream) {
  BackendRequest r;
  for (const char* unsupported : {"stop", "logprobs", "top_logprobs", "seed", "presence_penalty", "frequency_penalty",
                                  "logit_bias", "prediction", "audio", "modalities"}) {
    const json::value* v = chat.if_contains(unsupported);
    if (v && !v->is_null() && !(v->is_bool() && !v->as_bool())) {
      r.error = std::string("'") + unsupported + "' has no Responses API equivalent";
      return r;
    }
  }
  if (auto n = integer(chat, "n"); n && *n > 1) {
    r.error = "'n' > 1 (several choices) has no Responses API equivalent";
    return r;
  }
  json::array input;
  const json::value* messages = chat.if_contains("messages");
  if (!messages || !messages->is_array()) {
    r.error = "'messages' must be an array";
    return r;
  }
  // Messages a Responses client sent as developer messages (the chat form
  // knows only system) go back as developer.
  const json::object* extras = obj(chat, kNativeResponsesExtras);
  std::vector<std::int64_t> developer;
  if (const json::value* d = extras ? extras->if_contains("developer_messages") : nullptr; d && d->is_array())
    for (const auto& v : d->as_array())
      if (v.is_int64()) developer.push_back(v.as_int64());
  std::size_t i = 0;
  for (const auto& m : messages->as_array()) {
    const bool was_developer = std::find(developer.begin(), developer.end(), static_cast<std::int64_t>(i)) != developer.end();
    const std::string where = "messages[" + std::to_string(i++) + "]";
    const json::object* msg = m.if_object();
    if (!msg) {
      r.error = where + " must be an object";
      return r;
    }
    const std::string_view role = str(msg->if_contains("role"));
    const json::value* content = msg->if_contains("content");
    if (role == "system" || role == "developer" || role == "user") {
      json::array parts;
      if (content && !content_parts(*content, false, parts, r.error, where)) return r;
      const std::string_view item_role = role == "system" && was_developer ? std::string_view("developer") : role;
      input.push_back(json::object{{"type", "message"}, {"role", item_role}, {"content", std::move(parts)}});
    } else if (role == "assistant") {
      json::array parts;
      if (content && !content_parts(*content, true, parts, r.error, where)) return r;
      if (auto refusal = str(msg->if_contains("refusal")); !refusal.empty())
        parts.push_back(json::object{{"type", "refusal"}, {"refusal", refusal}});
      if (!parts.empty())
        input.push_back(json::object{{"type", "message"}, {"role", "assistant"}, {"content", std::move(parts)}});
      if (const json::value* calls = msg->if_contains("tool_calls"); calls && calls->is_array()) {
        for (const auto& c : calls->as_array()) {
          const json::object* call = c.if_object();
          const json::object* fn = call ? obj(*call, "function") : nullptr;
          if (!fn) {
            r.error = where + ".tool_calls[] must be function calls";
            return r;
          }
          input.push_back(json::object{{"type", "function_call"},
                                       {"call_id", str(call->if_contains("id"))},
                                       {"name", str(fn->if_contains("name"))},
                                       {"arguments", str(fn->if_contains("arguments"))}});
        }
      }
    } else if (role == "tool") {
      input.push_back(json::object{{"type", "function_call_output"},
                                   {"call_id", str(msg->if_contains("tool_call_id"))},
                                   {"output", text_of(content)}});
    } else {
      r.error = where + ".role '" + std::string(role) + "' has no Responses API equivalent";
      return r;
    }
  }

  json::object& b = r.body;
  b["model"] = model;
  b["input"] = std::move(input);
  if (const json::value* tools = chat.if_contains("tools"); tools && tools->is_array()) {
    json::array out;
    for (const auto& t : tools->as_array()) {
      const json::object* tool = t.if_object();
      const json::object* fn = tool ? obj(*tool, "function") : nullptr;
      if (!fn) {
        r.error = "tools[] must be function tools";
        return r;
      }
      json::object f{{"type", "function"}, {"name", str(fn->if_contains("name"))}};
      for (const char* key : {"description", "parameters", "strict"})
        if (const json::value* v = fn->if_contains(key)) f[key] = *v;
      out.push_back(std::move(f));
    }
    b["tools"] = std::move(out);
  }
  if (const json::value* choice = chat.if_contains("tool_choice")) {
    if (choice->is_string()) {
      b["tool_choice"] = *choice;
    } else if (const json::object* c = choice->if_object()) {
      const json::object* fn = obj(*c, "function");
      b["tool_choice"] = json::object{{"type", "function"}, {"name", fn ? str(fn->if_contains("name")) : ""}};
    }
  }
  if (const json::value* v = chat.if_contains("parallel_tool_calls")) b["parallel_tool_calls"] = *v;
  if (const json::object* format = obj(chat, "response_format")) {
    const std::string_view type = str(format->if_contains("type"));
    if (type == "json_schema") {
      json::object f{{"type", "json_schema"}};
      if (const json::object* schema = obj(*format, "json_schema"))
        for (const auto& [k, v] : *schema) f[k] = v;
      b["text"] = json::object{{"format", std::move(f)}};
    } else if (type == "json_object" || type == "text") {
      b["text"] = json::object{{"format", json::object{{"type", type}}}};
    }
  }
  if (auto n = integer(chat, "max_completion_tokens")) b["max_output_tokens"] = *n;
  else if (auto m = integer(chat, "max_tokens")) b["max_output_tokens"] = *m;
  for (const char* key : {"temperature", "top_p", "user", "metadata"})
    if (const json::value* v = chat.if_contains(key); v && !v->is_null()) b[key] = *v;
  if (auto effort = str(chat.if_contains("reasoning_effort")); !effort.empty())
    b["reasoning"] = json::object{{"effort", effort}};
  if (extras) put_back_native(*extras, b);
  b["store"] = false;
  if (stream) b["stream"] = true;
  return r;
}

json::object response_to_chat(const json::object& response) {
  std::string text, refusal;
  json::array tool_calls;
  static const json::array kNoOutput;
  const json::value* output = response.if_contains("output");
  for (const auto& item_value : output && output->is_array() ? output->as_array() : kNoOutput) {
    const json::object* item = item_value.if_object();
    if (!item) continue;
    const std::string_view type = str(item->if_contains("type"));
    if (type == "message") {
      if (const json::value* content = item->if_contains("content"); content && content->is_array())
        for (const auto& p : content->as_array()) {
          const json::object* part = p.if_object();
          if (!part) continue;
          const std::string_view pt = str(part->if_contains("type"));
          if (pt == "output_text") text += str(part->if_contains("text"));
          else if (pt == "refusal") refusal += str(part->if_contains("refusal"));
        }
    } else if (type == "function_call") {
      tool_calls.push_back(json::object{
          {"id", str(item->if_contains("call_id"))},
          {"type", "function"},
          {"function",
           json::object{{"name", str(item->if_contains("name"))}, {"arguments", str(item->if_contains("arguments"))}}}});
    }
  }
  std::string finish = tool_calls.empty() ? "stop" : "tool_calls";
  if (str(response.if_contains("status")) == "incomplete") {
    const json::object* details = obj(response, "incomplete_details");
    finish = details && str(details->if_contains("reason")) == "content_filter" ? "content_filter" : "length";
  }
  json::object message{{"role", "assistant"}, {"content", text.empty() && !tool_calls.empty() ? json::value(nullptr)
                                                                                            : json::value(text)}};
  if (!refusal.empty()) message["refusal"] = refusal;
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  json::object chat{{"id", str(response.if_contains("id"))},
                    {"object", "chat.completion"},
                    {"created", integer(response, "created_at").value_or(0)},
                    {"model", str(response.if_contains("model"))},
                    {"choices", json::array{json::object{{"index", 0},
                                                         {"message", std::move(message)},
                                                         {"finish_reason", finish}}}}};
  const TokenUsage u = read_responses_usage(response);
  if (u.known) {
    json::object usage = openai_usage(u);
    if (const json::object* ru = obj(response, "usage"))
      if (const json::object* od = obj(*ru, "output_tokens_details"))
        if (auto reasoning = integer(*od, "reasoning_tokens"))
          usage["completion_tokens_details"] = json::object{{"reasoning_tokens", *reasoning}};
    chat["usage"] = std::move(usage);
  }
  return chat;
}

json::object ResponsesStreamToChat::chunk_object(json::array choices) const {
  return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_},
          {"choices", std::move(choices)}};
}

std::string ResponsesStreamToChat::chunk(json::object delta, const json::value& finish_reason) const {
  return json::serialize(chunk_object(
      json::array{json::object{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}}));
}

bool ResponsesStreamToChat::feed(const SseEvent& event, std::vector<std::string>& payloads) {
  if (finished_) return true;
  if (event.data.empty()) return true;
  boost::system::error_code ec;
  json::value v = json::parse(event.data, ec);
  if (ec || !v.is_object()) {
    error_ = "the backend sent a Responses event that is not a JSON object";
    return false;
  }
  const json::object& e = v.as_object();
  std::string_view type = str(e.if_contains("type"));
  if (type.empty()) type = event.event;
  auto take_response = [&](const json::object& response) {
    if (auto m = str(response.if_contains("model")); !m.empty()) model_ = std::string(m);
    if (auto c = integer(response, "created_at")) created_ = *c;
  };
  auto start = [&] {
    if (started_) return;
    started_ = true;
    payloads.push_back(chunk(json::object{{"role", "assistant"}, {"content", ""}}));
  };
  if (type == "response.created" || type == "response.in_progress") {
    if (const json::object* response = obj(e, "response")) take_response(*response);
    start();
  } else if (type == "response.output_text.delta") {
    start();
    payloads.push_back(chunk(json::object{{"content", str(e.if_contains("delta"))}}));
  } else if (type == "response.refusal.delta") {
    start();
    payloads.push_back(chunk(json::object{{"refusal", str(e.if_contains("delta"))}}));
  } else if (type == "response.output_item.added") {
    const json::object* item = obj(e, "item");
    if (item && str(item->if_contains("type")) == "function_call") {
      start();
      const int index = static_cast<int>(calls_.size());
      calls_[integer(e, "output_index").value_or(index)] = index;
      payloads.push_back(chunk(json::object{
          {"tool_calls", json::array{json::object{
                             {"index", index},
                             {"id", str(item->if_contains("call_id"))},
                             {"type", "function"},
                             {"function", json::object{{"name", str(item->if_contains("name"))},
                                                       {"arguments", str(item->if_contains("arguments"))}}}}}}}));
    }
  } else if (type == "response.function_call_arguments.delta") {
    auto it = calls_.find(integer(e, "output_index").value_or(-1));
    if (it == calls_.end()) {
      error_ = "the backend streamed function call arguments for an item it never announced";
      return false;
    }
    payloads.push_back(chunk(json::object{
        {"tool_calls", json::array{json::object{{"index", it->second},
                                                {"function", json::object{{"arguments", str(e.if_contains("delta"))}}}}}}}));
  } else if (type == "response.completed" || type == "response.incomplete") {
    start();
    const json::object* response = obj(e, "response");
    if (response) take_response(*response);
    std::string finish = calls_.empty() ? "stop" : "tool_calls";
    if (type == "response.incomplete") {
      const json::object* details = response ? obj(*response, "incomplete_details") : nullptr;
      finish = details && str(details->if_contains("reason")) == "content_filter" ? "content_filter" : "length";
    }
    payloads.push_back(chunk(json::object{}, json::value(finish)));
    if (response) {
      usage_ = read_responses_usage(*response);
      if (usage_.known) {
        json::object c = chunk_object(json::array{});
        c["usage"] = openai_usage(usage_);
        payloads.push_back(json::serialize(c));
      }
    }
    payloads.push_back("[DONE]");
    finished_ = true;
  } else if (type == "response.failed" || type == "error") {
    const json::object* response = obj(e, "response");
    const json::object* err = response ? obj(*response, "error") : obj(e, "error");
    std::string_view message = err ? str(err->if_contains("message")) : str(e.if_contains("message"));
    error_ = "the backend's stream failed: " + std::string(message.empty() ? "no reason given" : message);
    upstream_error_ = true;
    return false;
  }
  // Other events (content parts, output_text.done, output_item.done, reasoning
  // summaries) add nothing a chat stream carries.
  return true;
}

}  // namespace hgw::protocol::responses
