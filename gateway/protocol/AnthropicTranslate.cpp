// Request, response and error translation between OpenAI chat and Anthropic
// Messages (the stream translators live in AnthropicStream.cpp).
#include "gateway/protocol/AnthropicTranslate.hpp"

#include "gateway/protocol/AnthropicJson.hpp"

#include <cmath>
#include <ctime>

namespace hgw::protocol::anthropic {

namespace json = boost::json;

namespace {

using detail::str;
using detail::strip_prefix;

bool is_true(const json::value* v) { return v && v->is_bool() && v->as_bool(); }

// A positive integer, whatever JSON number form it came in; 0 otherwise, also
// for a double of 2^64 or more (a client's "max_tokens": 1e25), which no
// integer holds: converting it would be undefined.
std::uint64_t positive(const json::value* v) {
  if (!v) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return v->as_int64() > 0 ? static_cast<std::uint64_t>(v->as_int64()) : 0;
  if (!v->is_double()) return 0;
  const double d = v->as_double();
  if (!(d >= 1 && d < 18446744073709551616.0) || d != std::floor(d)) return 0;
  return static_cast<std::uint64_t>(d);
}

json::object text_block(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

// ---- OpenAI request → Anthropic request ------------------------------------

// Text of an OpenAI content value made only of text (system/developer/tool).
// Returns false (with why) on a non-text part.
bool plain_text(const json::value& content, std::string& out, std::string& why) {
  if (content.is_null()) return true;
  if (content.is_string()) {
    out.append(content.as_string().data(), content.as_string().size());
    return true;
  }
  if (!content.is_array()) {
    why = "content must be a string or an array of text parts";
    return false;
  }
  for (const auto& part : content.as_array()) {
    const auto* p = part.if_object();
    const std::string_view type = p ? str(p->if_contains("type")) : std::string_view{};
    if (!p || type != "text" || !p->if_contains("text") || !p->if_contains("text")->is_string()) {
      why = "only text parts are allowed here (got part type '" + std::string(type) + "')";
      return false;
    }
    if (!out.empty()) out += "\n";
    out += str(p->if_contains("text"));
  }
  return true;
}

// image_url part → Anthropic image block: data: URIs become base64 sources,
// http(s) URLs become url sources.
bool image_block(const json::object& part, json::array& blocks, std::string& why) {
  const json::value* iu = part.if_contains("image_url");
  std::string_view url = str(iu);
  if (iu && iu->is_object()) url = str(iu->as_object().if_contains("url"));
  if (url.starts_with("data:")) {
    const auto comma = url.find(',');
    const auto meta = url.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
    if (comma == std::string_view::npos || !meta.ends_with(";base64")) {
      why = "image_url data: URIs must be base64 encoded (data:image/png;base64,...)";
      return false;
    }
    json::object source{{"type", "base64"},
                        {"media_type", meta.substr(0, meta.size() - 7)},
                        {"data", url.substr(comma + 1)}};
    blocks.push_back(json::object{{"type", "image"}, {"source", std::move(source)}});
    return true;
  }
  if (url.starts_with("http://") || url.starts_with("https://")) {
    blocks.push_back(json::object{{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}});
    return true;
  }
  why = "image_url.url must be an http(s) URL or a base64 data: URI";
  return false;
}

// User/assistant content (string or parts) → Anthropic blocks. Empty text is
// skipped: Anthropic rejects empty text blocks.
bool content_blocks(const json::value* content, json::array& blocks, std::string& why) {
  if (!content || content->is_null()) return true;
  if (content->is_string()) {
    if (!content->as_string().empty()) blocks.push_back(text_block(str(content)));
    return true;
  }
  if (!content->is_array()) {
    why = "content must be a string or an array of parts";
    return false;
  }
  for (const auto& part : content->as_array()) {
    const auto* p = part.if_object();
    const std::string_view type = p ? str(p->if_contains("type")) : std::string_view{};
    if (type == "text") {
      const json::value* t = p->if_contains("text");
      if (!t || !t->is_string()) {
        why = "a text part needs a string 'text'";
        return false;
      }
      if (!t->as_string().empty()) blocks.push_back(text_block(str(t)));
    } else if (type == "image_url") {
      if (!image_block(*p, blocks, why)) return false;
    } else if (type == "refusal") {
      // An earlier refusal replayed in history: keep its words as text.
      if (auto r = str(p->if_contains("refusal")); !r.empty()) blocks.push_back(text_block(r));
    } else {
      why = "content part type '" + std::string(type) + "' is not supported by Anthropic backends";
      return false;
    }
  }
  return true;
}

// Assistant tool_calls → tool_use blocks (arguments is a JSON string to parse).
bool tool_use_blocks(const json::value* calls, json::array& blocks, std::string& why) {
  if (!calls || calls->is_null()) return true;
  if (!calls->is_array()) {
    why = "tool_calls must be an array";
    return false;
  }
  for (const auto& c : calls->as_array()) {
    const auto* call = c.if_object();
    const json::value* fn = call ? call->if_contains("function") : nullptr;
    if (!fn || !fn->is_object() || str(fn->as_object().if_contains("name")).empty()) {
      why = "each tool call needs function.name";
      return false;
    }
    const auto& f = fn->as_object();
    const std::string_view args = str(f.if_contains("arguments"));
    json::value input = json::object{};
    if (!args.empty()) {
      boost::system::error_code ec;
      input = json::parse(args, ec);
      if (ec || !input.is_object()) {
        why = "tool call '" + std::string(str(f.if_contains("name"))) +
              "' has arguments that are not a JSON object: " + std::string(detail::utf8_prefix(args, 80));
        return false;
      }
    }
    blocks.push_back(json::object{{"type", "tool_use"},
                                  {"id", str(call->if_contains("id"))},
                                  {"name", str(f.if_contains("name"))},
                                  {"input", std::move(input)}});
  }
  return true;
}

// Appends blocks as a message, merging into the previous one when the role is
// the same (Anthropic requires user/assistant alternation).
void append_message(json::array& messages, std::string_view role, json::array blocks) {
  if (blocks.empty()) return;  // an empty message would break alternation and is rejected
  if (!messages.empty()) {
    auto& last = messages.back().as_object();
    if (str(last.if_contains("role")) == role) {
      auto& content = last["content"].as_array();
      for (auto& b : blocks) content.push_back(std::move(b));
      return;
    }
  }
  messages.push_back(json::object{{"role", role}, {"content", std::move(blocks)}});
}

// One OpenAI message → system text or Anthropic message. Returns an error text.
std::string translate_message(const json::object& m, std::string& system, json::array& messages) {
  const std::string_view role = str(m.if_contains("role"));
  const json::value* content = m.if_contains("content");
  std::string why;
  if (role == "system" || role == "developer") {
    std::string text;
    if (content && !plain_text(*content, text, why)) return std::string(role) + " message: " + why;
    if (!text.empty()) system += (system.empty() ? "" : "\n\n") + text;
    return {};
  }
  json::array blocks;
  if (role == "user") {
    if (!content_blocks(content, blocks, why)) return "user message: " + why;
    append_message(messages, "user", std::move(blocks));
  } else if (role == "assistant") {
    if (!content_blocks(content, blocks, why) || !tool_use_blocks(m.if_contains("tool_calls"), blocks, why))
      return "assistant message: " + why;
    append_message(messages, "assistant", std::move(blocks));
  } else if (role == "tool") {
    const std::string_view id = str(m.if_contains("tool_call_id"));
    if (id.empty()) return "tool message: tool_call_id is required";
    std::string text;
    if (content && !plain_text(*content, text, why)) return "tool message: " + why;
    blocks.push_back(json::object{{"type", "tool_result"}, {"tool_use_id", id}, {"content", text}});
    append_message(messages, "user", std::move(blocks));
  } else if (role == "function") {
    return "the legacy 'function' role is not supported with Anthropic backends: use tools and 'tool' messages";
  } else {
    return "unknown message role '" + std::string(role) + "' (expected system, developer, user, assistant or tool)";
  }
  return {};
}

std::string translate_tools(const json::object& in, json::object& out) {
  const json::value* tools = in.if_contains("tools");
  if (!tools || tools->is_null()) return {};
  if (!tools->is_array()) return "tools must be an array";
  json::array result;
  for (const auto& t : tools->as_array()) {
    const auto* tool = t.if_object();
    if (!tool || str(tool->if_contains("type")) != "function")
      return "only tools of type 'function' can be sent to Anthropic backends";
    const json::value* fn = tool->if_contains("function");
    if (!fn || !fn->is_object() || str(fn->as_object().if_contains("name")).empty())
      return "each tool needs function.name";
    const auto& f = fn->as_object();
    json::object a{{"name", str(f.if_contains("name"))}};
    if (auto d = str(f.if_contains("description")); !d.empty()) a["description"] = d;
    // Anthropic requires a schema; a function without parameters takes none.
    if (auto* p = f.if_contains("parameters"); p && p->is_object())
      a["input_schema"] = *p;
    else
      a["input_schema"] = json::object{{"type", "object"}, {"properties", json::object{}}};
    result.push_back(std::move(a));
  }
  if (!result.empty()) out["tools"] = std::move(result);
  return {};
}

std::string translate_tool_choice(const json::object& in, json::object& out) {
  json::object choice;
  const json::value* tc = in.if_contains("tool_choice");
  if (tc && tc->is_string()) {
    const auto s = str(tc);
    if (s == "auto") choice["type"] = "auto";
    else if (s == "none") choice["type"] = "none";
    else if (s == "required") choice["type"] = "any";
    else return "tool_choice must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":…}}";
  } else if (tc && tc->is_object()) {
    const json::value* fn = tc->as_object().if_contains("function");
    const auto name = fn && fn->is_object() ? str(fn->as_object().if_contains("name")) : std::string_view{};
    if (name.empty()) return "tool_choice object needs function.name";
    choice = {{"type", "tool"}, {"name", name}};
  } else if (tc && !tc->is_null()) {
    return "tool_choice must be a string or an object";
  }
  if (auto* p = in.if_contains("parallel_tool_calls"); p && p->is_bool() && !p->as_bool()) {
    if (choice.empty()) choice["type"] = "auto";
    if (str(choice.if_contains("type")) != "none") choice["disable_parallel_tool_use"] = true;
  }
  // Anthropic rejects tool_choice without tools; without tools there is nothing to choose.
  if (!choice.empty() && out.contains("tools")) out["tool_choice"] = std::move(choice);
  return {};
}

// Fields that change what the client gets back and that Anthropic cannot do:
// refusing is better than silently answering something else.
std::string unsupported_fields(const json::object& in) {
  if (auto n = positive(in.if_contains("n")); n > 1)
    return "n=" + std::to_string(n) + " is not supported by Anthropic backends: send n separate requests";
  if (is_true(in.if_contains("logprobs")) || (in.if_contains("top_logprobs") && !in.if_contains("top_logprobs")->is_null()))
    return "logprobs are not supported by Anthropic backends: remove logprobs/top_logprobs";
  if (auto* rf = in.if_contains("response_format"); rf && rf->is_object()) {
    const auto type = str(rf->as_object().if_contains("type"));
    if (type == "json_object" || type == "json_schema")
      return "response_format " + std::string(type) +
             " is not supported by Anthropic backends: describe the format in the prompt or use a tool";
  }
  if (auto* a = in.if_contains("audio"); a && !a->is_null())
    return "audio output is not supported by Anthropic backends";
  if (in.contains("functions") || in.contains("function_call"))
    return "legacy functions/function_call are not supported with Anthropic backends: use tools/tool_choice";
  return {};
}

std::string translate_sampling(const json::object& in, json::object& out, std::uint32_t default_max_tokens) {
  std::uint64_t max_tokens = default_max_tokens;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {  // the newer name wins
    if (const json::value* v = in.if_contains(key); v && !v->is_null()) {
      max_tokens = positive(v);
      if (max_tokens == 0) return std::string(key) + " must be a positive integer";
    }
  }
  out["max_tokens"] = max_tokens;
  if (auto* t = in.if_contains("temperature"); t && t->is_number()) {
    // OpenAI allows 0–2, Anthropic 0–1: clamp rather than have the backend refuse.
    const double temp = t->to_number<double>();
    out["temperature"] = temp > 1.0 ? 1.0 : temp;
  }
  if (auto* p = in.if_contains("top_p"); p && p->is_number()) out["top_p"] = *p;
  if (auto* k = in.if_contains("top_k"); k && k->is_number()) out["top_k"] = *k;
  if (auto* stop = in.if_contains("stop"); stop && !stop->is_null()) {
    json::array seqs;
    if (stop->is_string()) {
      seqs.push_back(*stop);
    } else if (stop->is_array()) {
      for (const auto& s : stop->as_array()) {
        if (!s.is_string()) return "stop must be a string or an array of strings";
        seqs.push_back(s);
      }
    } else {
      return "stop must be a string or an array of strings";
    }
    if (!seqs.empty()) out["stop_sequences"] = std::move(seqs);
  }
  return {};
}

// ---- OpenAI response → Anthropic response helpers ---------------------------


}  // namespace

