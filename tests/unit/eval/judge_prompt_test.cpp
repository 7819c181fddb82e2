// What eval asks the judge, and how strictly it reads the reply.
#include <catch2/catch.hpp>

#include "gateway/eval/JudgePrompt.hpp"

using namespace hgw::eval;
namespace json = boost::json;

namespace {

EvalCase make_case(std::string reference) {
  auto r = parse_cases(R"({"messages":[{"role":"system","content":"Be brief"},{"role":"user","content":"What is 2+2?"}]})",
                       "c.jsonl");
  REQUIRE(r.ok());
  auto c = r.cases[0];
  c.reference = std::move(reference);
  return c;
}

std::string user_prompt(const json::object& request) {
  return std::string(request.at("messages").as_array().at(1).at("content").as_string());
}

}  // namespace

TEST_CASE("judge prompt: a score request", "[eval][judge]") {
  auto c = make_case("4");
  auto req = score_request(c, "It is 4.", "RUBRIC TEXT", "hybridgw-eval/judge/j");
  CHECK(req.at("model") == "hybridgw-eval/judge/j");
  CHECK(req.at("temperature").to_number<double>() == 0);
  const auto& messages = req.at("messages").as_array();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].at("role") == "system");
  CHECK(messages[0].at("content") == "RUBRIC TEXT");
  const auto prompt = user_prompt(req);
  CHECK(prompt.find("[system]\nBe brief") != std::string::npos);
  CHECK(prompt.find("[user]\nWhat is 2+2?") != std::string::npos);
  CHECK(prompt.find("<reference>\n4\n</reference>") != std::string::npos);
  CHECK(prompt.find("<answer>\nIt is 4.\n</answer>") != std::string::npos);
  const auto& format = req.at("response_format").as_object();
  CHECK(format.at("type") == "json_schema");
  const auto& schema = format.at("json_schema").at("schema").as_object();
  CHECK(schema.at("required").as_array().size() == 2);
  CHECK(schema.at("properties").at("score").at("enum").as_array().size() == 10);
  CHECK(format.at("json_schema").at("strict").as_bool());

  auto no_ref = user_prompt(score_request(make_case(""), "x", "R", "m"));
  CHECK(no_ref.find("<reference>") == std::string::npos);
  CHECK(no_ref.find("No reference answer") != std::string::npos);
}

TEST_CASE("judge prompt: a pairwise request puts the first answer as A", "[eval][judge]") {
  auto req = pair_request(make_case("4"), "FIRST", "SECOND", "R", "m");
  const auto prompt = user_prompt(req);
  CHECK(prompt.find("<answer_a>\nFIRST\n</answer_a>") != std::string::npos);
  CHECK(prompt.find("<answer_b>\nSECOND\n</answer_b>") != std::string::npos);
  CHECK(req.at("response_format").at("json_schema").at("schema").at("properties").at("winner").at("enum") ==
        json::array{"A", "B", "tie"});
}

TEST_CASE("judge prompt: the retry carries the bad reply and what was wrong", "[eval][judge]") {
  auto req = retry_request(score_request(make_case(""), "x", "R", "m"), "not json", "the reply is not JSON");
  const auto& m = req.at("messages").as_array();
  REQUIRE(m.size() == 4);
  CHECK(m[2].at("role") == "assistant");
  CHECK(m[2].at("content") == "not json");
  CHECK(m[3].at("role") == "user");
  CHECK(std::string(m[3].at("content").as_string()).find("the reply is not JSON") != std::string::npos);
}

TEST_CASE("judge replies: only the expected JSON is a verdict", "[eval][judge]") {
  auto ok = parse_score(R"({"score": 7, "reason": "right, terse"})");
  REQUIRE(ok.value);
  CHECK(ok.value->score == 7);
  CHECK(ok.value->reason == "right, terse");
  CHECK(parse_score("```json\n{\"score\":3,\"reason\":\"r\"}\n```").value->score == 3);
  CHECK(parse_score(R"({"score": 10.0, "reason": ""})").value->score == 10);

  CHECK(parse_score("I'd say 7").error.find("not JSON") != std::string::npos);
  CHECK(parse_score("").error == "the reply is empty");
  CHECK(parse_score("[7]").error.find("not an object") != std::string::npos);
  CHECK(parse_score(R"({"score": 11, "reason": "r"})").error.find("1 to 10") != std::string::npos);
  CHECK(parse_score(R"({"score": 0, "reason": "r"})").error.find("1 to 10") != std::string::npos);
  CHECK(parse_score(R"({"score": 6.5, "reason": "r"})").error.find("integer") != std::string::npos);
  CHECK(parse_score(R"({"score": "7", "reason": "r"})").error.find("integer") != std::string::npos);
  CHECK(parse_score(R"({"score": 7})").error.find("reason") != std::string::npos);

  CHECK(parse_pair(R"({"winner":"A","reason":"r"})").value->winner == Position::first);
  CHECK(parse_pair(R"({"winner":"b","reason":"r"})").value->winner == Position::second);
  CHECK(parse_pair(R"({"winner":"TIE","reason":"r"})").value->winner == Position::tie);
  CHECK_FALSE(parse_pair(R"({"winner":"both","reason":"r"})").value);
  CHECK_FALSE(parse_pair(R"({"winner":"A"})").value);
}

TEST_CASE("judge prompt: conversations with parts and tool calls", "[eval][judge]") {
  auto messages = json::parse(R"([
    {"role":"user","content":[{"type":"text","text":"look: "},{"type":"image_url","image_url":{"url":"x"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}
  ])").as_array();
  auto text = render_conversation(messages);
  CHECK(text.find("[user]\nlook: [image_url]") != std::string::npos);
  CHECK(text.find("[assistant]\n[tool calls] ") != std::string::npos);
}

TEST_CASE("the default rubric is compiled in from config/eval/rubric.md", "[eval][judge]") {
  CHECK(default_rubric().find("Correctness") != std::string_view::npos);
  CHECK(default_rubric().find("reference answer") != std::string_view::npos);
}
