#include "tests/sim/ResponsesApi.hpp"

#include <ctime>
#include <string_view>
#include <utility>

#include "tests/sim/SimToolCall.hpp"

namespace hgw::sim {
namespace json = boost::json;
namespace {

std::string_view str(const json::value* v) {
  if (!v || !v->is_string()) return {};
  return {v->get_string().data(), v->get_string().size()};
}

std::string text_of(const json::value* content) {
  if (!content) return {};
  if (auto s = content->if_string()) return std::string(*s);
  std::string out;
  if (auto parts = content->if_array())
    for (const auto& part : *parts)
      if (auto o = part.if_object()) out += str(o->if_contains("text"));
  return out;
}

json::value echo(const json::object& body, std::string_view key, json::value fallback) {
  auto v = body.if_contains(key);
  return v && !v->is_null() ? *v : fallback;
}

json::object usage(const ResponsesReply& r, int output_tokens) {
  return {{"input_tokens", r.prompt_tokens},
          {"input_tokens_details", {{"cached_tokens", r.cached_tokens}}},
          {"output_tokens", output_tokens},
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", r.prompt_tokens + output_tokens}};
}

// The response object with the request's parameters echoed, as OpenAI sends it.
json::object response_object(const json::object& body, const std::string& id, std::string_view status) {
  return {{"id", id},
          {"object", "response"},
          {"created_at", static_cast<std::int64_t>(std::time(nullptr))},
          {"status", status},
          {"background", false},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"instructions", echo(body, "instructions", nullptr)},
          {"max_output_tokens", echo(body, "max_output_tokens", nullptr)},
          {"model", echo(body, "model", "")},
          {"output", json::array{}},
          {"parallel_tool_calls", echo(body, "parallel_tool_calls", true)},
          {"previous_response_id", echo(body, "previous_response_id", nullptr)},
          {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}},
          {"store", echo(body, "store", true)},
          {"temperature", echo(body, "temperature", 1.0)},
          {"text", echo(body, "text", json::object{{"format", {{"type", "text"}}}})},
          {"tool_choice", echo(body, "tool_choice", "auto")},
          {"tools", echo(body, "tools", json::array{})},
          {"top_p", echo(body, "top_p", 1.0)},
          {"truncation", "disabled"},
          {"usage", nullptr},
          {"user", echo(body, "user", nullptr)},
          {"metadata", echo(body, "metadata", json::object{})}};
}

json::object text_part(std::string_view text) {
  return {{"type", "output_text"}, {"annotations", json::array{}}, {"logprobs", json::array{}}, {"text", text}};
}

// Numbers the events of one stream and frames them; each becomes one Chunk.
class Events {
 public:
  void add(json::object event, int delay_ms = 0) {
    event["sequence_number"] = next_++;
    const std::string type(event.at("type").as_string());
    chunks.push_back({"event: " + type + "\ndata: " + json::serialize(event) + "\n\n", delay_ms});
  }
  std::vector<Chunk> chunks;

 private:
  std::int64_t next_ = 0;
};

}  // namespace

ResponsesInput read_responses_input(const json::object& body) {
  ResponsesInput in;
  in.prompt_chars += str(body.if_contains("instructions")).size();
  if (auto v = body.if_contains("max_output_tokens")) {
    if (auto i = v->if_int64()) in.max_output_tokens = *i;
    else if (auto u = v->if_uint64()) in.max_output_tokens = static_cast<std::int64_t>(*u);
  }
  const json::value* input = body.if_contains("input");
  if (!input) return in;
  if (auto s = input->if_string()) {
    in.prompt_chars += s->size();
    in.last_user_text = std::string(*s);
    return in;
  }
  if (auto items = input->if_array())
    for (const auto& item : *items) {
      auto o = item.if_object();
      if (!o) continue;
      const std::string_view type = str(o->if_contains("type"));
      if (type == "function_call") {
        in.prompt_chars += str(o->if_contains("name")).size() + str(o->if_contains("arguments")).size();
      } else if (type == "function_call_output") {
        const json::value* out = o->if_contains("output");
        in.prompt_chars += out && out->is_string() ? out->get_string().size() : text_of(out).size();
      } else if (type.empty() || type == "message") {
        auto text = text_of(o->if_contains("content"));
        in.prompt_chars += text.size();
        if (str(o->if_contains("role")) == "user") in.last_user_text = std::move(text);
      }
    }
  return in;
}

