// The judge's retry rule, shared by hybridgw eval and the shadow judge: one
// retry with a note, then unscored — never a guessed score.
#include <catch2/catch.hpp>

#include "gateway/eval/JudgeRetry.hpp"

using namespace hgw::eval;
namespace json = boost::json;

namespace {

json::object score_question() {
  auto r = parse_cases(R"({"messages":[{"role":"user","content":"What is 2+2?"}]})", "c.jsonl");
  REQUIRE(r.ok());
  return score_request(r.cases[0], "4", "RUBRIC", "judge");
}

}  // namespace

TEST_CASE("judge retry: a good first reply is the verdict, no retry", "[eval][judge]") {
  JudgeRetry<ScoreVerdict> rounds(score_question(), &parse_score);
  CHECK_FALSE(rounds.done());
  CHECK(rounds.request().at("messages").as_array().size() == 2);
  CHECK(rounds.on_reply(R"({"score": 7, "reason": "right"})"));
  CHECK(rounds.done());
  REQUIRE(rounds.verdict());
  CHECK(rounds.verdict()->score == 7);
  CHECK(rounds.attempts() == 1);
}

TEST_CASE("judge retry: a malformed reply is asked again once, with the reply and what was wrong",
          "[eval][judge]") {
  JudgeRetry<ScoreVerdict> rounds(score_question(), &parse_score);
  CHECK_FALSE(rounds.on_reply("I would give it a 7."));
  CHECK_FALSE(rounds.done());
  const auto& messages = rounds.request().at("messages").as_array();
  REQUIRE(messages.size() == 4);
  CHECK(messages[2].at("role") == "assistant");
  CHECK(messages[2].at("content") == "I would give it a 7.");
  CHECK(messages[3].at("role") == "user");
  CHECK(std::string(messages[3].at("content").as_string()).find("not the JSON object asked for") !=
        std::string::npos);
  CHECK(rounds.on_reply(R"({"score": 5, "reason": "ok"})"));
  REQUIRE(rounds.verdict());
  CHECK(rounds.verdict()->score == 5);
  CHECK(rounds.attempts() == 2);
}

TEST_CASE("judge retry: malformed twice is unscored, with the reason, and nothing more is asked", "[eval][judge]") {
  JudgeRetry<PairVerdict> rounds(score_question(), &parse_pair);
  CHECK_FALSE(rounds.on_reply("A is better"));
  CHECK(rounds.on_reply(R"({"winner": "C", "reason": "?"})"));
  CHECK(rounds.done());
  CHECK_FALSE(rounds.verdict());
  CHECK(rounds.error().find("\"winner\" must be") != std::string::npos);
  CHECK(rounds.attempts() == JudgeRetry<PairVerdict>::kMaxAttempts);
}
