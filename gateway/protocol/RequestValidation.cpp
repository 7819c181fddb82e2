#include "gateway/protocol/RequestValidation.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace hgw::protocol {

namespace json = boost::json;

namespace {

std::string member_path(const std::string& parent, std::string_view key) { return parent + "." + std::string(key); }
std::string index_path(const std::string& parent, std::size_t i) { return parent + "[" + std::to_string(i) + "]"; }

std::string problem(const std::string& path, std::string_view what) { return path + ": " + std::string(what); }

const json::value* present(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return (v && !v->is_null()) ? v : nullptr;
}

bool integral_in(const json::value& v, std::uint64_t min, std::uint64_t max) {
  if (v.is_uint64()) return v.get_uint64() >= min && v.get_uint64() <= max;
  if (v.is_int64()) return v.get_int64() >= 0 && static_cast<std::uint64_t>(v.get_int64()) >= min &&
                           static_cast<std::uint64_t>(v.get_int64()) <= max;
  if (v.is_double()) {  // 100.0 from a client that writes every number as a float
    const double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d && d >= static_cast<double>(min) && d <= static_cast<double>(max);
  }
  return false;
}

// Checks of one body; each returns "" or the first problem.
class Check {
 public:
  explicit Check(const json::object& body) : body_(body) {}

  std::string boolean(std::string_view key) const {
    const auto* v = present(body_, key);
    if (v && !v->is_bool()) return problem(member_path("$", key), "expected true or false");
    return {};
  }

  std::string integer(std::string_view key, std::uint64_t min, std::uint64_t max) const {
    const auto* v = present(body_, key);
    if (v && !integral_in(*v, min, max))
      return problem(member_path("$", key),
                     "expected an integer between " + std::to_string(min) + " and " + std::to_string(max));
    return {};
  }

  std::string stream_options() const {
    const auto* v = present(body_, "stream_options");
    if (!v) return {};
    if (!v->is_object()) return problem("$.stream_options", "expected an object");
    if (const auto* iu = present(v->get_object(), "include_usage"); iu && !iu->is_bool())
      return problem("$.stream_options.include_usage", "expected true or false");
    return {};
  }

  // OpenAI tools: [{type: "function", function: {name, ...}}, ...] (other
  // types pass as the backend defines them).
  std::string openai_tools() const {
    if (const auto* v = present(body_, "tools")) {
      if (!v->is_array()) return problem("$.tools", "expected an array of tools");
      const auto& tools = v->get_array();
      for (std::size_t i = 0; i < tools.size(); ++i) {
        const std::string path = index_path("$.tools", i);
        const auto* tool = tools[i].if_object();
        if (!tool) return problem(path, "expected an object");
        const auto* type = present(*tool, "type");
        if (!type || !type->is_string()) return problem(path + ".type", "expected a string");
        if (type->get_string() != "function") continue;
        const auto* fn = present(*tool, "function");
        if (!fn || !fn->is_object()) return problem(path + ".function", "expected an object");
        const auto* name = present(fn->get_object(), "name");
        if (!name || !name->is_string() || name->get_string().empty())
          return problem(path + ".function.name", "expected a non-empty string");
      }
    }
    if (const auto* v = present(body_, "functions")) {
      if (!v->is_array()) return problem("$.functions", "expected an array");
      const auto& fns = v->get_array();
      for (std::size_t i = 0; i < fns.size(); ++i) {
        const auto* fn = fns[i].if_object();
        const auto* name = fn ? present(*fn, "name") : nullptr;
        if (!name || !name->is_string()) return problem(index_path("$.functions", i) + ".name", "expected a string");
      }
    }
    return {};
  }

  std::string response_format() const {
    const auto* v = present(body_, "response_format");
    if (!v) return {};
    const auto* o = v->if_object();
    const auto* type = o ? present(*o, "type") : nullptr;
    if (!type || !type->is_string())
      return problem("$.response_format", "expected an object with a string type");
    return {};
  }

