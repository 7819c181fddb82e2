#include "gateway/eval/JudgePrompt.hpp"

#include <cctype>
#include <cmath>

namespace hgw::eval {
namespace json = boost::json;
namespace {

// Strict schemas (integer enum rather than minimum/maximum: every structured
// output implementation — OpenAI, vLLM, llama.cpp — accepts enums).
json::object score_format() {
  json::array scale;
  for (int i = 1; i <= 10; ++i) scale.push_back(i);
  return {{"type", "json_schema"},
          {"json_schema",
           {{"name", "hybridgw_eval_score"},
            {"strict", true},
            {"schema",
             {{"type", "object"},
              {"properties", {{"score", {{"type", "integer"}, {"enum", std::move(scale)}}},
                              {"reason", {{"type", "string"}}}}},
              {"required", json::array{"score", "reason"}},
              {"additionalProperties", false}}}}}};
}

json::object pair_format() {
  return {{"type", "json_schema"},
          {"json_schema",
           {{"name", "hybridgw_eval_pairwise"},
            {"strict", true},
            {"schema",
             {{"type", "object"},
              {"properties", {{"winner", {{"type", "string"}, {"enum", json::array{"A", "B", "tie"}}}},
                              {"reason", {{"type", "string"}}}}},
              {"required", json::array{"winner", "reason"}},
              {"additionalProperties", false}}}}}};
}

std::string context(const EvalCase& c) {
  std::string p = "<conversation>\n" + render_conversation(c.messages) + "</conversation>\n\n";
  if (!c.reference.empty()) p += "<reference>\n" + c.reference + "\n</reference>\n\n";
  else p += "No reference answer is given: judge by the rubric alone.\n\n";
  return p;
}

json::object request(std::string_view rubric, std::string prompt, const std::string& model, json::object format) {
  return {{"model", model},
          {"messages", json::array{json::object{{"role", "system"}, {"content", rubric}},
                                   json::object{{"role", "user"}, {"content", std::move(prompt)}}}},
          {"temperature", 0},
          {"max_tokens", 400},
          {"response_format", std::move(format)}};
}

// The reply as a JSON object, or why it is not one.
Parsed<json::object> reply_object(std::string_view reply) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  std::string_view s = trim(reply);
  // Some models wrap JSON in a Markdown fence despite the schema.
  if (s.starts_with("```")) {
    const auto nl = s.find('\n');
    if (nl != std::string_view::npos && s.size() >= nl + 4 && s.ends_with("```")) s = trim(s.substr(nl + 1, s.size() - nl - 4));
  }
  Parsed<json::object> r;
  if (s.empty()) {
    r.error = "the reply is empty";
    return r;
  }
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec) {
    r.error = "the reply is not JSON (" + ec.message() + ")";
    return r;
  }
  if (!v.is_object()) {
    r.error = "the reply is JSON but not an object";
    return r;
  }
  r.value = std::move(v.get_object());
  return r;
}

std::optional<std::string> reason_of(const json::object& o, std::string& error) {
  auto reason = o.if_contains("reason");
  if (!reason || !reason->is_string()) {
    error = "\"reason\" is missing or not a string";
    return std::nullopt;
  }
  return std::string(reason->get_string());
}

}  // namespace

std::string render_conversation(const json::array& messages) {
  std::string out;
  for (const auto& m : messages) {
    const auto* obj = m.if_object();
    if (!obj) continue;
    std::string role = "message";
    if (auto r = obj->if_contains("role"); r && r->is_string()) role = r->get_string();
    out += "[" + role + "]\n";
    if (auto content = obj->if_contains("content")) {
      if (auto s = content->if_string()) {
        out += *s;
      } else if (auto parts = content->if_array()) {
        for (const auto& part : *parts) {
          const auto* p = part.if_object();
          if (!p) continue;
          auto type = p->if_contains("type");
          auto text = p->if_contains("text");
          if (text && text->is_string()) out += text->get_string();
          else out += "[" + std::string(type && type->is_string() ? type->get_string() : "part") + "]";
        }
      }
    }
    if (auto calls = obj->if_contains("tool_calls")) out += "[tool calls] " + json::serialize(*calls);
    out += "\n\n";
  }
  return out;
}

json::object score_request(const EvalCase& c, std::string_view answer, std::string_view rubric,
                           const std::string& judge_model) {
  std::string p = "Evaluate the assistant's answer to the conversation below, following the rubric.\n\n";
  p += context(c);
  p += "<answer>\n" + std::string(answer) + "\n</answer>\n\n";
  p += "Reply with only a JSON object: {\"score\": <integer from 1 to 10>, \"reason\": \"<one or two sentences>\"}";
  return request(rubric, std::move(p), judge_model, score_format());
}

json::object pair_request(const EvalCase& c, std::string_view first, std::string_view second, std::string_view rubric,
                          const std::string& judge_model) {
  std::string p =
      "Compare two assistants' answers to the conversation below, following the rubric. The order of the two "
      "answers carries no meaning.\n\n";
  p += context(c);
  p += "<answer_a>\n" + std::string(first) + "\n</answer_a>\n\n";
  p += "<answer_b>\n" + std::string(second) + "\n</answer_b>\n\n";
  p += "Reply with only a JSON object: {\"winner\": \"A\", \"B\" or \"tie\", \"reason\": \"<one or two sentences>\"}";
  return request(rubric, std::move(p), judge_model, pair_format());
}

json::object retry_request(json::object request, std::string_view bad_reply, std::string_view error) {
  auto& messages = request["messages"].as_array();
  messages.push_back(json::object{{"role", "assistant"}, {"content", bad_reply}});
  messages.push_back(json::object{
      {"role", "user"},
      {"content", "Your reply was not the JSON object asked for: " + std::string(error) +
                      ". Reply again with only the JSON object, nothing before or after it."}});
  return request;
}

Parsed<ScoreVerdict> parse_score(std::string_view reply) {
  Parsed<ScoreVerdict> r;
  auto o = reply_object(reply);
  if (!o.value) {
    r.error = o.error;
    return r;
  }
  auto score = o.value->if_contains("score");
  std::optional<double> number;
  if (score && score->is_number()) number = score->to_number<double>();
  if (!number || std::floor(*number) != *number || *number < 1 || *number > 10) {
    r.error = "\"score\" must be an integer from 1 to 10";
    return r;
  }
  auto reason = reason_of(*o.value, r.error);
  if (!reason) return r;
  r.value = ScoreVerdict{static_cast<int>(*number), std::move(*reason)};
  return r;
}

Parsed<PairVerdict> parse_pair(std::string_view reply) {
  Parsed<PairVerdict> r;
  auto o = reply_object(reply);
  if (!o.value) {
    r.error = o.error;
    return r;
  }
  auto winner = o.value->if_contains("winner");
  std::optional<Position> position;
  if (winner && winner->is_string()) {
    std::string w(winner->get_string());
    for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (w == "a") position = Position::first;
    else if (w == "b") position = Position::second;
    else if (w == "tie") position = Position::tie;
  }
  if (!position) {
    r.error = "\"winner\" must be \"A\", \"B\" or \"tie\"";
    return r;
  }
  auto reason = reason_of(*o.value, r.error);
  if (!reason) return r;
  r.value = PairVerdict{*position, std::move(*reason)};
  return r;
}

}  // namespace hgw::eval
