// results.jsonl: records survive a round trip, a reopened file resumes where
// it stopped, a line cut short by a kill is skipped, another judge is refused.
#include <catch2/catch.hpp>

#include "gateway/eval/Results.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace hgw::eval;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("hgw-results-" + std::to_string(::getpid()) + "-" +
                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

AnswerRecord sample_answer() {
  AnswerRecord a;
  a.case_id = "c1";
  a.fingerprint = "f1";
  a.candidate = "local";
  a.rep = 1;
  a.status = AnswerStatus::ok;
  a.http_status = 200;
  a.backend = "local-sim";
  a.route = "eval.backend.local";
  a.latency_ms = 12.5;
  a.tokens_in = 7;
  a.tokens_out = 9;
  a.cost_usd = 0.00042;
  a.answer = "line one\n\"quoted\"";
  a.judge = JudgeStatus::scored;
  a.score = 8;
  a.judge_reason = "good";
  a.judge_attempts = 2;
  a.judge_cost_usd = 0.001;
  return a;
}

}  // namespace

TEST_CASE("results: records round-trip through JSON", "[eval][results]") {
  auto a = sample_answer();
  auto back = answer_from_json(to_json(a));
  REQUIRE(back);
  CHECK(back->answer == a.answer);
  CHECK(back->score == 8);
  CHECK(back->cost_usd == a.cost_usd);
  CHECK(back->judge_attempts == 2);
  CHECK(back->rep == 1);

  PairRecord p;
  p.case_id = "c1";
  p.fingerprint = "f1";
  p.a = "local";
  p.b = "remote";
  p.status = PairStatus::compared;
  p.outcome = "tie";
  p.a_first = "A";
  p.b_first = "A";
  auto pb = pair_from_json(to_json(p));
  REQUIRE(pb);
  CHECK(pb->outcome == "tie");
  CHECK(pb->b_first == "A");

  auto bad = to_json(a);
  bad["judge"].as_object()["score"] = 11;  // scored with an impossible score: not a record
  CHECK_FALSE(answer_from_json(bad));
  auto swapped = to_json(p);
  swapped["a"] = "zzz";  // a must sort before b
  CHECK_FALSE(pair_from_json(swapped));
}

TEST_CASE("results: a reopened store resumes; a cut line is skipped", "[eval][results]") {
  TempDir dir;
  const auto path = (dir.path / "results.jsonl").string();
  const RunHeader header{"judge-b", "abc"};
  {
    ResultsStore store;
    REQUIRE(store.open(path, header).empty());
    CHECK(store.add(sample_answer()).empty());
  }
  // A run killed in the middle of a write leaves half a line behind.
  std::ofstream(path, std::ios::app) << "{\"kind\":\"answer\",\"case\":\"c2\",\"cand";
  {
    ResultsStore store;
    REQUIRE(store.open(path, header).empty());
    CHECK(store.warnings().size() == 1);
    CHECK(store.warnings()[0].find("results.jsonl:3") != std::string::npos);
    REQUIRE(store.answer("c1", "local", 1, "f1"));
    CHECK(store.answer("c1", "local", 1, "f1")->score == 8);
    CHECK_FALSE(store.answer("c1", "local", 1, "changed"));  // stale fingerprint
    CHECK_FALSE(store.answer("c1", "local", 0, "f1"));
    auto again = sample_answer();
    again.case_id = "c2";
    CHECK(store.add(again).empty());
  }
  ResultsStore store;
  REQUIRE(store.open(path, header).empty());
  CHECK(store.answers().size() == 2);  // the line after the cut one starts on its own line
  const auto text = slurp(path);
  CHECK(text.rfind("{\"kind\":\"run\"", 0) == 0);

  ResultsStore other;
  CHECK(other.open(path, RunHeader{"judge-x", "abc"}).find("judged by 'judge-b'") != std::string::npos);
  ResultsStore rubric;
  CHECK(rubric.open(path, RunHeader{"judge-b", "zzz"}).find("another rubric") != std::string::npos);
}