  // A string, an array of strings, an array of token ids, or an array of
  // token-id arrays (completions' prompt, embeddings' input).
  std::string text_or_tokens(std::string_view key, bool required) const {
    const std::string path = member_path("$", key);
    const auto* v = present(body_, key);
    if (!v) return required ? problem(path, "is required") : std::string();
    if (v->is_string()) return {};
    const auto* a = v->if_array();
    const char* what = "expected a string, an array of strings, or token ids";
    if (!a) return problem(path, what);
    for (std::size_t i = 0; i < a->size(); ++i) {
      const auto& e = (*a)[i];
      if (e.is_string() || e.is_int64() || e.is_uint64()) continue;
      if (const auto* tokens = e.if_array()) {
        for (std::size_t k = 0; k < tokens->size(); ++k)
          if (!(*tokens)[k].is_int64() && !(*tokens)[k].is_uint64())
            return problem(index_path(index_path(path, i), k), "expected a token id (integer)");
        continue;
      }
      return problem(index_path(path, i), what);
    }
    return {};
  }

  std::string chat_messages() const {
    const auto* v = present(body_, "messages");
    if (!v) return problem("$.messages", "is required (an array of messages)");
    if (!v->is_array()) return problem("$.messages", "expected an array of messages");
    const auto& messages = v->get_array();
    if (messages.empty()) return problem("$.messages", "must not be empty");
    for (std::size_t i = 0; i < messages.size(); ++i) {
      // Paths are made only for an error: a valid request pays nothing for them.
      auto path = [&] { return index_path("$.messages", i); };
      const auto* m = messages[i].if_object();
      if (!m) return problem(path(), "expected an object with a role");
      // The members in one pass: a look-up per field scans the object each time.
      const json::value *role = nullptr, *content = nullptr, *name = nullptr, *calls = nullptr;
      for (const auto& member : *m) {
        const std::string_view key = member.key();
        const json::value* v = member.value().is_null() ? nullptr : &member.value();  // null reads as absent
        if (key == "role") role = v;
        else if (key == "content") content = v;
        else if (key == "name") name = v;
        else if (key == "tool_calls") calls = v;
      }
      if (!role || !role->is_string()) return problem(path() + ".role", "expected a string");
      if (content && !content->is_string()) {
        if (auto e = openai_content(*content, path() + ".content"); !e.empty()) return e;
      }
      if (name && !name->is_string()) return problem(path() + ".name", "expected a string");
      if (calls) {
        if (!calls->is_array()) return problem(path() + ".tool_calls", "expected an array");
        const auto& list = calls->get_array();
        for (std::size_t k = 0; k < list.size(); ++k) {
          auto cp = [&] { return index_path(path() + ".tool_calls", k); };
          const auto* call = list[k].if_object();
          if (!call) return problem(cp(), "expected an object");
          const auto* fn = present(*call, "function");
          if (!fn || !fn->is_object()) return problem(cp() + ".function", "expected an object");
          if (const auto* args = present(fn->get_object(), "arguments"); args && !args->is_string())
            return problem(cp() + ".function.arguments", "expected a string (JSON text)");
        }
      }
    }
    return {};
  }

  // The shape the Responses translator walks (ResponsesRequest.cpp checks
  // each item's own fields and says which one is wrong).
  std::string responses_input() const {
    const auto* v = present(body_, "input");
    if (!v) return problem("$.input", "required: a string, or an array of input items");
    if (v->is_string()) return {};
    if (!v->is_array()) return problem("$.input", "expected a string or an array of input items");
    const auto& items = v->get_array();
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!items[i].is_object()) return problem(index_path("$.input", i), "expected an object (an input item)");
    return {};
  }

  std::string string_member(std::string_view key) const {
    const auto* v = present(body_, key);
    if (v && !v->is_string()) return problem(member_path("$", key), "expected a string");
    return {};
  }

