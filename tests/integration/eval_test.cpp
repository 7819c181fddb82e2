// hybridgw eval end to end: simulators as candidates and as judge, the
// gateway in-process on the derived config, and the proof in what each
// simulator received and in the numbers of the report.
//
// Candidates: "local" (model echo: it answers with the case's user text, so a
// `score=N` marker in the case sets the judge's score for its answer) and
// "remote" (a fixed 3-token answer "tok0 tok1 tok2 ", scored by the judge's
// stable hash). The judge is hybridgw-sim's judge model (tests/sim/JudgeModel).
#include "tests/integration/GatewayFixture.hpp"

#include "gateway/eval/EvalCommand.hpp"
#include "tests/sim/JudgeModel.hpp"
#include "tests/sim/ResponseBuilder.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
namespace fs = std::filesystem;
using Catch::Detail::Approx;

namespace {

const std::string kResidentId = "110101199003074514";  // restricted by the compliance rules below
const std::string kRemoteAnswer = "tok0 tok1 tok2 ";

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("hgw-eval-" + std::to_string(::getpid()) + "-" +
                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

struct Sims {
  std::unique_ptr<sim::Simulator> local, remote, judge;
  Sims(int local_latency_ms = 0) {
    sim::SimOptions l;
    l.latency_ms = local_latency_ms;
    local = start_sim("local", l);
    sim::SimOptions r;
    r.tokens = 3;
    remote = start_sim("remote", r);
    judge = start_sim("judge");
  }
  std::size_t posts(const sim::Simulator& s) const { return received_posts(s).size(); }
};

std::string backend(const std::string& name, unsigned short port, const std::string& model,
                    const std::string& locality, const std::string& extra) {
  return "  - name: " + name + "\n    url: http://127.0.0.1:" + std::to_string(port) + "/v1\n    model: " + model +
         "\n    locality: " + locality + "\n    region: " + (locality == "local" ? "cn-east" : "us") +
         "\n    health_check: { enabled: false }\n" + extra;
}

std::string config_yaml(const Sims& s, const std::string& judge_model = "judge", const std::string& more = {}) {
  // The production listeners: eval must not bind them (it listens on 127.0.0.1 port 0).
  return "server: { listen: 127.0.0.1:8080 }\n"
         "backends:\n" +
         backend("local", s.local->port(), "echo", "local", "") +
         backend("remote", s.remote->port(), "remote-model", "remote",
                 "    cost: { input_per_mtok: 2.5, output_per_mtok: 10 }\n") +
         backend("judge", s.judge->port(), judge_model, "remote",
                 "    cost: { input_per_mtok: 1, output_per_mtok: 2 }\n") +
         "routes:\n"
         "  - { name: chat, models: [auto], targets: [local, remote] }\n"
         "state: { store: memory }\n" +
         more;
}

const char* kRestrictLocal =
    "compliance:\n"
    "  detectors: [cn_resident_id]\n"
    "  classify: { cn_resident_id: restricted }\n"
    "  rules:\n"
    "    - { name: restricted-stays-local, when: { class: restricted }, allow: { locality: [local] } }\n";

std::string case_line(const std::string& id, const std::string& text, const std::string& extra = {}) {
  json::object o{{"id", id}, {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}};
  std::string line = json::serialize(o);
  if (!extra.empty()) line.insert(line.size() - 1, "," + extra);
  return line + "\n";
}

struct Run {
  int code = -1;
  std::string out, err;
  json::object summary;
};

Run run_eval(const TempDir& dir, const std::string& yaml, const std::string& cases, const std::string& candidates,
             int repeat = 1, int concurrency = 2, const std::string& out_name = "out") {
  write(dir.path / "config.yaml", yaml);
  write(dir.path / "cases.jsonl", cases);
  eval::EvalOptions o;
  o.config_path = (dir.path / "config.yaml").string();
  o.cases_path = (dir.path / "cases.jsonl").string();
  o.candidates = candidates;
  o.judge = "judge";
  o.out_dir = (dir.path / out_name).string();
  o.repeat = repeat;
  o.concurrency = concurrency;
  std::ostringstream out, err;
  Run r;
  r.code = eval::run_eval(o, out, err);
  r.out = out.str();
  r.err = err.str();
  const auto summary = dir.path / out_name / "summary.json";
  if (fs::exists(summary)) r.summary = json::parse(slurp(summary)).as_object();
  return r;
}

const json::object& candidate(const json::object& summary, const std::string& name, const std::string& scope = "all") {
  const json::object* s = &summary.at("overall").as_object();
  if (scope != "all")
    for (const auto& t : summary.at("tags").as_array())
      if (t.at("scope") == json::value(scope)) s = &t.as_object();
  for (const auto& c : s->at("candidates").as_array())
    if (c.at("candidate") == json::value(name)) return c.as_object();
  FAIL("no candidate " << name << " in scope " << scope);
  throw std::logic_error("unreachable");
}

double num(const json::value& v) { return v.to_number<double>(); }

// The records of results.jsonl of one kind.
std::vector<json::object> records(const fs::path& results, const std::string& kind) {
  std::vector<json::object> out;
  for (const auto& line : lines_of(slurp(results))) {
    auto v = json::parse(line).as_object();
    if (v.at("kind") == json::value(kind)) out.push_back(std::move(v));
  }
  return out;
}

bool any_body_contains(const sim::Simulator& s, const std::string& text) {
  for (const auto& r : received_posts(s))
    if (r.body.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("eval: the report's numbers are the expected arithmetic", "[eval]") {
  Sims sims;
  TempDir dir;
  const std::vector<std::pair<std::string, int>> cases = {
      {"What is the capital of France? score=7", 7},
      {"Name three primes. score=9", 9},
      {"Summarise this memo in one line. score=4", 4},
      {"Translate 'bonjour' to English. score=8", 8}};
  std::string text;
  for (std::size_t i = 0; i < cases.size(); ++i)
    text += case_line("c" + std::to_string(i + 1), cases[i].first,
                      i < 2 ? R"("tags":["facts"],"max_tokens":50)" : R"("tags":["writing"])");
  auto r = run_eval(dir, config_yaml(sims), text, "local,remote");
  INFO(r.err);
  REQUIRE(r.code == 0);

  // What was sent: every case once to each candidate, the judge 4 + 4 scores and 4 pairs × 2 orders.
  CHECK(sims.posts(*sims.local) == 4);
  CHECK(sims.posts(*sims.remote) == 4);
  auto judged = received_posts(*sims.judge);
  CHECK(judged.size() == 16);
  for (const auto& req : judged) {
    auto body = json::parse(req.body).as_object();
    CHECK(body.at("model") == "judge");  // the judge backend's model, reached through eval.judge.judge
    CHECK(body.at("response_format").at("type") == "json_schema");
  }
  for (const auto& req : received_posts(*sims.remote)) {
    auto body = json::parse(req.body).as_object();
    CHECK(body.at("model") == "remote-model");
  }
  CHECK(json::parse(received_posts(*sims.local)[0].body).at("max_tokens").as_int64() == 50);  // case params pass

  // Scores: local = the markers; remote = the judge's hash of its fixed answer.
  const int h = sim::judge_score(kRemoteAnswer);
  double sum = 0, ss = 0;
  for (const auto& c : cases) sum += c.second;
  const double m = sum / 4;
  for (const auto& c : cases) ss += (c.second - m) * (c.second - m);
  const double half = 3.18244630528 * std::sqrt(ss / 3) / 2;  // t(0.975, 3) · s / √4
  const auto& local = candidate(r.summary, "local");
  CHECK(num(local.at("score").at("mean")) == Approx(m));
  CHECK(num(local.at("score").at("ci95_low")) == Approx(m - half));
  CHECK(num(local.at("score").at("ci95_high")) == Approx(m + half));
  CHECK(local.at("score_histogram").as_array().at(6).as_int64() == 1);  // one 7
  CHECK(local.at("score_histogram").as_array().at(3).as_int64() == 1);  // one 4
  const auto& remote = candidate(r.summary, "remote");
  CHECK(num(remote.at("score").at("mean")) == Approx(h));
  CHECK(num(remote.at("score").at("ci95_low")) == Approx(h));
  CHECK(remote.at("score_histogram").as_array().at(static_cast<std::size_t>(h - 1)).as_int64() == 4);

  // Pairwise: the consistent judge prefers the higher score in both orders.
  int wins = 0, ties = 0, losses = 0;
  for (const auto& c : cases) (c.second > h ? wins : c.second == h ? ties : losses)++;
  CHECK(local.at("pairwise").at("wins").as_int64() == wins);
  CHECK(local.at("pairwise").at("ties").as_int64() == ties);
  CHECK(local.at("pairwise").at("losses").as_int64() == losses);
  CHECK(num(local.at("pairwise").at("win_rate")) == Approx((wins + 0.5 * ties) / 4));
  CHECK(num(remote.at("pairwise").at("win_rate")) == Approx((losses + 0.5 * ties) / 4));

  // Tokens and cost: the simulator's usage (ceil(chars / 4) in; 3 out) at the remote's list prices.
  double tokens_in = 0, cost = 0;
  for (const auto& c : cases) {
    const int in = sim::estimate_tokens(c.first.size());
    tokens_in += in;
    cost += (in * 2.5 + 3 * 10.0) / 1e6;
  }
  CHECK(num(remote.at("tokens").at("input_mean")) == Approx(tokens_in / 4));
  CHECK(num(remote.at("tokens").at("output_mean")) == Approx(3));
  CHECK(num(remote.at("cost_usd").at("per_case")) == Approx(cost / 4).epsilon(1e-6));
  CHECK(num(remote.at("cost_usd").at("per_1000_cases")) == Approx(cost / 4 * 1000).epsilon(1e-6));
  CHECK(num(local.at("cost_usd").at("per_case")) == 0);  // no price configured
  CHECK(num(local.at("latency_ms").at("p50")) > 0);
  CHECK(num(local.at("latency_ms").at("p99")) >= num(local.at("latency_ms").at("p50")));
  CHECK(r.summary.at("judge_calls").as_int64() == 16);
  CHECK(num(r.summary.at("judge_cost_usd")) > 0);

  // Per tag: facts = c1, c2 (7, 9); writing = c3, c4 (4, 8).
  CHECK(num(candidate(r.summary, "local", "facts").at("score").at("mean")) == Approx(8));
  CHECK(num(candidate(r.summary, "local", "writing").at("score").at("mean")) == Approx(6));

  // Each answer record names the backend that answered and the cost the gateway charged.
  for (const auto& a : records(dir.path / "out" / "results.jsonl", "answer")) {
    CHECK(a.at("backend") == a.at("candidate"));
    CHECK(a.at("status") == "ok");
  }
  // The other outputs exist; the page refers to nothing outside itself.
  const auto csv = slurp(dir.path / "out" / "summary.csv");
  CHECK(csv.find("\nall,local,4,4,4,0,0,4,0,0,7.0000,") != std::string::npos);
  const auto html = slurp(dir.path / "out" / "report.html");
  CHECK(html.find("<svg class=\"chart\" id=\"score-cost\"") != std::string::npos);
  for (const char* forbidden : {"http:", "https:", "src=", "href=", "url(", "@import", "<script", "<link", "//"})
    CHECK(html.find(forbidden) == std::string::npos);
  CHECK(r.out.find("score [95% CI]") != std::string::npos);
}

TEST_CASE("eval: restricted data never reaches a remote candidate or a remote judge", "[eval]") {
  Sims sims;
  TempDir dir;
  const std::string cases = case_line("plain", "What is 2+2? score=6") +
                            case_line("restricted", "My ID is " + kResidentId + ", is it valid? score=8");
  auto r = run_eval(dir, config_yaml(sims, "judge", kRestrictLocal), cases, "local,remote");
  INFO(r.err);
  REQUIRE(r.code == 0);

  // The remote candidate and the remote judge saw only the plain case.
  CHECK(sims.posts(*sims.remote) == 1);
  CHECK_FALSE(any_body_contains(*sims.remote, kResidentId));
  CHECK_FALSE(any_body_contains(*sims.judge, kResidentId));
  CHECK(sims.posts(*sims.judge) == 4);  // plain: 2 scores + 2 orders
  CHECK(sims.posts(*sims.local) == 2);  // the local candidate answered both
  CHECK(any_body_contains(*sims.local, kResidentId));

  const auto results = dir.path / "out" / "results.jsonl";
  bool remote_skipped = false, judge_skipped = false;
  for (const auto& a : records(results, "answer")) {
    if (a.at("case") != "restricted") continue;
    const std::string reason(a.at("reason").as_string());
    if (a.at("candidate") == "remote") {
      remote_skipped = a.at("status") == "skipped" && reason.find("compliance_forbidden") != std::string::npos;
      CHECK(a.at("http_status").as_int64() == 403);
    } else {
      CHECK(a.at("status") == "ok");
      const std::string jr(a.at("judge").at("reason").as_string());
      judge_skipped = a.at("judge").at("status") == "skipped" && jr.find("compliance_forbidden") != std::string::npos;
      CHECK(a.at("judge").at("score").is_null());
    }
  }
  CHECK(remote_skipped);
  CHECK(judge_skipped);
  CHECK(records(results, "pair").size() == 1);  // nothing to compare on the restricted case

  const auto& remote = candidate(r.summary, "remote");
  CHECK(remote.at("answers").at("skipped").as_int64() == 1);
  CHECK(remote.at("answers").at("ok").as_int64() == 1);
  const auto& local = candidate(r.summary, "local");
  CHECK(local.at("judge").at("skipped").as_int64() == 1);
  CHECK(local.at("judge").at("scored").as_int64() == 1);
  CHECK(num(local.at("score").at("mean")) == Approx(6));
}

TEST_CASE("eval: a malformed judge answer is retried once, then the answer is unscored", "[eval]") {
  Sims sims;
  TempDir dir;
  const std::string cases = case_line("always-bad", "Tell me a joke. judge=malformed") +
                            case_line("bad-once", "Tell me a fact. judge=malformed-once score=6");
  auto r = run_eval(dir, config_yaml(sims), cases, "local", 1, 1);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto judged = received_posts(*sims.judge);
  REQUIRE(judged.size() == 4);  // two attempts for each, never more
  std::size_t retries = 0;
  for (const auto& req : judged) {
    auto messages = json::parse(req.body).at("messages").as_array();
    if (messages.size() == 4) {
      ++retries;
      CHECK(messages[2].at("role") == "assistant");
      CHECK(std::string(messages[3].at("content").as_string()).find("not the JSON object") != std::string::npos);
    } else {
      CHECK(messages.size() == 2);
    }
  }
  CHECK(retries == 2);
  for (const auto& a : records(dir.path / "out" / "results.jsonl", "answer")) {
    CHECK(a.at("judge").at("attempts").as_int64() == 2);
    if (a.at("case") == "always-bad") {
      CHECK(a.at("judge").at("status") == "unscored");
      CHECK(a.at("judge").at("score").is_null());
      CHECK(std::string(a.at("judge").at("reason").as_string()).find("also after one retry") != std::string::npos);
    } else {
      CHECK(a.at("judge").at("status") == "scored");
      CHECK(a.at("judge").at("score").as_int64() == 6);
    }
  }
  const auto& local = candidate(r.summary, "local");
  CHECK(local.at("judge").at("unscored").as_int64() == 1);
  CHECK(local.at("score").at("cases").as_int64() == 1);
  CHECK(num(local.at("score").at("mean")) == Approx(6));
}

TEST_CASE("eval: a judge with position bias yields ties, not wins", "[eval]") {
  Sims sims;
  TempDir dir;
  const std::string cases = case_line("a", "One. score=9") + case_line("b", "Two. score=2");
  auto r = run_eval(dir, config_yaml(sims, "judge-first"), cases, "local,remote");
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const auto& p : records(dir.path / "out" / "results.jsonl", "pair")) {
    CHECK(p.at("a_first") == "A");  // it always prefers what it sees first...
    CHECK(p.at("b_first") == "A");
    CHECK(p.at("outcome") == "tie");  // ...so both orders disagree about the candidates
  }
  const auto& local = candidate(r.summary, "local");
  CHECK(local.at("pairwise").at("ties").as_int64() == 2);
  CHECK(num(local.at("pairwise").at("win_rate")) == Approx(0.5));
}

TEST_CASE("eval: resuming runs only the missing units", "[eval]") {
  Sims sims;
  TempDir dir;
  std::string cases;
  for (int i = 1; i <= 3; ++i) cases += case_line("q" + std::to_string(i), "Question " + std::to_string(i) + " score=" + std::to_string(2 * i));
  auto first = run_eval(dir, config_yaml(sims), cases, "local,remote", 2, 3);
  INFO(first.err);
  REQUIRE(first.code == 0);
  // 3 cases × 2 repetitions: 6 answers per candidate, 12 scores and 6 pairs × 2 orders at the judge.
  CHECK(sims.posts(*sims.local) == 6);
  CHECK(sims.posts(*sims.remote) == 6);
  CHECK(sims.posts(*sims.judge) == 24);

  // "Interrupt" it: drop the last records and leave half a line behind, as a kill mid-write would.
  const auto results = dir.path / "out" / "results.jsonl";
  auto lines = lines_of(slurp(results));
  REQUIRE(lines.size() == 1 + 12 + 6);
  std::size_t expect_local = 0, expect_remote = 0, expect_judge = 0;
  std::string kept;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i + 5 < lines.size()) {
      kept += lines[i] + "\n";
      continue;
    }
    auto rec = json::parse(lines[i]).as_object();
    if (rec.at("kind") == "answer") {
      (rec.at("candidate") == "local" ? expect_local : expect_remote)++;
      expect_judge += static_cast<std::size_t>(rec.at("judge").at("attempts").as_int64());
    } else {
      expect_judge += static_cast<std::size_t>(rec.at("attempts").as_int64());
    }
  }
  write(results, kept + lines.back().substr(0, lines.back().size() / 2));
  sims.local->clear_received();
  sims.remote->clear_received();
  sims.judge->clear_received();

  auto second = run_eval(dir, config_yaml(sims), cases, "local,remote", 2, 3);
  INFO(second.err);
  REQUIRE(second.code == 0);
  CHECK(second.err.find("ran 5 unit(s)") != std::string::npos);
  CHECK(sims.posts(*sims.local) == expect_local);
  CHECK(sims.posts(*sims.remote) == expect_remote);
  CHECK(sims.posts(*sims.judge) == expect_judge);
  // Same numbers as the uninterrupted run (latency aside).
  for (const char* name : {"local", "remote"}) {
    const auto& a = candidate(first.summary, name);
    const auto& b = candidate(second.summary, name);
    CHECK(a.at("score") == b.at("score"));
    CHECK(a.at("pairwise") == b.at("pairwise"));
    CHECK(a.at("cost_usd") == b.at("cost_usd"));
    CHECK(a.at("answers") == b.at("answers"));
  }

  // Nothing missing: nothing sent. One more repetition: only that one.
  sims.local->clear_received();
  sims.judge->clear_received();
  auto third = run_eval(dir, config_yaml(sims), cases, "local,remote", 2, 3);
  CHECK(third.code == 0);
  CHECK(third.err.find("every unit was already in") != std::string::npos);
  CHECK(sims.posts(*sims.local) == 0);
  CHECK(sims.posts(*sims.judge) == 0);
  auto fourth = run_eval(dir, config_yaml(sims), cases, "local,remote", 3, 3);
  CHECK(fourth.code == 0);
  CHECK(sims.posts(*sims.local) == 3);
  CHECK(sims.posts(*sims.judge) == 6 + 3 * 2);

  // A changed case runs again.
  sims.local->clear_received();
  auto changed = cases;
  changed.replace(changed.find("Question 1"), 10, "Question one");
  auto fifth = run_eval(dir, config_yaml(sims), changed, "local", 3, 3);
  CHECK(fifth.code == 0);
  CHECK(sims.posts(*sims.local) == 3);
}

TEST_CASE("eval: refuses to start on bad cases or options, sending nothing", "[eval]") {
  Sims sims;
  TempDir dir;
  const std::string cases = case_line("ok", "fine") + "{\"messages\": \"hi\"}\n" + case_line("ok", "again");
  auto r = run_eval(dir, config_yaml(sims), cases, "local,nope");
  CHECK(r.code == 1);
  CHECK(r.err.find("cases.jsonl:2: \"messages\" must be a non-empty array") != std::string::npos);
  CHECK(r.err.find("cases.jsonl:3: duplicate id 'ok'") != std::string::npos);
  CHECK(r.err.find("--candidates: no route or backend named 'nope'") != std::string::npos);
  CHECK(r.err.find("not starting") != std::string::npos);
  CHECK(sims.posts(*sims.local) + sims.posts(*sims.remote) + sims.posts(*sims.judge) == 0);
  CHECK_FALSE(fs::exists(dir.path / "out"));
}

namespace {

// Runs the hybridgw binary with args; returns its pid (stdout/stderr to files).
pid_t spawn_hybridgw(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> all = {HGW_BINARY_DIR "/hybridgw"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("eval: the command line, interrupted with SIGINT and resumed", "[eval][cli]") {
  Sims sims(150);  // a slow local candidate: the run is still going when interrupted
  TempDir dir;
  std::string cases;
  for (int i = 1; i <= 8; ++i) cases += case_line("c" + std::to_string(i), "Case " + std::to_string(i) + " score=5");
  write(dir.path / "config.yaml", config_yaml(sims));
  write(dir.path / "cases.jsonl", cases);
  const std::vector<std::string> args = {"eval",         "--config",     (dir.path / "config.yaml").string(),
                                         "--cases",      (dir.path / "cases.jsonl").string(),
                                         "--candidates", "local",
                                         "--judge",      "judge",
                                         "--out",        (dir.path / "out").string(),
                                         "--concurrency", "1",
                                         "--progress"};
  const auto results = dir.path / "out" / "results.jsonl";
  auto pid = spawn_hybridgw(args, dir.path / "stdout", dir.path / "stderr");
  REQUIRE(eventually([&] { return lines_of(slurp(results)).size() >= 3; }, std::chrono::seconds(20)));
  ::kill(pid, SIGINT);
  CHECK(wait_exit(pid) == 130);
  const auto err = slurp(dir.path / "stderr");
  INFO(err);
  CHECK(err.find("interrupted after") != std::string::npos);
  CHECK(err.find("rerun the same command") != std::string::npos);
  const auto recorded = records(results, "answer").size();
  CHECK(recorded >= 2);
  CHECK(recorded < 8);
  CHECK_FALSE(fs::exists(dir.path / "out" / "summary.json"));

  sims.local->clear_received();
  pid = spawn_hybridgw(args, dir.path / "stdout", dir.path / "stderr");
  CHECK(wait_exit(pid) == 0);
  INFO(slurp(dir.path / "stderr"));
  CHECK(sims.posts(*sims.local) == 8 - recorded);
  CHECK(records(results, "answer").size() == 8);
  CHECK(slurp(dir.path / "stderr").find("ETA") != std::string::npos);  // --progress draws the bar
  CHECK(slurp(dir.path / "stdout").find("wrote ") != std::string::npos);
  CHECK(fs::exists(dir.path / "out" / "report.html"));

  auto bad = spawn_hybridgw({"eval", "--config", (dir.path / "config.yaml").string(), "--repeat", "two"},
                            dir.path / "stdout", dir.path / "stderr");
  CHECK(wait_exit(bad) == 2);
  CHECK(slurp(dir.path / "stderr").find("--repeat takes a whole number") != std::string::npos);
}
