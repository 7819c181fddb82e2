#include "gateway/protocol/ResponsesResponse.hpp"

#include "gateway/protocol/ResponsesJson.hpp"

#include <string>

namespace hgw::protocol::responses {

namespace json = boost::json;

namespace {

using detail::obj;
using detail::str;

// The request's value for `key`, or `fallback` when it did not send one.
json::value echo(const json::object* request, std::string_view key, json::value fallback) {
  if (!request) return fallback;
  const json::value* v = request->if_contains(key);
  return v && !v->is_null() ? *v : fallback;
}

}  // namespace

json::object response_skeleton(const ResponseContext& c) {
  const json::object* r = c.request;
  json::object reasoning{{"effort", nullptr}, {"summary", nullptr}};
  if (const json::object* given = r ? obj(*r, "reasoning") : nullptr)
    for (const char* key : {"effort", "summary"})
      if (const json::value* v = given->if_contains(key)) reasoning[key] = *v;
  json::object text{{"format", {{"type", "text"}}}};
  if (const json::object* given = r ? obj(*r, "text") : nullptr)
    for (const auto& member : *given)
      if (!member.value().is_null()) text[member.key()] = member.value();
  // Member order and defaults follow what OpenAI sends; temperature and top_p
  // stay null unless the client set them, because the backend's own defaults
  // are not known here.
  return {{"id", c.response_id},
          {"object", "response"},
          {"created_at", c.created_at},
          {"status", "in_progress"},
          {"background", false},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"instructions", echo(r, "instructions", nullptr)},
          {"max_output_tokens", echo(r, "max_output_tokens", nullptr)},
          {"max_tool_calls", echo(r, "max_tool_calls", nullptr)},
          {"model", c.model},
          {"output", json::array{}},
          {"parallel_tool_calls", echo(r, "parallel_tool_calls", true)},
          {"previous_response_id", echo(r, "previous_response_id", nullptr)},
          {"prompt_cache_key", echo(r, "prompt_cache_key", nullptr)},
          {"reasoning", std::move(reasoning)},
          {"safety_identifier", echo(r, "safety_identifier", nullptr)},
          {"service_tier", echo(r, "service_tier", "default")},
          {"store", c.stored},
          {"temperature", echo(r, "temperature", nullptr)},
          {"text", std::move(text)},
          {"tool_choice", echo(r, "tool_choice", "auto")},
          {"tools", echo(r, "tools", json::array{})},
          {"top_logprobs", echo(r, "top_logprobs", 0)},
          {"top_p", echo(r, "top_p", nullptr)},
          {"truncation", echo(r, "truncation", "disabled")},
          {"usage", nullptr},
          {"user", echo(r, "user", nullptr)},
          {"metadata", echo(r, "metadata", json::object{})}};
}

json::object responses_usage(const TokenUsage& u, std::uint64_t reasoning_tokens) {
  return {{"input_tokens", u.input},
          {"input_tokens_details", {{"cached_tokens", u.cached}}},
          {"output_tokens", u.output},
          {"output_tokens_details", {{"reasoning_tokens", reasoning_tokens}}},
          {"total_tokens", u.input + u.output}};
}

json::object chat_response_to_response(const json::object& chat, const ResponseContext& context) {
  json::object response = response_skeleton(context);
  const json::object* choice = nullptr;
  if (const json::value* choices = chat.if_contains("choices"); choices && choices->is_array() &&
                                                                  !choices->as_array().empty())
    choice = choices->as_array()[0].if_object();
  const std::string_view finish = choice ? str(choice->if_contains("finish_reason")) : std::string_view{};
  std::string_view incomplete_reason;
  if (finish == "length") incomplete_reason = "max_output_tokens";
  else if (finish == "content_filter") incomplete_reason = "content_filter";
  const std::string_view item_status = incomplete_reason.empty() ? "completed" : "incomplete";

  json::array output;
  const json::object* message = choice ? obj(*choice, "message") : nullptr;
  if (message) {
    json::array content;
    if (const auto text = str(message->if_contains("content")); !text.empty())
      content.push_back(detail::output_text_part(text));
    if (const auto refusal = str(message->if_contains("refusal")); !refusal.empty())
      content.push_back(json::object{{"type", "refusal"}, {"refusal", refusal}});
    if (!content.empty())
      output.push_back(detail::message_item(detail::item_id("msg", context.response_id, "0"), item_status,
                                            std::move(content)));
    if (const json::value* calls = message->if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& c : calls->as_array()) {
        const json::object* call = c.if_object();
        const json::object* fn = call ? obj(*call, "function") : nullptr;
        if (!fn) continue;
        const std::string tag = std::to_string(output.size());
        std::string call_id(str(call->if_contains("id")));
        // Some local servers send calls without ids; the client must still be
        // able to answer each one by its call_id.
        if (call_id.empty()) call_id = detail::item_id("call", context.response_id, tag);
        const std::string_view name = str(fn->if_contains("name"));
        output.push_back(detail::function_call_item(detail::item_id("fc", context.response_id, tag), item_status,
                                                    str(fn->if_contains("arguments")), call_id, name,
                                                    detail::namespace_of(context.request, name)));
      }
    }
  }
  response["output"] = std::move(output);
  response["status"] = incomplete_reason.empty() ? "completed" : "incomplete";
  if (!incomplete_reason.empty()) response["incomplete_details"] = {{"reason", incomplete_reason}};
  // Without usage from the backend the member is left out rather than
  // invented: clients read it as optional.
  if (const TokenUsage u = read_usage(chat); u.known)
    response["usage"] = responses_usage(u, detail::chat_reasoning_tokens(chat));
  else
    response.erase("usage");
  return response;
}

TokenUsage read_responses_usage(const json::object& response) {
  const json::object* usage = obj(response, "usage");
  if (!usage) return {};
  auto count = [](const json::object& o, std::string_view key) -> std::optional<std::uint64_t> {
    if (!o.contains(key)) return std::nullopt;
    const auto n = detail::integer(o, key);
    return n && *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
  };
  // Responses usage has OpenAI's meaning (cached tokens are part of the
  // input), so it is read through the same rule as prompt/completion counts.
  UsageCounts c;
  c.prompt = count(*usage, "input_tokens");
  c.completion = count(*usage, "output_tokens");
  if (const json::object* d = obj(*usage, "input_tokens_details")) c.cached = count(*d, "cached_tokens");
  return usage_from(c);
}

}  // namespace hgw::protocol::responses
