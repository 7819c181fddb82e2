// hybridgw-sim's judge model (tests/sim/JudgeModel): the verdicts eval's
// tests rely on, without sockets — directly and through build_response.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "tests/sim/JudgeModel.hpp"
#include "tests/sim/ResponseBuilder.hpp"
#include "tests/sim/SimState.hpp"

namespace {

namespace json = boost::json;
using hgw::sim::judge_reply;
using hgw::sim::judge_score;

json::object chat(std::string model, std::vector<std::pair<std::string, std::string>> turns) {
  json::array messages;
  for (auto& [role, text] : turns) messages.push_back(json::object{{"role", role}, {"content", text}});
  return json::object{{"model", model}, {"messages", std::move(messages)}};
}

json::object reply_json(const std::string& model, const json::object& body) {
  return json::parse(judge_reply(model, body)).as_object();
}

}  // namespace

TEST_CASE("judge: a score marker decides the score, else a stable hash in 1..10", "[sim][judge]") {
  CHECK(judge_score("fine answer score=7 here") == 7);
  CHECK(judge_score("score=10") == 10);
  CHECK(judge_score("score=0 then score=3") == 3);  // out-of-range markers are skipped
  const int hashed = judge_score("tok0 tok1 tok2 ");
  CHECK(hashed >= 1);
  CHECK(hashed <= 10);
  CHECK(judge_score("tok0 tok1 tok2 ") == hashed);
  CHECK(judge_score("\ntok0 tok1 tok2\n") == hashed);  // the prompt's framing is not the answer
  bool differs = false;  // the hash spreads answers over the scale
  for (int i = 0; i < 20; ++i) differs = differs || judge_score("answer " + std::to_string(i)) != hashed;
  CHECK(differs);
}

TEST_CASE("judge: absolute prompt answers JSON with the answer's score", "[sim][judge]") {
  auto v = reply_json("judge", chat("judge", {{"system", "rubric"},
                                              {"user", "<question>q</question>\n<answer>\nsure score=4\n</answer>"}}));
  CHECK(v.at("score").as_int64() == 4);
  CHECK(v.at("reason").as_string().size() > 0);
}

TEST_CASE("judge: pairwise picks the higher score, ties on equal, judge-first is biased", "[sim][judge]") {
  auto prompt = [](std::string a, std::string b) {
    return "<answer_a>\n" + a + "\n</answer_a>\n<answer_b>\n" + b + "\n</answer_b>";
  };
  CHECK(reply_json("judge", chat("judge", {{"user", prompt("score=3", "score=8")}})).at("winner") == "B");
  CHECK(reply_json("judge", chat("judge", {{"user", prompt("score=9", "score=8")}})).at("winner") == "A");
  CHECK(reply_json("judge", chat("judge", {{"user", prompt("score=5", "x score=5")}})).at("winner") == "tie");
  CHECK(reply_json("judge-first", chat("judge-first", {{"user", prompt("score=3", "score=8")}})).at("winner") ==
        "A");
}

TEST_CASE("judge: malformed markers and prompts without tags give non-JSON text", "[sim][judge]") {
  boost::system::error_code ec;
  auto once = chat("judge", {{"user", "<answer>judge=malformed-once</answer>"}});
  json::parse(judge_reply("judge", once), ec);
  CHECK(ec);  // first attempt: not JSON
  auto retry = once;
  retry["messages"].as_array().push_back(json::object{{"role", "assistant"}, {"content", "junk"}});
  retry["messages"].as_array().push_back(json::object{{"role", "user"}, {"content", "JSON only, please"}});
  ec = {};
  CHECK(json::parse(judge_reply("judge", retry), ec).is_object());
  CHECK_FALSE(ec);

  auto always = chat("judge", {{"user", "<answer>judge=malformed</answer>"}, {"user", "again"}});
  ec = {};
  json::parse(judge_reply("judge", always), ec);
  CHECK(ec);
  ec = {};
  json::parse(judge_reply("judge", chat("judge", {{"user", "no tags at all"}})), ec);
  CHECK(ec);
}

TEST_CASE("judge: the simulator answers model judge through the chat endpoint", "[sim][judge]") {
  hgw::sim::SimOptions options;
  hgw::sim::SimState state(options);
  auto body = json::serialize(chat("judge", {{"user", "<answer>score=6</answer>"}}));
  hgw::sim::Inbound in;
  in.method = "POST";
  in.target = "/v1/chat/completions";
  in.body = body;
  auto plan = hgw::sim::build_response(in, state);
  REQUIRE(plan.status == 200);
  auto answer = json::parse(plan.body).as_object();
  const auto content = answer.at("choices").as_array().at(0).at("message").at("content").as_string();
  CHECK(json::parse(content).at("score").as_int64() == 6);
  // Usage follows the text: about one token per 4 bytes.
  CHECK(answer.at("usage").at("completion_tokens").as_int64() == static_cast<std::int64_t>((content.size() + 3) / 4));

  auto plain = json::serialize(chat("sim-model", {{"user", "<answer>score=6</answer>"}}));
  in.body = plain;
  auto other = json::parse(hgw::sim::build_response(in, state).body).as_object();
  CHECK(other.at("choices").as_array().at(0).at("message").at("content").as_string().starts_with("tok0"));
}
