// Small helpers shared by the Responses API translators (internal to
// gateway/protocol): JSON reading and the ids the gateway gives to items.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hgw::protocol::responses::detail {

// The text of a JSON string value, or "" for anything else (absent included).
inline std::string_view str(const boost::json::value* v) {
  if (!v || !v->is_string()) return {};
  const auto& s = v->as_string();
  return {s.data(), s.size()};
}

inline const boost::json::object* obj(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

// An integer member, whatever JSON number form it came in (doubles only when
// they are whole); nullopt when absent or not such a number.
inline std::optional<std::int64_t> integer(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double() && v->as_double() == static_cast<double>(static_cast<std::int64_t>(v->as_double())))
    return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

// usage.completion_tokens_details.reasoning_tokens of a chat reply or chunk (0 when absent).
inline std::uint64_t chat_reasoning_tokens(const boost::json::object& chat) {
  const boost::json::object* usage = obj(chat, "usage");
  const boost::json::object* details = usage ? obj(*usage, "completion_tokens_details") : nullptr;
  const auto n = details ? integer(*details, "reasoning_tokens") : std::nullopt;
  return n && *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
}

// Request fields only a native Responses backend can use, carried for it
// through the chat form as they are (kNativeResponsesExtras).
inline constexpr const char* kNativeOnlyFields[] = {"include",      "reasoning",    "prompt_cache_key",
                                                    "safety_identifier", "service_tier", "truncation",
                                                    "top_logprobs", "max_tool_calls", "metadata"};

// Item ids are derived from the response id ("resp_X" → "msg_X_0", "fc_X_1"),
// so that they are unique wherever response ids are, and the translators stay
// pure (no random source) and their output testable byte for byte.
inline std::string item_id(std::string_view prefix, std::string_view response_id, std::string_view tag) {
  if (response_id.starts_with("resp_")) response_id.remove_prefix(5);
  std::string id(prefix);
  id += '_';
  id += response_id.empty() ? std::string_view("hybridgw") : response_id;
  id += '_';
  id += tag;
  return id;
}

// The inverse: the response an item id was derived from ("msg_X_0" →
// "resp_X"); "" when the id is not of that shape.
inline std::string response_id_of_item(std::string_view item) {
  const auto first = item.find('_');
  if (first == std::string_view::npos) return {};
  const auto second = item.find('_', first + 1);
  if (second == std::string_view::npos || second == first + 1) return {};
  return "resp_" + std::string(item.substr(first + 1, second - first - 1));
}

// Output items and parts, in the member order OpenAI sends them.
inline boost::json::object output_text_part(std::string_view text) {
  return {{"type", "output_text"}, {"annotations", boost::json::array{}}, {"logprobs", boost::json::array{}},
          {"text", text}};
}

inline boost::json::object message_item(std::string_view id, std::string_view status, boost::json::array content) {
  return {{"id", id}, {"type", "message"}, {"status", status}, {"content", std::move(content)}, {"role", "assistant"}};
}

inline boost::json::object function_call_item(std::string_view id, std::string_view status, std::string_view arguments,
                                              std::string_view call_id, std::string_view name,
                                              std::string_view name_space = {}) {
  boost::json::object item{{"id", id},           {"type", "function_call"}, {"status", status},
                           {"arguments", arguments}, {"call_id", call_id},      {"name", name}};
  if (!name_space.empty()) item["namespace"] = name_space;
  return item;
}

// The namespace that a function tool of the request belongs to ("" when it
// is a top-level tool): chat backends saw the tools flattened, the client
// needs the namespace back on the call to route it.
inline std::string_view namespace_of(const boost::json::object* request, std::string_view function_name) {
  const boost::json::value* tools = request ? request->if_contains("tools") : nullptr;
  if (!tools || !tools->is_array()) return {};
  for (const auto& t : tools->as_array()) {
    const boost::json::object* ns = t.if_object();
    if (!ns || str(ns->if_contains("type")) != "namespace") continue;
    const boost::json::value* inner = ns->if_contains("tools");
    if (!inner || !inner->is_array()) continue;
    for (const auto& f : inner->as_array())
      if (const auto* fo = f.if_object(); fo && str(fo->if_contains("name")) == function_name)
        return str(ns->if_contains("name"));
  }
  return {};
}

}  // namespace hgw::protocol::responses::detail
