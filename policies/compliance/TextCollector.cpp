#include "policies/compliance/TextCollector.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace hgw::compliance {

namespace json = boost::json;

namespace {

using Out = std::vector<json::string*>;

void add(json::value* v, Out& out) {
  if (v != nullptr && v->is_string()) out.push_back(&v->get_string());
}

json::value* member(json::value& v, std::string_view key) {
  auto* o = v.if_object();
  return o ? o->if_contains(key) : nullptr;
}

// Every string leaf (object values and array elements, not keys).
void add_all_strings(json::value& v, Out& out, int depth = 0) {
  if (depth > 64) return;
  if (v.is_string()) {
    out.push_back(&v.get_string());
  } else if (auto* o = v.if_object()) {
    for (auto& kv : *o) add_all_strings(kv.value(), out, depth + 1);
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) add_all_strings(e, out, depth + 1);
  }
}

std::string_view type_of(json::value& block) {
  auto* t = member(block, "type");
  return (t && t->is_string()) ? std::string_view(t->get_string()) : std::string_view();
}

// OpenAI content: a string or an array of parts ({type:"text", text}).
void add_openai_content(json::value* content, Out& out) {
  if (!content) return;
  if (content->is_string()) {
    out.push_back(&content->get_string());
  } else if (auto* parts = content->if_array()) {
    for (auto& part : *parts) {
      if (part.is_string()) {
        out.push_back(&part.get_string());
        continue;
      }
      std::string_view t = type_of(part);
      if (t == "text" || t == "input_text") add(member(part, "text"), out);
    }
  }
}

void collect_chat(json::value& body, Out& out) {
  if (auto* msgs = member(body, "messages"); msgs && msgs->is_array()) {
    for (auto& m : msgs->get_array()) {
      if (!m.is_object()) continue;
      add_openai_content(member(m, "content"), out);
      add(member(m, "name"), out);
      if (auto* calls = member(m, "tool_calls"); calls && calls->is_array()) {
        for (auto& call : calls->get_array())
          if (auto* fn = member(call, "function")) add(member(*fn, "arguments"), out);
      }
      if (auto* fc = member(m, "function_call")) add(member(*fc, "arguments"), out);
    }
  }
  if (auto* tools = member(body, "tools"); tools && tools->is_array()) {
    for (auto& tool : tools->get_array())
      if (auto* fn = member(tool, "function")) add(member(*fn, "description"), out);
  }
}

void add_string_or_strings(json::value* v, Out& out) {
  if (!v) return;
  if (v->is_string()) {
    out.push_back(&v->get_string());
  } else if (auto* a = v->if_array()) {
    for (auto& e : *a) add(&e, out);  // token-id arrays have no text
  }
}

// Anthropic content: a string or blocks.
void add_anthropic_content(json::value* content, Out& out, int depth = 0) {
  if (!content || depth > 4) return;
  if (content->is_string()) {
    out.push_back(&content->get_string());
    return;
  }
  auto* blocks = content->if_array();
  if (!blocks) return;
  for (auto& block : *blocks) {
    std::string_view t = type_of(block);
    if (t == "text") {
      add(member(block, "text"), out);
    } else if (t == "tool_use" || t == "server_tool_use") {
      if (auto* input = member(block, "input")) add_all_strings(*input, out);
    } else if (t == "tool_result") {
      add_anthropic_content(member(block, "content"), out, depth + 1);
    } else if (t == "document") {
      if (auto* src = member(block, "source"); src && type_of(*src) == "text")
        add(member(*src, "data"), out);
    }
  }
}

void collect_messages(json::value& body, Out& out) {
  add_anthropic_content(member(body, "system"), out);
  if (auto* msgs = member(body, "messages"); msgs && msgs->is_array()) {
    for (auto& m : msgs->get_array()) add_anthropic_content(member(m, "content"), out);
  }
  if (auto* tools = member(body, "tools"); tools && tools->is_array()) {
    for (auto& tool : tools->get_array()) add(member(tool, "description"), out);
  }
}

}  // namespace

std::vector<json::string*> collect_texts(json::value& body, policy::Endpoint endpoint) {
  Out out;
  if (!body.is_object()) return out;
  switch (endpoint) {
    case policy::Endpoint::chat:
      collect_chat(body, out);
      break;
    case policy::Endpoint::completions:
      add_string_or_strings(member(body, "prompt"), out);
      add(member(body, "suffix"), out);
      break;
    case policy::Endpoint::embeddings:
      add_string_or_strings(member(body, "input"), out);
      break;
    case policy::Endpoint::messages:
      collect_messages(body, out);
      break;
  }
  return out;
}

}  // namespace hgw::compliance
