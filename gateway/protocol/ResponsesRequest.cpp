#include "gateway/protocol/ResponsesRequest.hpp"

#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/ResponsesJson.hpp"

#include <string>
#include <utility>
#include <vector>

namespace hgw::protocol::responses {

namespace json = boost::json;

namespace {

using detail::obj;
using detail::str;

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Items that only OpenAI's own tools produce or consume: chat backends have no
// way to run the tool, so the item cannot mean anything to them.
bool is_hosted_tool_item(std::string_view type) {
  return type.ends_with("_call") || type.ends_with("_call_output") || type.starts_with("mcp_") ||
         type == "compaction" || type == "tool_search_output";
}

// Turns the items of a conversation into chat messages, checking that every
// function call is answered before the conversation moves on (chat backends
// reject an assistant tool_calls message that is not followed by one tool
// message per call, and OpenAI itself rejects such input).
class ItemConverter {
 public:
  ItemConverter(const RequestOptions& options, const json::array* history)
      : options_(options), history_(history) {}

  json::array& messages() { return messages_; }
  json::array& developer_messages() { return developer_; }
  const std::string& error() const { return error_; }

  // Converts one item; `normalised` (may be null) receives its stored form.
  bool item(const json::value& value, const std::string& path, std::string_view id_tag, json::array* normalised,
            bool resolving_reference = false) {
    const json::object* item = value.if_object();
    if (!item) return fail(path, "each input item must be an object");
    const std::string_view type = str(item->if_contains("type"));
    if (type == "message" || (type.empty() && item->contains("role"))) return message(*item, path, id_tag, normalised);
    if (type == "function_call") return function_call(*item, path, id_tag, normalised);
    if (type == "function_call_output") return function_call_output(*item, path, id_tag, normalised);
    if (type == "reasoning") {
      // Reasoning of an earlier turn (often encrypted for OpenAI only): chat
      // messages have no place for it and the model does not need it to go on.
      if (normalised) normalised->push_back(*item);
      return true;
    }
    if (type == "item_reference") {
      if (resolving_reference) return fail(path, "an item_reference may not name another item_reference");
      return reference(*item, path, normalised);
    }
    if (type.empty()) return fail(path + ".type", "required (message, function_call or function_call_output)");
    if (is_hosted_tool_item(type))
      return fail(path + ".type", quoted(type) +
                                      " items belong to tools that run on OpenAI's side; chat backends cannot take "
                                      "them (expected message, function_call, function_call_output)");
    return fail(path + ".type",
                "unknown item type " + quoted(type) + " (expected message, function_call, function_call_output)");
  }

  // After the last item: every call must have had its output.
  bool finish() {
    if (open_calls_.empty()) return true;
    const auto& call = open_calls_.front();
    return fail(call.path, "function_call " + quoted(call.id) + " (" + call.name +
                               ") has no function_call_output: send the tool's result as a function_call_output "
                               "item with that call_id");
  }

 private:
  struct OpenCall {
    std::string id, name, path;
  };

  bool fail(const std::string& path, const std::string& message) {
    error_ = path + ": " + message;
    return false;
  }

  std::string new_id(std::string_view prefix, std::string_view tag) const {
    return detail::item_id(prefix, options_.response_id, tag);
  }

  std::string id_or_new(const json::object& item, std::string_view prefix, std::string_view tag) const {
    const auto given = str(item.if_contains("id"));
    return given.empty() ? new_id(prefix, tag) : std::string(given);
  }

  // A message must not come between a call and its output.
  bool no_open_calls(const std::string& path) {
    if (open_calls_.empty()) return true;
    const auto& call = open_calls_.front();
    return fail(path, "function_call " + quoted(call.id) + " (" + call.name +
                          ") has no function_call_output before this message: chat backends need each tool "
                          "result right after its call");
  }