// ---- shared vocabulary -------------------------------------------------------

std::string_view finish_reason_for(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn, or absent
}

std::string_view stop_reason_for(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

json::object anthropic_usage(const TokenUsage& u) {
  // OpenAI does not say which input tokens were written to a cache: none here.
  return {{"input_tokens", u.input >= u.cached ? u.input - u.cached : 0},
          {"output_tokens", u.output},
          {"cache_read_input_tokens", u.cached},
          {"cache_creation_input_tokens", 0}};
}

// ---- gateway → Anthropic backend -------------------------------------------

Translation chat_request_to_messages(const json::object& in, std::string_view backend_model, bool stream,
                                     std::uint32_t default_max_tokens) {
  Translation t;
  if (t.error = unsupported_fields(in); !t.error.empty()) return t;
  const json::value* msgs = in.if_contains("messages");
  if (!msgs || !msgs->is_array() || msgs->as_array().empty()) {
    t.error = "messages must be a non-empty array";
    return t;
  }
  std::string system;
  json::array messages;
  for (std::size_t i = 0; i < msgs->as_array().size(); ++i) {
    const auto* m = msgs->as_array()[i].if_object();
    std::string why = m ? translate_message(*m, system, messages) : "must be an object";
    if (!why.empty()) {
      t.error = "messages[" + std::to_string(i) + "]: " + why;
      return t;
    }
  }
  if (messages.empty()) {
    t.error = "messages must contain at least one user or assistant message with content";
    return t;
  }
  auto& out = t.body;
  out["model"] = backend_model;
  if (!system.empty()) out["system"] = system;
  out["messages"] = std::move(messages);
  if (t.error = translate_sampling(in, out, default_max_tokens); !t.error.empty()) return t;
  if (t.error = translate_tools(in, out); !t.error.empty()) return t;
  if (t.error = translate_tool_choice(in, out); !t.error.empty()) return t;
  // OpenAI's "user" is the end-user id; Anthropic keeps the same idea in metadata.
  if (auto user = str(in.if_contains("user")); !user.empty()) out["metadata"] = {{"user_id", user}};
  if (stream) out["stream"] = true;
  // Dropped on purpose (harmless): seed, presence/frequency_penalty, logit_bias,
  // stream_options (usage is always produced), store, metadata, service_tier.
  return t;
}

json::object messages_response_to_chat(const json::object& msg) {
  std::string text;
  json::array tool_calls;
  if (auto* content = msg.if_contains("content"); content && content->is_array()) {
    for (const auto& b : content->as_array()) {
      const auto* block = b.if_object();
      if (!block) continue;
      const auto type = str(block->if_contains("type"));
      if (type == "text") {
        text += str(block->if_contains("text"));
      } else if (type == "tool_use") {
        const json::value* input = block->if_contains("input");
        json::object fn{{"name", str(block->if_contains("name"))},
                        {"arguments", input ? json::serialize(*input) : std::string("{}")}};
        tool_calls.push_back(json::object{
            {"id", str(block->if_contains("id"))}, {"type", "function"}, {"function", std::move(fn)}});
      }
      // thinking / redacted_thinking blocks have no OpenAI chat equivalent: dropped.
    }
  }
  json::object message{{"role", "assistant"}};
  if (text.empty() && !tool_calls.empty())
    message["content"] = nullptr;
  else
    message["content"] = text;
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"logprobs", nullptr},
                      {"finish_reason", finish_reason_for(str(msg.if_contains("stop_reason")))}};
  json::object out{{"id", "chatcmpl-" + std::string(str(msg.if_contains("id")))},
                   {"object", "chat.completion"},
                   {"created", static_cast<std::int64_t>(std::time(nullptr))},
                   {"model", str(msg.if_contains("model"))},
                   {"choices", json::array{std::move(choice)}}};
  if (const TokenUsage u = read_usage(msg); u.known) out["usage"] = openai_usage(u);
  return out;
}

