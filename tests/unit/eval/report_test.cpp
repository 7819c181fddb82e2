// The writers: summary.json numbers, CSV quoting, an HTML page that refers to
// nothing outside itself, the terminal table and the progress line.
#include <catch2/catch.hpp>

#include "gateway/eval/HtmlReport.hpp"
#include "gateway/eval/Progress.hpp"
#include "gateway/eval/SummaryCsv.hpp"
#include "gateway/eval/SummaryJson.hpp"
#include "gateway/eval/TerminalTable.hpp"


using namespace hgw::eval;

namespace {

Summary sample() {
  auto r = parse_cases(
      R"({"id":"c1","messages":[{"role":"user","content":"a"}],"tags":["x,y"]})"
      "\n"
      R"({"id":"<c2>","messages":[{"role":"user","content":"b"}]})"
      "\n",
      "c.jsonl");
  REQUIRE(r.ok());
  std::vector<AnswerRecord> answers;
  int score = 3;
  for (const auto& c : r.cases)
    for (const char* cand : {"local", "remote \"big\""}) {
      AnswerRecord a;
      a.case_id = c.id;
      a.fingerprint = c.fingerprint;
      a.candidate = cand;
      a.status = AnswerStatus::ok;
      a.latency_ms = 50;
      a.cost_usd = std::string(cand) == "local" ? 0 : 0.002;
      a.judge = JudgeStatus::scored;
      a.score = score++;
      answers.push_back(a);
    }
  return summarize(r.cases, {"local", "remote \"big\""}, 1, "judge", answers, {});
}

}  // namespace

TEST_CASE("summary.json carries the numbers and null for undefined ones", "[eval][report]") {
  auto j = summary_json(sample());
  const auto& local = j.at("overall").at("candidates").as_array().at(0).as_object();
  CHECK(local.at("candidate") == "local");
  CHECK(local.at("score").at("mean").as_double() == Catch::Detail::Approx(4.0));  // 3 and 5
  CHECK(local.at("pairwise").at("win_rate").is_null());
  CHECK(local.at("cost_usd").at("per_1000_cases").as_double() == 0);
  CHECK(j.at("tags").as_array().size() == 1);
  CHECK(j.at("per_case").as_array().at(1).at("id") == "<c2>");
}

TEST_CASE("summary.csv quotes text with commas and quotes", "[eval][report]") {
  const auto csv = summary_csv(sample());
  CHECK(csv.rfind("scope,candidate,cases,answers,ok,failed,skipped,scored,unscored,judge_skipped,mean_score", 0) == 0);
  CHECK(csv.find("\nall,local,2,2,2,0,0,2,0,0,4.0000,") != std::string::npos);
  CHECK(csv.find("\"remote \"\"big\"\"\"") != std::string::npos);
  CHECK(csv.find("\"tag:x,y\"") != std::string::npos);
}

TEST_CASE("report.html is self-contained: charts inline, no external reference", "[eval][report]") {
  const auto html = html_report(sample());
  CHECK(html.find("<svg class=\"chart\" id=\"score-cost\"") != std::string::npos);
  CHECK(html.find("<svg class=\"chart\" id=\"score-distribution\"") != std::string::npos);
  CHECK(html.find("<circle class=\"point\" data-candidate=\"local\"") != std::string::npos);
  CHECK(html.find("data-candidate=\"remote &quot;big&quot;\" data-score=\"6\" data-count=\"1\"") !=
        std::string::npos);
  CHECK(html.find("&lt;c2&gt;") != std::string::npos);  // user text is escaped
  CHECK(html.find("<c2>") == std::string::npos);
  for (const char* forbidden : {"http:", "https:", "src=", "href=", "url(", "@import", "<script", "<link", "//"})
    CHECK(html.find(forbidden) == std::string::npos);
}

TEST_CASE("terminal table and progress line", "[eval][report]") {
  const auto table = terminal_table(sample());
  CHECK(table.find("all 2 cases (x1)") != std::string::npos);
  CHECK(table.find("local") != std::string::npos);
  CHECK(table.find("tag x,y (1 cases)") != std::string::npos);

  CHECK(format_progress(0, 10, 0.0, 10) == "[----------] 0/10    0%  0.0/s  ETA --");
  CHECK(format_progress(5, 10, 2.5, 10) == "[#####-----] 5/10   50%  2.0/s  ETA 0:03");
  CHECK(format_progress(10, 10, 5.0, 10) == "[##########] 10/10  100%  2.0/s  ETA 0:00");
  CHECK(format_progress(0, 0, 1.0, 4) == "[####] 0/0  100%  0.0/s  ETA 0:00");
}