  // Content parts → chat parts (text and image_url) and the stored parts.
  bool parts(const json::value* content, std::string_view role, const std::string& path, json::array& chat,
             json::array& stored, bool& has_image) {
    if (!content || content->is_null()) return true;
    const bool assistant = role == "assistant";
    if (content->is_string()) {
      chat.push_back(json::object{{"type", "text"}, {"text", *content}});
      if (assistant)
        stored.push_back(json::object{{"type", "output_text"}, {"text", *content}, {"annotations", json::array{}}});
      else
        stored.push_back(json::object{{"type", "input_text"}, {"text", *content}});
      return true;
    }
    if (!content->is_array()) return fail(path, "must be a string or an array of content parts");
    const auto& list = content->as_array();
    for (std::size_t j = 0; j < list.size(); ++j) {
      const std::string part_path = index_path(path, j);
      const json::object* part = list[j].if_object();
      if (!part) return fail(part_path, "each content part must be an object");
      const std::string_view type = str(part->if_contains("type"));
      if (type == "input_text" || type == "output_text" || type == "text") {
        const json::value* text = part->if_contains("text");
        if (!text || !text->is_string()) return fail(part_path + ".text", "required (a string)");
        chat.push_back(json::object{{"type", "text"}, {"text", *text}});
        stored.push_back(*part);
      } else if (type == "refusal") {
        // An earlier refusal replayed in the conversation: keep its words as text.
        const std::string_view refusal = str(part->if_contains("refusal"));
        chat.push_back(json::object{{"type", "text"}, {"text", refusal}});
        stored.push_back(*part);
      } else if (type == "input_image") {
        if (assistant) return fail(part_path, "assistant messages cannot carry images");
        const std::string_view url = str(part->if_contains("image_url"));
        if (url.empty()) {
          if (!str(part->if_contains("file_id")).empty())
            return fail(part_path, "images given by file_id live in OpenAI's Files API, which chat backends cannot "
                                   "read: send image_url (an http(s) URL or a data: URI) instead");
          return fail(part_path + ".image_url", "required (an http(s) URL or a data: URI)");
        }
        json::object image{{"url", url}};
        if (const auto detail = str(part->if_contains("detail")); !detail.empty()) image["detail"] = detail;
        chat.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
        stored.push_back(*part);
        has_image = true;
      } else if (type == "input_file") {
        return fail(part_path, "input_file parts cannot be sent to chat backends: put the document's text in an "
                               "input_text part");
      } else if (type == "input_audio") {
        return fail(part_path, "input_audio parts cannot be sent to chat backends");
      } else {
        return fail(part_path + ".type", "unknown content part type " + quoted(type) +
                                             " (expected input_text, input_image or output_text)");
      }
    }
    return true;
  }

  // Text-only parts become one string: many local servers accept nothing else.
  static json::value collapse(json::array parts, std::string_view separator) {
    std::string text;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& p = parts[i].as_object();
      if (str(p.if_contains("type")) != "text") return parts;
      if (i > 0) text += separator;
      text += str(p.if_contains("text"));
    }
    return json::string(text);
  }

  bool message(const json::object& item, const std::string& path, std::string_view id_tag, json::array* normalised) {
    const std::string_view role = str(item.if_contains("role"));
    if (role != "user" && role != "assistant" && role != "system" && role != "developer")
      return fail(path + ".role", "must be user, assistant, system or developer (got " + quoted(role) + ")");
    if (!no_open_calls(path)) return false;
    json::array chat, stored;
    bool has_image = false;
    if (!parts(item.if_contains("content"), role, path + ".content", chat, stored, has_image)) return false;
    if ((role == "system" || role == "developer") && has_image)
      return fail(path + ".content", std::string(role) + " messages can only hold text");
    // developer is OpenAI's newer name for system; local servers know only system.
    const std::string_view chat_role = role == "developer" ? "system" : role;
    if (role == "developer") developer_.push_back(static_cast<std::int64_t>(messages_.size()));
    messages_.push_back(json::object{
        {"role", chat_role}, {"content", collapse(std::move(chat), role == "assistant" ? "" : "\n")}});
    if (normalised)
      normalised->push_back(json::object{{"type", "message"},
                                         {"id", id_or_new(item, "msg", id_tag)},
                                         {"role", role},
                                         {"content", std::move(stored)},
                                         {"status", "completed"}});
    return true;
  }