int status_for_error_type(std::string_view type) {
  if (type == "invalid_request_error") return 400;
  if (type == "authentication_error") return 401;
  if (type == "billing_error") return 402;
  if (type == "permission_error") return 403;
  if (type == "not_found_error") return 404;
  if (type == "request_too_large") return 413;
  if (type == "rate_limit_error") return 429;
  if (type == "api_error") return 500;
  if (type == "timeout_error") return 504;
  if (type == "overloaded_error") return 529;
  return 502;
}

json::object error_to_openai(const json::object& body) {
  // Accept the full body or the inner error object.
  const json::object* err = &body;
  if (auto* e = body.if_contains("error"); e && e->is_object()) err = &e->as_object();
  const std::string_view type = str(err->if_contains("type"));
  std::string message(str(err->if_contains("message")));
  if (message.empty()) message = "the Anthropic backend returned an error without a message";

  // OpenAI (type, code) pairs clients already branch on.
  struct Map { std::string_view from, type, code; };
  static constexpr Map table[] = {
      {"invalid_request_error", "invalid_request_error", ""},
      {"authentication_error", "authentication_error", "upstream_authentication_failed"},
      {"permission_error", "permission_error", "upstream_permission_denied"},
      {"not_found_error", "invalid_request_error", "model_not_found"},
      {"request_too_large", "invalid_request_error", "request_too_large"},
      {"rate_limit_error", "rate_limit_error", "rate_limit_exceeded"},
      {"billing_error", "insufficient_quota", "insufficient_quota"},
      {"api_error", "server_error", "upstream_error"},
      {"timeout_error", "server_error", "upstream_timeout"},
      {"overloaded_error", "server_error", "upstream_overloaded"},
  };
  std::string_view out_type = "server_error", code = "upstream_error";
  for (const auto& m : table)
    if (m.from == type) {
      out_type = m.type;
      code = m.code;
    }
  json::object e{{"message", message}, {"type", out_type}};
  if (code.empty())
    e["code"] = nullptr;
  else
    e["code"] = code;
  return {{"error", std::move(e)}};
}

