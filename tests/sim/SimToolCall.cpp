#include "tests/sim/SimToolCall.hpp"

#include <ctime>
#include <string_view>
#include <utility>
#include <vector>

namespace hgw::sim {
namespace json = boost::json;
namespace {

std::string_view str(const json::value* v) {
  if (!v || !v->is_string()) return {};
  return {v->get_string().data(), v->get_string().size()};
}

// Text of a content value: a string, or parts with "text".
std::string text_of(const json::value* content) {
  if (!content) return {};
  if (auto s = content->if_string()) return std::string(*s);
  std::string out;
  if (auto parts = content->if_array())
    for (const auto& part : *parts)
      if (auto o = part.if_object()) out += str(o->if_contains("text"));
  return out;
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// `name` appears in `text` as a whole word.
bool names(std::string_view text, std::string_view name) {
  if (name.empty()) return false;
  for (auto pos = text.find(name); pos != std::string_view::npos; pos = text.find(name, pos + 1)) {
    const bool start = pos == 0 || !word_char(text[pos - 1]);
    const bool end = pos + name.size() == text.size() || !word_char(text[pos + name.size()]);
    if (start && end) return true;
  }
  return false;
}

struct Tool {
  std::string_view name;
  const json::value* parameters;
};

std::optional<SimToolCall> pick(const std::vector<Tool>& tools, std::string_view last_user_text) {
  for (const auto& t : tools)
    if (names(last_user_text, t.name)) return SimToolCall{std::string(t.name), arguments_for(t.parameters)};
  return std::nullopt;
}

json::value value_for(const json::object& schema) {
  if (auto e = schema.if_contains("enum"); e && e->is_array() && !e->get_array().empty()) return e->get_array()[0];
  const std::string_view type = str(schema.if_contains("type"));
  if (type == "string") return "sim";
  if (type == "integer" || type == "number") return 1;
  if (type == "boolean") return true;
  if (type == "array") return json::array{};
  if (type == "object") {
    json::object o;
    if (auto props = schema.if_contains("properties"); props && props->is_object())
      for (const auto& p : props->get_object())
        o[p.key()] = p.value().is_object() ? value_for(p.value().get_object()) : json::value(nullptr);
    return o;
  }
  return nullptr;
}

}  // namespace

std::string arguments_for(const json::value* schema) {
  if (!schema || !schema->is_object()) return "{}";
  json::object with_type = schema->get_object();
  with_type["type"] = "object";  // tool arguments are always an object
  return json::serialize(value_for(with_type));
}

std::optional<SimToolCall> pick_chat_tool_call(const json::object& body) {
  std::vector<Tool> tools;
  if (auto t = body.if_contains("tools"); t && t->is_array())
    for (const auto& tool : t->get_array())
      if (auto o = tool.if_object(); o && str(o->if_contains("type")) == "function")
        if (auto fn = o->if_contains("function"); fn && fn->is_object())
          tools.push_back({str(fn->get_object().if_contains("name")), fn->get_object().if_contains("parameters")});
  const json::value* messages = body.if_contains("messages");
  if (tools.empty() || !messages || !messages->is_array() || messages->get_array().empty()) return std::nullopt;
  const json::object* last = messages->get_array().back().if_object();
  if (!last || str(last->if_contains("role")) != "user") return std::nullopt;
  return pick(tools, text_of(last->if_contains("content")));
}

std::optional<SimToolCall> pick_responses_tool_call(const json::object& body) {
  std::vector<Tool> tools;
  if (auto t = body.if_contains("tools"); t && t->is_array())
    for (const auto& tool : t->get_array())
      if (auto o = tool.if_object(); o && str(o->if_contains("type")) == "function")
        tools.push_back({str(o->if_contains("name")), o->if_contains("parameters")});
  const json::value* input = body.if_contains("input");
  if (tools.empty() || !input) return std::nullopt;
  if (input->is_string()) return pick(tools, str(input));
  if (!input->is_array() || input->get_array().empty()) return std::nullopt;
  const json::object* last = input->get_array().back().if_object();
  if (!last || str(last->if_contains("role")) != "user") return std::nullopt;
  const std::string_view type = str(last->if_contains("type"));
  if (!type.empty() && type != "message") return std::nullopt;
  return pick(tools, text_of(last->if_contains("content")));
}

Plan chat_tool_call_plan(const SimToolCall& call, const ChatToolReply& r) {
  const std::string ident = "chatcmpl-sim-" + std::to_string(r.id);
  const std::string call_id = "call_sim_" + std::to_string(r.id);
  const auto created = static_cast<std::int64_t>(std::time(nullptr));
  const int completion = estimate_tokens(call.arguments.size());
  const json::object usage{{"prompt_tokens", r.prompt_tokens},
                           {"completion_tokens", completion},
                           {"total_tokens", r.prompt_tokens + completion},
                           {"prompt_tokens_details", {{"cached_tokens", r.cached_tokens}}}};
  auto object = [&](std::string_view kind, json::array choices) {
    return json::object{{"id", ident}, {"object", kind}, {"created", created}, {"model", r.model}, {"choices", std::move(choices)}};
  };
  Plan p;
  if (!r.stream) {
    json::object message{{"role", "assistant"},
                         {"content", nullptr},
                         {"tool_calls", json::array{json::object{
                                            {"id", call_id},
                                            {"type", "function"},
                                            {"function", {{"name", call.name}, {"arguments", call.arguments}}}}}}};
    auto o = object("chat.completion", json::array{json::object{
                                           {"index", 0}, {"message", std::move(message)}, {"finish_reason", "tool_calls"}}});
    o["usage"] = usage;
    p.body = json::serialize(o);
    return p;
  }
  p.kind = Plan::Kind::stream;
  auto chunk = [&](json::object delta, json::value finish, int delay) {
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", std::move(finish)}};
    p.chunks.push_back({"data: " + json::serialize(object("chat.completion.chunk", json::array{std::move(choice)})) + "\n\n",
                        delay});
  };
  chunk({{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls", json::array{json::object{{"index", 0},
                                                 {"id", call_id},
                                                 {"type", "function"},
                                                 {"function", {{"name", call.name}, {"arguments", ""}}}}}}},
        nullptr, r.first_delay_ms);
  for (const auto& piece : split_utf8(call.arguments, 8))
    chunk({{"tool_calls", json::array{json::object{{"index", 0}, {"function", {{"arguments", piece}}}}}}}, nullptr,
          r.token_delay_ms);
  chunk({}, "tool_calls", 0);
  if (r.include_usage) {
    auto last = object("chat.completion.chunk", json::array{});
    last["usage"] = usage;
    p.chunks.push_back({"data: " + json::serialize(last) + "\n\n", 0});
  }
  if (!r.no_done) p.chunks.push_back({"data: [DONE]\n\n", 0});
  return p;
}

}  // namespace hgw::sim