  std::string anthropic_messages() const {
    const auto* v = present(body_, "messages");
    if (!v) return problem("$.messages", "is required (an array of messages)");
    if (!v->is_array()) return problem("$.messages", "expected an array of messages");
    const auto& messages = v->get_array();
    if (messages.empty()) return problem("$.messages", "must not be empty");
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const std::string path = index_path("$.messages", i);
      const auto* m = messages[i].if_object();
      if (!m) return problem(path, "expected an object with a role");
      const auto* role = present(*m, "role");
      if (!role || !role->is_string()) return problem(path + ".role", "expected a string");
      const auto* content = m->if_contains("content");
      if (!content) return problem(path + ".content", "is required (a string or an array of content blocks)");
      if (auto e = blocks(*content, path + ".content"); !e.empty()) return e;
    }
    if (const auto* system = present(body_, "system"))
      if (auto e = blocks(*system, "$.system"); !e.empty()) return e;
    if (const auto* tools = present(body_, "tools")) {
      if (!tools->is_array()) return problem("$.tools", "expected an array of tools");
      const auto& list = tools->get_array();
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto* tool = list[i].if_object();
        const auto* name = tool ? present(*tool, "name") : nullptr;
        if (!name || !name->is_string() || name->get_string().empty())
          return problem(index_path("$.tools", i) + ".name", "expected a non-empty string");
      }
    }
    if (const auto* stops = present(body_, "stop_sequences")) {
      if (!stops->is_array()) return problem("$.stop_sequences", "expected an array of strings");
      for (std::size_t i = 0; i < stops->get_array().size(); ++i)
        if (!stops->get_array()[i].is_string())
          return problem(index_path("$.stop_sequences", i), "expected a string");
    }
    return {};
  }

 private:
  // OpenAI content: a string, an array of parts ({type, ...}), or null.
  static std::string openai_content(const json::value& content, const std::string& path) {
    if (content.is_string() || content.is_null()) return {};
    const auto* parts = content.if_array();
    if (!parts) return problem(path, "expected a string, an array or null");
    for (std::size_t k = 0; k < parts->size(); ++k) {
      const std::string pp = index_path(path, k);
      const auto* part = (*parts)[k].if_object();
      if (!part) return problem(pp, "expected an object with a type");
      const auto* type = present(*part, "type");
      if (!type || !type->is_string()) return problem(pp + ".type", "expected a string");
      if (type->get_string() == "text") {
        const auto* text = present(*part, "text");
        if (!text || !text->is_string()) return problem(pp + ".text", "expected a string");
      }
    }
    return {};
  }

  // Anthropic content: a string or an array of blocks ({type, ...}).
  static std::string blocks(const json::value& content, const std::string& path) {
    if (content.is_string()) return {};
    const auto* list = content.if_array();
    if (!list) return problem(path, "expected a string or an array of content blocks");
    for (std::size_t k = 0; k < list->size(); ++k) {
      const auto* block = (*list)[k].if_object();
      const auto* type = block ? present(*block, "type") : nullptr;
      if (!type || !type->is_string()) return problem(index_path(path, k) + ".type", "expected a string");
    }
    return {};
  }

  const json::object& body_;
};

}  // namespace

std::string validate_request(const json::object& body, policy::Endpoint endpoint) {
  const Check check(body);
  std::string e;
  auto first = [&](std::string result) {
    if (e.empty()) e = std::move(result);
  };
  switch (endpoint) {
    case policy::Endpoint::chat:
      first(check.chat_messages());
      first(check.boolean("stream"));
      first(check.stream_options());
      first(check.integer("max_tokens", 1, kMaxTokensField));
      first(check.integer("max_completion_tokens", 1, kMaxTokensField));
      first(check.integer("n", 1, kMaxChoices));
      first(check.openai_tools());
      first(check.response_format());
      break;
    case policy::Endpoint::completions:
      first(check.text_or_tokens("prompt", true));
      first(check.boolean("stream"));
      first(check.stream_options());
      first(check.integer("max_tokens", 1, kMaxTokensField));
      first(check.integer("n", 1, kMaxChoices));
      break;
    case policy::Endpoint::embeddings:
      first(check.text_or_tokens("input", true));
      break;
    case policy::Endpoint::messages:
      first(check.anthropic_messages());
      first(check.boolean("stream"));
      first(check.integer("max_tokens", 1, kMaxTokensField));
      break;
    case policy::Endpoint::responses:
      first(check.responses_input());
      first(check.string_member("instructions"));
      first(check.string_member("previous_response_id"));
      first(check.boolean("stream"));
      first(check.boolean("store"));
      first(check.boolean("parallel_tool_calls"));
      first(check.integer("max_output_tokens", 1, kMaxTokensField));
      break;
  }
  return e;
}

}  // namespace hgw::protocol