// ---- client spoke Anthropic → OpenAI-format backend -------------------------

namespace {

// Anthropic image block → OpenAI image_url part.
bool image_part(const json::object& block, json::array& parts, std::string& why) {
  const json::value* s = block.if_contains("source");
  const json::object* source = s ? s->if_object() : nullptr;
  const auto type = source ? str(source->if_contains("type")) : std::string_view{};
  std::string url;
  if (type == "base64") {
    url = "data:" + std::string(str(source->if_contains("media_type"))) + ";base64," +
          std::string(str(source->if_contains("data")));
  } else if (type == "url") {
    url = str(source->if_contains("url"));
  } else {
    why = "image source type '" + std::string(type) + "' is not supported (use base64 or url)";
    return false;
  }
  parts.push_back(json::object{{"type", "image_url"}, {"image_url", {{"url", url}}}});
  return true;
}

// Text of a tool_result content (string or text blocks).
bool tool_result_text(const json::value* content, std::string& out, std::string& why) {
  if (!content || content->is_null()) return true;
  if (content->is_string()) {
    out = str(content);
    return true;
  }
  if (!content->is_array()) {
    why = "tool_result content must be a string or an array of blocks";
    return false;
  }
  for (const auto& b : content->as_array()) {
    const auto* block = b.if_object();
    const auto type = block ? str(block->if_contains("type")) : std::string_view{};
    if (type != "text") {
      why = "tool_result blocks of type '" + std::string(type) +
            "' cannot be sent to OpenAI-format backends (only text)";
      return false;
    }
    if (!out.empty()) out += "\n";
    out += str(block->if_contains("text"));
  }
  return true;
}

// Text-only parts become one string (older local servers accept nothing else).
json::value collapse(json::array parts) {
  std::string text;
  for (const auto& p : parts) {
    if (str(p.as_object().if_contains("type")) != "text") return parts;
    if (!text.empty()) text += "\n";
    text += str(p.as_object().if_contains("text"));
  }
  return json::string(text);
}

// One Anthropic user message → tool messages first (they must follow the
// assistant's tool_calls), then the user's own parts.
std::string user_message(const json::value& content, json::array& out) {
  if (content.is_string()) {
    out.push_back(json::object{{"role", "user"}, {"content", content}});
    return {};
  }
  if (!content.is_array()) return "content must be a string or an array of blocks";
  json::array parts;
  std::string why;
  for (const auto& b : content.as_array()) {
    const auto* block = b.if_object();
    const auto type = block ? str(block->if_contains("type")) : std::string_view{};
    if (type == "text") {
      parts.push_back(json::object{{"type", "text"}, {"text", str(block->if_contains("text"))}});
    } else if (type == "image") {
      if (!image_part(*block, parts, why)) return why;
    } else if (type == "tool_result") {
      std::string text;
      if (!tool_result_text(block->if_contains("content"), text, why)) return why;
      // OpenAI tool messages have no error flag: say it in the text.
      if (is_true(block->if_contains("is_error"))) text = "Error: " + text;
      out.push_back(json::object{
          {"role", "tool"}, {"tool_call_id", str(block->if_contains("tool_use_id"))}, {"content", text}});
    } else {
      return "content block type '" + std::string(type) + "' is not supported by OpenAI-format backends";
    }
  }
  if (!parts.empty()) out.push_back(json::object{{"role", "user"}, {"content", collapse(std::move(parts))}});
  return {};
}

std::string assistant_message(const json::value& content, json::array& out) {
  if (content.is_string()) {
    out.push_back(json::object{{"role", "assistant"}, {"content", content}});
    return {};
  }
  if (!content.is_array()) return "content must be a string or an array of blocks";
  std::string text;
  json::array calls;
  for (const auto& b : content.as_array()) {
    const auto* block = b.if_object();
    const auto type = block ? str(block->if_contains("type")) : std::string_view{};
    if (type == "text") {
      text += str(block->if_contains("text"));
    } else if (type == "tool_use") {
      const json::value* input = block->if_contains("input");
      json::object fn{{"name", str(block->if_contains("name"))},
                      {"arguments", input ? json::serialize(*input) : std::string("{}")}};
      calls.push_back(json::object{
          {"id", str(block->if_contains("id"))}, {"type", "function"}, {"function", std::move(fn)}});
    } else if (type == "thinking" || type == "redacted_thinking") {
      continue;  // reasoning of an earlier turn: OpenAI chat has no place for it
    } else {
      return "assistant content block type '" + std::string(type) + "' is not supported by OpenAI-format backends";
    }
  }
  json::object m{{"role", "assistant"}};
  if (text.empty() && !calls.empty())
    m["content"] = nullptr;
  else
    m["content"] = text;
  if (!calls.empty()) m["tool_calls"] = std::move(calls);
  out.push_back(std::move(m));
  return {};
}

std::string system_text(const json::value& system, std::string& out) {
  if (system.is_string()) {
    out = str(&system);
    return {};
  }
  if (!system.is_array()) return "system must be a string or an array of text blocks";
  for (const auto& b : system.as_array()) {
    const auto* block = b.if_object();
    if (!block || str(block->if_contains("type")) != "text") return "system blocks must be of type text";
    if (!out.empty()) out += "\n";
    out += str(block->if_contains("text"));
  }
  return {};
}

std::string openai_tools(const json::object& in, json::object& out) {
  if (auto* tools = in.if_contains("tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) return "tools must be an array";
    json::array result;
    for (const auto& t : tools->as_array()) {
      const auto* tool = t.if_object();
      if (!tool || str(tool->if_contains("name")).empty()) return "each tool needs a name";
      // Typed tools (web_search_…, bash_…) run on Anthropic's side only.
      if (auto type = str(tool->if_contains("type")); !type.empty() && type != "custom")
        return "tool type '" + std::string(type) + "' only exists on Anthropic's API and cannot be routed to this backend";
      json::object fn{{"name", str(tool->if_contains("name"))}};
      if (auto d = str(tool->if_contains("description")); !d.empty()) fn["description"] = d;
      if (auto* schema = tool->if_contains("input_schema"); schema && schema->is_object())
        fn["parameters"] = *schema;
      result.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    if (!result.empty()) out["tools"] = std::move(result);
  }
  if (auto* tc = in.if_contains("tool_choice"); tc && tc->is_object()) {
    const auto& c = tc->as_object();
    const auto type = str(c.if_contains("type"));
    if (type == "auto") out["tool_choice"] = "auto";
    else if (type == "any") out["tool_choice"] = "required";
    else if (type == "none") out["tool_choice"] = "none";
    else if (type == "tool") out["tool_choice"] = {{"type", "function"}, {"function", {{"name", str(c.if_contains("name"))}}}};
    else return "tool_choice.type must be auto, any, tool or none";
    if (is_true(c.if_contains("disable_parallel_tool_use")) && out.contains("tools")) out["parallel_tool_calls"] = false;
    if (!out.contains("tools")) out.erase("tool_choice");
  }
  return {};
}

}  // namespace

Translation messages_request_to_chat(const json::object& in, std::string_view backend_model, bool stream) {
  Translation t;
  const std::uint64_t max_tokens = positive(in.if_contains("max_tokens"));
  if (max_tokens == 0) {
    t.error = "max_tokens is required and must be a positive integer";
    return t;
  }
  for (const char* key : {"mcp_servers", "container"})
    if (in.contains(key)) {
      t.error = std::string(key) + " only exists on Anthropic's API and cannot be routed to this backend";
      return t;
    }
  json::array messages;
  if (auto* system = in.if_contains("system"); system && !system->is_null()) {
    std::string text;
    if (t.error = system_text(*system, text); !t.error.empty()) return t;
    if (!text.empty()) messages.push_back(json::object{{"role", "system"}, {"content", text}});
  }
  const json::value* msgs = in.if_contains("messages");
  if (!msgs || !msgs->is_array() || msgs->as_array().empty()) {
    t.error = "messages must be a non-empty array";
    return t;
  }
  for (std::size_t i = 0; i < msgs->as_array().size(); ++i) {
    const auto* m = msgs->as_array()[i].if_object();
    const json::value* content = m ? m->if_contains("content") : nullptr;
    const auto role = m ? str(m->if_contains("role")) : std::string_view{};
    std::string why;
    if (!content) why = "content is required";
    else if (role == "user") why = user_message(*content, messages);
    else if (role == "assistant") why = assistant_message(*content, messages);
    else why = "role must be user or assistant";
    if (!why.empty()) {
      t.error = "messages[" + std::to_string(i) + "]: " + why;
      return t;
    }
  }
  // Only empty contents ("content": []): an empty conversation, which the
  // backend would refuse with a less helpful message.
  if (messages.empty()) {
    t.error = "messages must contain at least one message with content";
    return t;
  }
  auto& out = t.body;
  out["model"] = backend_model;
  out["messages"] = std::move(messages);
  out["max_tokens"] = max_tokens;
  for (const char* key : {"temperature", "top_p"})
    if (auto* v = in.if_contains(key); v && v->is_number()) out[key] = *v;
  if (auto* stop = in.if_contains("stop_sequences"); stop && stop->is_array() && !stop->as_array().empty())
    out["stop"] = *stop;
  if (t.error = openai_tools(in, out); !t.error.empty()) return t;
  if (auto* md = in.if_contains("metadata"); md && md->is_object())
    if (auto user = str(md->as_object().if_contains("user_id")); !user.empty()) out["user"] = user;
  if (stream) {
    out["stream"] = true;
    out["stream_options"] = {{"include_usage", true}};  // message_delta must carry usage
  }
  // Dropped on purpose (harmless): top_k (OpenAI itself rejects it), thinking,
  // service_tier, cache_control marks.
  return t;
}

json::object chat_response_to_messages(const json::object& chat) {
  json::array content;
  std::string_view finish;
  const json::value* choices = chat.if_contains("choices");
  if (choices && choices->is_array() && !choices->as_array().empty() && choices->as_array()[0].is_object()) {
    const auto& choice = choices->as_array()[0].as_object();
    finish = str(choice.if_contains("finish_reason"));
    const json::value* m = choice.if_contains("message");
    const json::object* message = m ? m->if_object() : nullptr;
    if (message) {
      if (auto text = str(message->if_contains("content")); !text.empty()) content.push_back(text_block(text));
      if (auto* calls = message->if_contains("tool_calls"); calls && calls->is_array()) {
        for (const auto& c : calls->as_array()) {
          const auto* call = c.if_object();
          const json::value* f = call ? call->if_contains("function") : nullptr;
          if (!f || !f->is_object()) continue;
          const auto args = str(f->as_object().if_contains("arguments"));
          boost::system::error_code ec;
          json::value input = args.empty() ? json::value(json::object{}) : json::parse(args, ec);
          // Local models sometimes emit broken JSON: keep it visible instead of losing it.
          if (ec || !input.is_object()) input = json::object{{"_invalid_json_arguments", args}};
          content.push_back(json::object{{"type", "tool_use"},
                                         {"id", str(call->if_contains("id"))},
                                         {"name", str(f->as_object().if_contains("name"))},
                                         {"input", std::move(input)}});
        }
      }
    }
  }
  TokenUsage u = read_usage(chat);
  return {{"id", "msg_" + strip_prefix(str(chat.if_contains("id")), "chatcmpl-")},
          {"type", "message"},
          {"role", "assistant"},
          {"model", str(chat.if_contains("model"))},
          {"content", std::move(content)},
          {"stop_reason", stop_reason_for(finish)},
          {"stop_sequence", nullptr},
          {"usage", anthropic_usage(u)}};
}

std::string anthropic_error_body(std::string_view type, std::string_view message) {
  return json::serialize(json::object{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
}

std::string_view error_type_for_status(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    case 504: return "timeout_error";
    default: return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

std::string openai_error_to_anthropic(const json::object& openai_error, int status) {
  std::string message;
  if (auto* e = openai_error.if_contains("error"); e && e->is_object())
    message = str(e->as_object().if_contains("message"));
  if (message.empty()) message = "the backend returned an error without a message";
  return anthropic_error_body(error_type_for_status(status), message);
}

}  // namespace hgw::protocol::anthropic