Plan responses_plan(const json::object& body, const ResponsesReply& r) {
  const std::string id = "resp_sim_" + std::to_string(r.id);
  const std::string item_id = "msg_sim_" + std::to_string(r.id);
  const auto call = pick_responses_tool_call(body);
  const bool stream = [&] {
    auto s = body.if_contains("stream");
    return s && s->is_bool() && s->get_bool();
  }();

  // The finished output item and the status it gives the response.
  std::string text;
  for (const auto& p : r.pieces) text += p;
  const bool incomplete = !call && r.truncated;
  const std::string_view item_status = incomplete ? "incomplete" : "completed";
  json::object item;
  int output_tokens = r.completion_tokens;
  if (call) {
    output_tokens = estimate_tokens(call->arguments.size());
    item = {{"id", "fc_sim_" + std::to_string(r.id)},
            {"type", "function_call"},
            {"status", "completed"},
            {"arguments", call->arguments},
            {"call_id", "call_sim_" + std::to_string(r.id)},
            {"name", call->name}};
  } else {
    item = {{"id", item_id},
            {"type", "message"},
            {"status", item_status},
            {"content", json::array{text_part(text)}},
            {"role", "assistant"}};
  }
  json::object final_response = response_object(body, id, incomplete ? "incomplete" : "completed");
  final_response["output"] = json::array{item};
  if (incomplete) final_response["incomplete_details"] = {{"reason", "max_output_tokens"}};
  final_response["usage"] = usage(r, output_tokens);

  Plan p;
  if (!stream) {
    p.body = json::serialize(final_response);
    return p;
  }
  p.kind = Plan::Kind::stream;
  Events ev;
  const json::object start = response_object(body, id, "in_progress");
  // Headers and the first event wait for the time to first token.
  ev.add({{"type", "response.created"}, {"response", start}}, r.first_delay_ms);
  ev.add({{"type", "response.in_progress"}, {"response", start}});
  json::object added = item;
  added["status"] = "in_progress";
  if (call) {
    added["arguments"] = "";
    ev.add({{"type", "response.output_item.added"}, {"output_index", 0}, {"item", added}});
    for (const auto& piece : split_utf8(call->arguments, 8))
      ev.add({{"type", "response.function_call_arguments.delta"},
              {"item_id", item.at("id")},
              {"output_index", 0},
              {"delta", piece}});
    ev.add({{"type", "response.function_call_arguments.done"},
            {"item_id", item.at("id")},
            {"output_index", 0},
            {"name", call->name},
            {"arguments", call->arguments}});
  } else {
    added["content"] = json::array{};
    ev.add({{"type", "response.output_item.added"}, {"output_index", 0}, {"item", added}});
    ev.add({{"type", "response.content_part.added"},
            {"item_id", item_id},
            {"output_index", 0},
            {"content_index", 0},
            {"part", text_part("")}});
    for (std::size_t i = 0; i < r.pieces.size(); ++i)
      ev.add({{"type", "response.output_text.delta"},
              {"item_id", item_id},
              {"output_index", 0},
              {"content_index", 0},
              {"delta", r.pieces[i]},
              {"logprobs", json::array{}}},
             i == 0 ? 0 : r.token_delay_ms);
    ev.add({{"type", "response.output_text.done"},
            {"item_id", item_id},
            {"output_index", 0},
            {"content_index", 0},
            {"text", text},
            {"logprobs", json::array{}}});
    ev.add({{"type", "response.content_part.done"},
            {"item_id", item_id},
            {"output_index", 0},
            {"content_index", 0},
            {"part", text_part(text)}});
  }
  ev.add({{"type", "response.output_item.done"}, {"output_index", 0}, {"item", item}});
  // The terminal event plays the role of chat's [DONE].
  if (!r.no_done)
    ev.add({{"type", incomplete ? "response.incomplete" : "response.completed"}, {"response", final_response}});
  p.chunks = std::move(ev.chunks);
  return p;
}

}  // namespace hgw::sim