  bool function_call(const json::object& item, const std::string& path, std::string_view id_tag,
                     json::array* normalised) {
    const std::string_view call_id = str(item.if_contains("call_id"));
    const std::string_view name = str(item.if_contains("name"));
    if (call_id.empty()) return fail(path + ".call_id", "required (the id that its function_call_output repeats)");
    if (name.empty()) return fail(path + ".name", "required (the function's name)");
    const json::value* args = item.if_contains("arguments");
    if (args && !args->is_string() && !args->is_null())
      return fail(path + ".arguments", "must be a string (the arguments as JSON text)");
    for (const auto& seen : seen_calls_)
      if (seen == call_id)
        return fail(path + ".call_id", quoted(call_id) + " is used by an earlier function_call: each call needs its "
                                                         "own call_id");
    const std::string_view arguments = str(args).empty() ? std::string_view("{}") : str(args);
    json::object call{{"id", call_id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
    // Calls the model made together become one assistant message, which also
    // keeps any text the model said before them.
    json::object* last = messages_.empty() ? nullptr : messages_.back().if_object();
    if (last && str(last->if_contains("role")) == "assistant") {
      json::value& calls = (*last)["tool_calls"];
      if (!calls.is_array()) calls = json::array{};
      calls.as_array().push_back(std::move(call));
      if (const json::value* content = last->if_contains("content"); content && content->is_string() &&
                                                                      content->as_string().empty())
        (*last)["content"] = nullptr;
    } else {
      messages_.push_back(
          json::object{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array{std::move(call)}}});
    }
    seen_calls_.emplace_back(call_id);
    open_calls_.push_back({std::string(call_id), std::string(name), path});
    if (normalised) {
      json::object stored{{"type", "function_call"},
                          {"id", id_or_new(item, "fc", id_tag)},
                          {"call_id", call_id},
                          {"name", name},
                          {"arguments", arguments},
                          {"status", "completed"}};
      // Chat backends see a namespace's tools by their own names (see translate_tools).
      if (const auto ns = str(item.if_contains("namespace")); !ns.empty()) stored["namespace"] = ns;
      normalised->push_back(std::move(stored));
    }
    return true;
  }

  bool output_text(const json::value* output, const std::string& path, std::string& text) {
    if (!output || output->is_null()) return true;
    if (output->is_string()) {
      text = str(output);
      return true;
    }
    if (!output->is_array()) return fail(path, "must be a string or an array of input_text parts");
    const auto& list = output->as_array();
    for (std::size_t j = 0; j < list.size(); ++j) {
      const json::object* part = list[j].if_object();
      const std::string_view type = part ? str(part->if_contains("type")) : std::string_view{};
      if (type != "input_text" && type != "output_text" && type != "text")
        return fail(index_path(path, j), "chat backends accept only text in tool results (got part type " +
                                             quoted(type) + ")");
      if (!text.empty()) text += "\n";
      text += str(part->if_contains("text"));
    }
    return true;
  }

  bool function_call_output(const json::object& item, const std::string& path, std::string_view id_tag,
                            json::array* normalised) {
    const std::string_view call_id = str(item.if_contains("call_id"));
    if (call_id.empty()) return fail(path + ".call_id", "required (the call_id of the function_call it answers)");
    bool seen = false;
    for (const auto& s : seen_calls_) seen = seen || s == call_id;
    if (!seen) return fail(path, "function_call_output for call_id " + quoted(call_id) + " has no function_call before it");
    auto open = open_calls_.begin();
    while (open != open_calls_.end() && open->id != call_id) ++open;
    if (open == open_calls_.end())
      return fail(path, "call_id " + quoted(call_id) + " already has a function_call_output");
    std::string text;
    if (!output_text(item.if_contains("output"), path + ".output", text)) return false;
    open_calls_.erase(open);
    messages_.push_back(json::object{{"role", "tool"}, {"tool_call_id", call_id}, {"content", text}});
    if (normalised) {
      const json::value* output = item.if_contains("output");
      normalised->push_back(json::object{{"type", "function_call_output"},
                                         {"id", id_or_new(item, "fco", id_tag)},
                                         {"call_id", call_id},
                                         {"output", output ? *output : json::value("")},
                                         {"status", "completed"}});
    }
    return true;
  }

  const json::object* find(std::string_view id) const {
    if (history_)
      for (const auto& v : *history_)
        if (const json::object* o = v.if_object(); o && str(o->if_contains("id")) == id) return o;
    return options_.find_item ? options_.find_item(id) : nullptr;
  }

  // Clients that let OpenAI store their turns (the Vercel AI SDK by default)
  // send earlier output items back by id only.
  bool reference(const json::object& item, const std::string& path, json::array* normalised) {
    const std::string_view id = str(item.if_contains("id"));
    if (id.empty()) return fail(path + ".id", "required (the id of a stored item)");
    const json::object* target = find(id);
    if (!target)
      return fail(path, "item_reference " + quoted(id) +
                            " names no item this gateway has stored: send the item itself (items are kept only for "
                            "responses created with store=true)");
    return this->item(*target, path + " (item_reference " + quoted(id) + ")", {}, normalised, true);
  }

  const RequestOptions& options_;
  const json::array* history_;
  json::array messages_;
  json::array developer_;  // indices of messages that were developer messages
  std::vector<std::string> seen_calls_;
  std::vector<OpenCall> open_calls_;
  std::string error_;
};

std::string fail_at(std::string path, std::string_view message) { return path + ": " + std::string(message); }

bool has_tool(const json::array& tools, std::string_view name);

// One function tool (flat in the Responses API) → a chat tool (nested under "function").
std::string function_tool(const json::object& tool, const std::string& path, json::array& tools) {
  const std::string_view name = str(tool.if_contains("name"));
  if (name.empty()) return fail_at(path + ".name", "required (the function's name)");
  if (has_tool(tools, name))
    return fail_at(path + ".name", quoted(name) + " is the name of an earlier tool too: chat backends call tools by "
                                                  "name only, so names must be unique");
  json::object fn{{"name", name}};
  if (const auto d = str(tool.if_contains("description")); !d.empty()) fn["description"] = d;
  if (const json::value* p = tool.if_contains("parameters"); p && !p->is_null()) {
    if (!p->is_object()) return fail_at(path + ".parameters", "must be a JSON schema object");
    fn["parameters"] = *p;
  }
  if (const json::value* s = tool.if_contains("strict"); s && s->is_bool()) fn["strict"] = *s;
  tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
  return {};
}

// Function tools, and namespaces of them (flattened: the model calls them by
// their own names, and the response translators put the namespace back).
std::string translate_tools(const json::object& in, bool drop_hosted, json::array& tools, json::array& hosted) {
  const json::value* v = in.if_contains("tools");
  if (!v || v->is_null()) return {};
  if (!v->is_array()) return fail_at("$.tools", "must be an array");
  const auto& list = v->as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = index_path("$.tools", i);
    const json::object* tool = list[i].if_object();
    if (!tool) return fail_at(path, "each tool must be an object");
    const std::string_view type = str(tool->if_contains("type"));
    if (type.empty()) return fail_at(path + ".type", "required ('function')");
    if (type == "function") {
      if (auto e = function_tool(*tool, path, tools); !e.empty()) return e;
      continue;
    }
    if (type == "namespace") {
      const json::value* inner = tool->if_contains("tools");
      if (str(tool->if_contains("name")).empty()) return fail_at(path + ".name", "required (the namespace's name)");
      if (!inner || !inner->is_array()) return fail_at(path + ".tools", "required (an array of function tools)");
      for (std::size_t j = 0; j < inner->as_array().size(); ++j) {
        const std::string inner_path = index_path(path + ".tools", j);
        const json::object* t = inner->as_array()[j].if_object();
        if (!t || str(t->if_contains("type")) != "function")
          return fail_at(inner_path + ".type", "chat backends can only take function tools inside a namespace");
        if (auto e = function_tool(*t, inner_path, tools); !e.empty()) return e;
      }
      continue;
    }
    // A tool the model runs on OpenAI's side (web_search, file_search, …) or
    // a free-form custom tool: a chat model cannot use it. Dropped only when
    // the gateway is told to (the model then answers without it).
    if (drop_hosted) {
      hosted.push_back(*tool);
      continue;
    }
    if (type == "custom")
      return fail_at(path + ".type", "custom (free-form) tools cannot be sent to chat backends: declare a function "
                                     "tool with a JSON schema instead");
    return fail_at(path + ".type", quoted(type) +
                                       " tools run on OpenAI's side and chat backends cannot run them: remove the "
                                       "tool, or route this model to a backend that speaks the Responses API");
  }
  return {};
}

bool has_tool(const json::array& tools, std::string_view name) {
  for (const auto& t : tools)
    if (str(t.as_object().at("function").as_object().if_contains("name")) == name) return true;
  return false;
}

// tool_choice, including allowed_tools, which chat backends do not know: the
// tool list is cut down to the allowed ones, which restricts the model alike.
std::string translate_tool_choice(const json::object& in, json::array& tools, json::object& out) {
  const json::value* tc = in.if_contains("tool_choice");
  if (!tc || tc->is_null()) return {};
  json::value choice;
  if (tc->is_string()) {
    const auto s = str(tc);
    if (s != "auto" && s != "none" && s != "required")
      return fail_at("$.tool_choice", "must be auto, none, required or {\"type\":\"function\",\"name\":…} (got " +
                                          quoted(s) + ")");
    choice = *tc;
  } else if (const json::object* c = tc->if_object()) {
    const std::string_view type = str(c->if_contains("type"));
    if (type == "function") {
      const std::string_view name = str(c->if_contains("name"));
      if (name.empty()) return fail_at("$.tool_choice.name", "required (the function to call)");
      if (!has_tool(tools, name)) return fail_at("$.tool_choice.name", "no function tool named " + quoted(name) + " in $.tools");
      choice = json::object{{"type", "function"}, {"function", {{"name", name}}}};
    } else if (type == "allowed_tools") {
      const std::string_view mode = str(c->if_contains("mode"));
      if (mode != "auto" && mode != "required") return fail_at("$.tool_choice.mode", "must be auto or required");
      const json::value* allowed = c->if_contains("tools");
      if (!allowed || !allowed->is_array()) return fail_at("$.tool_choice.tools", "required (an array of tools)");
      json::array kept;
      for (std::size_t i = 0; i < allowed->as_array().size(); ++i) {
        const json::object* a = allowed->as_array()[i].if_object();
        const std::string_view name = a ? str(a->if_contains("name")) : std::string_view{};
        if (!a || str(a->if_contains("type")) != "function" || name.empty())
          return fail_at(index_path("$.tool_choice.tools", i),
                         "chat backends can only be limited to function tools ({\"type\":\"function\",\"name\":…})");
        if (!has_tool(tools, name))
          return fail_at(index_path("$.tool_choice.tools", i), "no function tool named " + quoted(name) + " in $.tools");
      }
      for (auto& t : tools) {
        const auto name = str(t.as_object().at("function").as_object().if_contains("name"));
        for (const auto& a : allowed->as_array())
          if (str(a.as_object().if_contains("name")) == name) {
            kept.push_back(std::move(t));
            break;
          }
      }
      tools = std::move(kept);
      choice = json::string(mode);
    } else {
      return fail_at("$.tool_choice.type", quoted(type) + " selects a tool that chat backends cannot run (expected "
                                                          "'function' or 'allowed_tools')");
    }
  } else {
    return fail_at("$.tool_choice", "must be a string or an object");
  }
  out["tool_choice"] = std::move(choice);
  return {};
}

std::string translate_format(const json::object& in, json::object& out) {
  const json::value* text = in.if_contains("text");
  if (!text || text->is_null()) return {};
  if (!text->is_object()) return fail_at("$.text", "must be an object");
  const json::value* format = text->as_object().if_contains("format");
  if (!format || format->is_null()) return {};
  const json::object* f = format->if_object();
  if (!f) return fail_at("$.text.format", "must be an object");
  const std::string_view type = str(f->if_contains("type"));
  if (type == "text") return {};
  if (type == "json_object") {
    out["response_format"] = {{"type", "json_object"}};
    return {};
  }
  if (type != "json_schema") return fail_at("$.text.format.type", "must be text, json_object or json_schema");
  const std::string_view name = str(f->if_contains("name"));
  if (name.empty()) return fail_at("$.text.format.name", "required for json_schema");
  const json::value* schema = f->if_contains("schema");
  if (!schema || !schema->is_object()) return fail_at("$.text.format.schema", "required for json_schema (a JSON schema object)");
  json::object js{{"name", name}, {"schema", *schema}};
  if (const auto d = str(f->if_contains("description")); !d.empty()) js["description"] = d;
  if (const json::value* s = f->if_contains("strict"); s && s->is_bool()) js["strict"] = *s;
  out["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(js)}};
  return {};
}

std::string translate_sampling(const json::object& in, json::object& out) {
  if (const json::value* v = in.if_contains("max_output_tokens"); v && !v->is_null()) {
    const auto n = detail::integer(in, "max_output_tokens");
    if (!n || *n <= 0) return fail_at("$.max_output_tokens", "must be a positive integer");
    out["max_tokens"] = *n;
  }
  for (const char* key : {"temperature", "top_p"}) {
    const json::value* v = in.if_contains(key);
    if (!v || v->is_null()) continue;
    if (!v->is_number()) return fail_at(std::string("$.") + key, "must be a number");
    out[key] = *v;
  }
  if (const json::value* r = in.if_contains("reasoning"); r && !r->is_null()) {
    if (!r->is_object()) return fail_at("$.reasoning", "must be an object");
    const json::value* effort = r->as_object().if_contains("effort");
    if (effort && !effort->is_null()) {
      if (!effort->is_string()) return fail_at("$.reasoning.effort", "must be a string (low, medium, high, …)");
      out["reasoning_effort"] = *effort;
    }
    // reasoning.summary has no chat equivalent: chat backends return no summary.
  }
  return {};
}

// Request fields the gateway cannot honour at all: refusing is better than
// quietly doing something else.
std::string unsupported_fields(const json::object& in) {
  if (const json::value* b = in.if_contains("background"); b && b->is_bool() && b->as_bool())
    return fail_at("$.background", "background responses are not supported by this gateway: send the request "
                                   "without background (stream it if it takes long)");
  if (const json::value* c = in.if_contains("conversation"); c && !c->is_null())
    return fail_at("$.conversation", "conversations are not supported by this gateway: chain turns with "
                                     "previous_response_id");
  if (const json::value* p = in.if_contains("prompt"); p && !p->is_null())
    return fail_at("$.prompt", "prompt templates are stored on OpenAI's side and cannot be run on chat backends: "
                               "send instructions and input instead");
  return {};
}

}  // namespace

RequestTranslation responses_request_to_chat(const json::object& in, const json::array* history,
                                             const RequestOptions& options) {
  RequestTranslation t;
  if (t.error = unsupported_fields(in); !t.error.empty()) return t;

  ItemConverter items(options, history);
  if (const json::value* instructions = in.if_contains("instructions"); instructions && !instructions->is_null()) {
    if (!instructions->is_string()) {
      t.error = fail_at("$.instructions", "must be a string");
      return t;
    }
    if (!instructions->as_string().empty())
      items.messages().push_back(json::object{{"role", "system"}, {"content", *instructions}});
  }
  if (history) {
    for (std::size_t i = 0; i < history->size(); ++i)
      if (!items.item((*history)[i], "$.previous_response_id (stored item " + std::to_string(i) + ")", {}, nullptr)) {
        t.error = items.error();
        return t;
      }
  }
  const json::value* input = in.if_contains("input");
  if (!input || input->is_null()) {
    t.error = fail_at("$.input", "required (a string, or an array of items)");
    return t;
  }
  if (input->is_string()) {
    json::object message{{"type", "message"}, {"role", "user"}, {"content", *input}};
    if (!items.item(message, "$.input", "in0", &t.input_items)) {
      t.error = items.error();
      return t;
    }
  } else if (input->is_array()) {
    const auto& list = input->as_array();
    if (list.empty() && !history) {
      t.error = fail_at("$.input", "must not be empty");
      return t;
    }
    for (std::size_t i = 0; i < list.size(); ++i)
      if (!items.item(list[i], index_path("$.input", i), "in" + std::to_string(i), &t.input_items)) {
        t.error = items.error();
        return t;
      }
  } else {
    t.error = fail_at("$.input", "must be a string or an array of items");
    return t;
  }
  if (!items.finish()) {
    t.error = items.error();
    return t;
  }

  auto& out = t.chat_body;
  if (const json::value* model = in.if_contains("model")) out["model"] = *model;
  out["messages"] = std::move(items.messages());
  json::array tools, hosted;
  if (t.error = translate_tools(in, options.drop_hosted_tools, tools, hosted); !t.error.empty()) return t;
  // Chat backends reject tool_choice and parallel_tool_calls without tools;
  // without tools they mean nothing anyway.
  json::object choice;
  if (t.error = translate_tool_choice(in, tools, choice); !t.error.empty()) return t;
  if (!tools.empty()) {
    out["tools"] = std::move(tools);
    if (auto* c = choice.if_contains("tool_choice")) out["tool_choice"] = std::move(*c);
    if (const json::value* p = in.if_contains("parallel_tool_calls"); p && p->is_bool()) out["parallel_tool_calls"] = *p;
  }
  if (t.error = translate_format(in, out); !t.error.empty()) return t;
  if (t.error = translate_sampling(in, out); !t.error.empty()) return t;
  if (const auto user = str(in.if_contains("user")); !user.empty()) out["user"] = user;
  if (const json::value* s = in.if_contains("stream"); s && s->is_bool() && s->as_bool()) out["stream"] = true;
  // What only a Responses backend can use rides along (kNativeResponsesExtras):
  // chat codecs leave it out, the Responses backend codec puts it back.
  // Inside the body, it is scanned and redacted like every other field.
  // Not sent anywhere: store and previous_response_id (the gateway keeps the
  // conversation), stream_options.
  json::object extras;
  if (!hosted.empty()) extras["tools"] = std::move(hosted);
  if (!items.developer_messages().empty()) extras["developer_messages"] = std::move(items.developer_messages());
  for (const char* key : detail::kNativeOnlyFields)
    if (const json::value* v = in.if_contains(key); v && !v->is_null()) extras[key] = *v;
  if (const json::object* text = obj(in, "text"))
    if (const json::value* verbosity = text->if_contains("verbosity"); verbosity && !verbosity->is_null())
      extras["verbosity"] = *verbosity;
  if (!extras.empty()) out[kNativeResponsesExtras] = std::move(extras);
  return t;
}

}  // namespace hgw::protocol::responses
