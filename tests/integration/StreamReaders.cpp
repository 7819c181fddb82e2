#include "tests/integration/StreamReaders.hpp"

#include "tests/integration/TestHttp.hpp"

namespace hgw::test {

namespace json = boost::json;

ChatStreamRead read_chat_stream(const std::string& body) {
  ChatStreamRead s;
  for (const auto& e : parse_sse(body)) {
    if (e.data == "[DONE]") {
      ++s.dones;
      continue;
    }
    const auto v = json::parse(e.data).as_object();
    if (v.contains("error")) {
      ++s.errors;
      continue;
    }
    if (const auto* id = v.if_contains("id"); id && id->is_string()) s.ids.insert(std::string(id->as_string()));
    if (const auto* u = v.if_contains("usage"); u && u->is_object()) s.usage = u->as_object();
    const auto* choices = v.if_contains("choices");
    if (!choices || !choices->is_array()) continue;
    for (const auto& c : choices->as_array()) {
      const auto& delta = c.at("delta").as_object();
      if (delta.contains("role")) ++s.roles;
      if (const auto* t = delta.if_contains("content"); t && t->is_string()) s.text += t->as_string();
    }
  }
  return s;
}

MessagesStreamRead read_messages_stream(const std::string& body) {
  MessagesStreamRead s;
  for (const auto& e : parse_sse(body)) {
    if (e.event == "message_start") ++s.starts;
    if (e.event == "message_stop") ++s.stops;
    if (e.event == "content_block_delta") s.text += json::parse(e.data).at("delta").at("text").as_string();
  }
  return s;
}

ResponsesStreamRead read_responses_stream(const std::string& body) {
  ResponsesStreamRead s;
  std::int64_t expected = 0;
  for (const auto& e : parse_sse(body)) {
    const auto data = json::parse(e.data).as_object();
    const auto* n = data.if_contains("sequence_number");
    if (!n || !n->is_int64() || n->as_int64() != expected++) s.numbered = false;
    if (e.event == "response.created") ++s.created;
    if (e.event == "response.output_text.delta") s.text += data.at("delta").as_string();
    if (const auto* r = data.if_contains("response"); r && r->is_object()) s.last_response = r->as_object();
    s.last_event = e.event;
  }
  return s;
}

std::string restricted_stays_local_yaml(const std::string& detectors) {
  return "compliance:\n"
         "  detectors: " + detectors + "\n"
         "  classify: { cn_resident_id: restricted }\n"
         "  rules:\n"
         "    - { name: restricted-stays-local, when: { class: restricted }, allow: { locality: [local] } }\n";
}

}  // namespace hgw::test
