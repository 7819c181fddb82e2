#include "tests/sim/JudgeModel.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace hgw::sim {
namespace json = boost::json;
namespace {

std::string content_text(const json::value* content) {
  if (!content) return {};
  if (auto s = content->if_string()) return std::string(*s);
  std::string out;
  if (auto parts = content->if_array())
    for (const auto& part : *parts)
      if (auto obj = part.if_object())
        if (auto text = obj->if_contains("text"); text && text->is_string()) out += text->get_string();
  return out;
}

// The text between <tag> and the last </tag> after it, if both are there.
std::optional<std::string> between(std::string_view text, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const auto start = text.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const auto end = text.rfind(close);
  if (end == std::string_view::npos || end < start + open.size()) return std::nullopt;
  return std::string(text.substr(start + open.size(), end - start - open.size()));
}

// The prompt frames each answer with newlines: they are not part of it.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::optional<int> score_marker(std::string_view answer) {
  for (auto pos = answer.find("score="); pos != std::string_view::npos; pos = answer.find("score=", pos + 1)) {
    int value = 0;
    std::size_t i = pos + 6, digits = 0;
    while (i < answer.size() && digits < 3 && answer[i] >= '0' && answer[i] <= '9') {
      value = value * 10 + (answer[i++] - '0');
      ++digits;
    }
    if (digits > 0 && value >= 1 && value <= 10) return value;
  }
  return std::nullopt;
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// True when the marker asks for a malformed reply on this attempt.
bool wants_malformed(std::string_view judged, int user_turns) {
  if (contains(judged, "judge=malformed-once")) return user_turns <= 1;
  return contains(judged, "judge=malformed");
}

std::string reason_for(std::string_view answer) {
  return score_marker(answer) ? "hybridgw-sim judge: the answer's score marker"
                              : "hybridgw-sim judge: a stable hash of the answer";
}

}  // namespace

bool is_judge_model(std::string_view model) { return model == "judge" || model == "judge-first"; }

int judge_score(std::string_view answer) {
  if (auto marked = score_marker(answer)) return *marked;
  return 1 + static_cast<int>(fnv1a(trim(answer)) % 10);
}

std::string judge_reply(std::string_view model, const json::object& body) {
  std::optional<std::string> prompt;
  int user_turns = 0;
  if (auto messages = body.if_contains("messages"); messages && messages->is_array())
    for (const auto& m : messages->get_array()) {
      auto obj = m.if_object();
      if (!obj) continue;
      auto role = obj->if_contains("role");
      if (!role || !role->is_string() || role->get_string() != "user") continue;
      ++user_turns;
      auto text = content_text(obj->if_contains("content"));
      if (!prompt && (contains(text, "<answer>") || contains(text, "<answer_a>"))) prompt = std::move(text);
    }
  if (!prompt) return "hybridgw-sim judge: no <answer> or <answer_a>/<answer_b> in any user message";

  if (auto answer = between(*prompt, "answer")) {
    if (wants_malformed(*answer, user_turns)) return "The answer looks fine to me, I would give it a 7.";
    const int score = judge_score(*answer);
    return json::serialize(json::object{{"score", score}, {"reason", reason_for(*answer)}});
  }
  auto a = between(*prompt, "answer_a"), b = between(*prompt, "answer_b");
  if (!a || !b) return "hybridgw-sim judge: a pairwise prompt needs both <answer_a> and <answer_b>";
  if (wants_malformed(*a + *b, user_turns)) return "Both answers have merit; A is slightly better.";
  std::string winner;
  if (model == "judge-first") {
    winner = "A";
  } else {
    const int sa = judge_score(*a), sb = judge_score(*b);
    winner = sa > sb ? "A" : sb > sa ? "B" : "tie";
  }
  return json::serialize(json::object{
      {"winner", winner},
      {"reason", model == "judge-first" ? "hybridgw-sim judge-first: always the first answer"
                                        : "hybridgw-sim judge: the higher of the two scores"}});
}

}  // namespace hgw::sim
