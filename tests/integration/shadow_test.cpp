// Shadow traffic and the online judge end to end (routes[].shadow and
// routes[].judge; README "Is the local model good enough?"): the in-process
// gateway in front of simulators, and the proof in what each simulator
// received, in the client's timings and answers, in /metrics and in
// GET /admin/cost-report.
//
// Backends: "local" (model echo: it answers with the request's last user
// text, so a `score=N` marker there sets the judge's score of the primary
// answer), "shadow" (a fixed 3-token answer "tok0 tok1 tok2 ", scored by the
// judge's stable hash) and "judge" (hybridgw-sim's judge model,
// tests/sim/JudgeModel.hpp).
#include "tests/integration/GatewayFixture.hpp"

#include "gateway/eval/JudgePrompt.hpp"
#include "policies/auth/ApiKey.hpp"
#include "policies/cost/Budget.hpp"
#include "tests/integration/ScriptedUpstream.hpp"
#include "tests/sim/JudgeModel.hpp"

#include <boost/json.hpp>

#include <sstream>
#include <thread>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
using Catch::Detail::Approx;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

const std::string kShadowAnswer = "tok0 tok1 tok2 ";
const std::string kResidentId = "110101199003074514";  // restricted by kRestrictLocal
const std::string kEmail = "alice.wang@example.com";   // redacted for remote backends by kRedactRemote

std::string backend(const std::string& name, unsigned short port, const std::string& model,
                    const std::string& locality, const std::string& extra = {}) {
  return "  - name: " + name + "\n    url: http://127.0.0.1:" + std::to_string(port) + "/v1\n    model: " + model +
         "\n    locality: " + locality + "\n    region: " + (locality == "local" ? "cn-east" : "us") +
         "\n    health_check: { enabled: false }\n" + extra;
}

const char* kRestrictLocal =
    "compliance:\n"
    "  detectors: [cn_resident_id]\n"
    "  classify: { cn_resident_id: restricted }\n"
    "  rules:\n"
    "    - { name: restricted-stays-local, class: restricted, allow: { locality: [local] } }\n";

const char* kRedactRemote =
    "compliance:\n"
    "  detectors: [email]\n"
    "  classify: { email: confidential }\n"
    "  rules:\n"
    "    - { name: email-redact, detected: [email], action: redact }\n";

struct Sims {
  std::unique_ptr<sim::Simulator> local, shadow, judge;
  explicit Sims(int shadow_latency_ms = 0) {
    local = start_sim("local");
    sim::SimOptions s;
    s.tokens = 3;
    s.latency_ms = shadow_latency_ms;
    shadow = start_sim("shadow", s);
    judge = start_sim("judge");
  }
};

// Route "chat" answered by "local", mirrored to "shadow"; `route_extra` adds
// keys to the route (judge:, ...), `more` whole sections.
std::string gw_yaml(const Sims& s, const std::string& shadow_spec, const std::string& route_extra = {},
                   const std::string& more = {}, const std::string& shadow_locality = "remote",
                   const std::string& judge_locality = "local", const std::string& shadow_extra = {}) {
  return "server: { listen: 127.0.0.1:18080, access_log: { path: off } }\n"
         "state: { store: memory }\n"
         "backends:\n" +
         backend("local", s.local->port(), "echo", "local") +
         backend("shadow", s.shadow->port(), "shadow-model", shadow_locality,
                 "    cost: { input_per_mtok: 2, output_per_mtok: 8 }\n" + shadow_extra) +
         backend("judge", s.judge->port(), "judge", judge_locality) +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [local]\n"
         "    shadow: " + shadow_spec + "\n" + route_extra + more;
}

std::string chat(const std::string& text, bool stream = false) {
  json::object o{{"model", "auto"}, {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}};
  if (stream) o["stream"] = true;
  return json::serialize(o);
}

std::string answer_text(const HttpResult& r) {
  auto o = json::parse(r.body).as_object();
  return std::string(o.at("choices").as_array().at(0).at("message").at("content").as_string());
}

double shadow_count(const TestGateway& gw, const std::string& outcome, const std::string& route = "chat") {
  return gw.metric("hybridgw_shadow_requests_total",
                   {"route=\"" + route + "\"", "backend=\"shadow\"", "outcome=\"" + outcome + "\""});
}

double judgements(const TestGateway& gw, const std::string& outcome) {
  return gw.metric("hybridgw_judgements_total", {"route=\"chat\"", "backend=\"judge\"", "outcome=\"" + outcome + "\""});
}

double ms_since(steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - t).count();
}

// The sum of a metric's samples in a Prometheus text (for a stopped gateway).
double metric_in(const std::string& text, const std::string& name, const std::vector<std::string>& fragments) {
  std::istringstream in(text);
  double sum = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : ' ';
    if (next != '{' && next != ' ') continue;
    bool all = true;
    for (const auto& f : fragments) all = all && line.find(f) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// The quality columns of one backend of route chat in the cost report's day window.
json::object quality(const TestGateway& gw, const std::string& backend_name) {
  auto r = http_request(gw.admin_port(), "GET", "/admin/cost-report");
  REQUIRE(r.status == 200);
  auto report = json::parse(r.body);
  const auto& routes = report.at("windows").at("day").at("routes").as_array();
  const auto* route = find_by(routes, "route", "chat");
  REQUIRE(route);
  const auto* b = find_by(route->at("backends").as_array(), "backend", backend_name);
  REQUIRE(b);
  return b->at("quality").as_object();
}

}  // namespace

TEST_CASE("shadow traffic adds no latency: a slow shadow backend, the client gets the primary's answer at once",
          "[integration][shadow]") {
  Sims s(1500);  // the shadow takes 1.5 s to answer
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }"));

  auto t0 = steady_clock::now();
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("hello there"));
  const double whole_ms = ms_since(t0);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "local");
  CHECK(answer_text(r) == "hello there");  // the primary's answer, untouched
  CHECK(whole_ms < 500);                   // well under the shadow's 1.5 s

  // A streamed request is mirrored as a whole (non-streamed) request.
  t0 = steady_clock::now();
  auto st = http_stream(gw.port(), "/v1/chat/completions", chat("stream me", true));
  const double stream_ms = ms_since(t0);
  REQUIRE(st.status == 200);
  CHECK(st.complete);
  CHECK(st.body.find("data: [DONE]") != std::string::npos);
  CHECK(stream_ms < 500);
  // Nor does the next request on the same connection wait for the shadow.
  HttpConnection conn(gw.port());
  t0 = steady_clock::now();
  for (int i = 0; i < 3; ++i) REQUIRE(conn.request("POST", "/v1/chat/completions", chat("again")).status == 200);
  const double keepalive_ms = ms_since(t0);
  CHECK(keepalive_ms < 500);
  UNSCOPED_INFO("client time: whole " << whole_ms << " ms, stream " << stream_ms << " ms, 3 on one connection "
                                      << keepalive_ms << " ms; shadow delay 1500 ms");

  // All reach the shadow afterwards, in its own protocol, with its own model.
  REQUIRE(eventually([&] { return shadow_count(gw, "success") == 5; }, std::chrono::seconds(6)));
  const auto got = received_posts(*s.shadow);
  REQUIRE(got.size() == 5);
  for (const auto& g : got) {
    CHECK(g.target == "/v1/chat/completions");
    auto body = json::parse(g.body).as_object();
    CHECK(body.at("model").as_string() == "shadow-model");
    CHECK(!body.contains("stream"));
    CHECK(!body.contains("stream_options"));
    CHECK(g.header("authorization").empty());  // no client credentials, and this backend has no key
  }
  CHECK(json::parse(got[1].body).at("messages").at(0).at("content").as_string() == "stream me");
  // The client's request is accounted once, as the primary's.
  CHECK(gw.metric("hybridgw_requests_total", {"backend=\"local\"", "code=\"200\""}) == 5);
  CHECK(gw.metric("hybridgw_requests_total", {"backend=\"shadow\""}) == 0);
  // What the shadow cost (3 tokens out at $8/Mtok plus the prompt at $2/Mtok).
  CHECK(gw.metric("hybridgw_shadow_cost_usd_total", {"route=\"chat\"", "backend=\"shadow\""}) > 0);
}

TEST_CASE("a mirrored request takes a free slot of the shadow backend's max_concurrency or is dropped",
          "[integration][shadow]") {
  Sims s(1500);
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "", "", "remote", "local", "    max_concurrency: 1\n"));
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("first")).status == 200);
  REQUIRE(eventually([&] { return s.shadow->received_count() == 1; }));
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("second")).status == 200);
  CHECK(eventually([&] { return shadow_count(gw, "dropped") == 1; }));
  REQUIRE(eventually([&] { return shadow_count(gw, "success") == 1; }, std::chrono::seconds(6)));
  CHECK(received_posts(*s.shadow).size() == 1);
}

TEST_CASE("a mirrored request keeps its place among max_inflight until its judgement is done",
          "[integration][shadow][judge]") {
  Sims s;
  s.judge->set_latency_ms(300);  // four questions: over a second of judging
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1, max_inflight: 1 }",
                         "    judge: { backend: judge, sample: 1 }\n"));
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("first")).status == 200);
  REQUIRE(eventually([&] { return shadow_count(gw, "success") == 1 && s.judge->received_count() == 1; }));
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("second")).status == 200);
  CHECK(shadow_count(gw, "dropped") == 1);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }, std::chrono::seconds(5)));
  CHECK(received_posts(*s.shadow).size() == 1);
}

TEST_CASE("shadow.max_inflight bounds the requests in flight; over it they are dropped, not sent",
          "[integration][shadow]") {
  Sims s(1500);
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1, max_inflight: 2 }"));
  for (int i = 0; i < 5; ++i) {
    auto t0 = steady_clock::now();
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("request " + std::to_string(i)));
    REQUIRE(r.status == 200);
    CHECK(ms_since(t0) < 500);
  }
  // Two in flight (the shadow takes 1.5 s), the other three dropped at once.
  CHECK(gw.gateway().services().shadows().inflight("chat") == 2);
  CHECK(shadow_count(gw, "dropped") == 3);
  REQUIRE(eventually([&] { return shadow_count(gw, "success") == 2; }, std::chrono::seconds(6)));
  CHECK(received_posts(*s.shadow).size() == 2);
  CHECK(gw.gateway().services().shadows().inflight("chat") == 0);
  // Below the bound again: mirrored.
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("later")).status == 200);
  REQUIRE(eventually([&] { return shadow_count(gw, "success") == 3; }, std::chrono::seconds(6)));
  CHECK(shadow_count(gw, "dropped") == 3);
}

TEST_CASE("sampling: 0 never mirrors, 1 always does, 0.5 about half, drawn per request", "[integration][shadow]") {
  Sims s;
  std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }");
  yaml += "  - name: never\n    models: [never]\n    targets: [local]\n    shadow: { backend: shadow, sample: 0 }\n"
          "  - name: half\n    models: [half]\n    targets: [local]\n"
          "    shadow: { backend: shadow, sample: 0.5, max_inflight: 1000 }\n";
  TestGateway gw(yaml);
  auto request = [](const std::string& model) {
    return json::serialize(json::object{
        {"model", model}, {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}});
  };
  for (int i = 0; i < 20; ++i) {
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", request("auto")).status == 200);
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", request("never")).status == 200);
  }
  REQUIRE(eventually([&] { return shadow_count(gw, "success", "chat") == 20; }));
  CHECK(gw.metric("hybridgw_shadow_requests_total", {"route=\"never\""}) == 0);
  CHECK(received_posts(*s.shadow).size() == 20);

  const int n = 200;
  for (int i = 0; i < n; ++i) REQUIRE(post_json(gw.port(), "/v1/chat/completions", request("half")).status == 200);
  REQUIRE(eventually([&] { return gw.gateway().services().shadows().active() == 0; }));
  const double mirrored = shadow_count(gw, "success", "half");
  UNSCOPED_INFO("sample 0.5: " << mirrored << " of " << n << " mirrored");
  // Binomial(200, 0.5): outside [60, 140] with probability below 1e-8.
  CHECK(mirrored >= 60);
  CHECK(mirrored <= 140);
  CHECK(received_posts(*s.shadow).size() == 20 + static_cast<std::size_t>(mirrored));
}

TEST_CASE("restricted data is never mirrored to a remote shadow nor judged by a remote judge",
          "[integration][shadow][compliance]") {
  Sims s;
  SECTION("remote shadow: the restricted request is ineligible, the others are mirrored") {
    TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "", kRestrictLocal));
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("my id is " + kResidentId));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "local");
    CHECK(shadow_count(gw, "ineligible") == 1);
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("nothing sensitive")).status == 200);
    REQUIRE(eventually([&] { return shadow_count(gw, "success") == 1; }));
    const auto got = received_posts(*s.shadow);
    REQUIRE(got.size() == 1);
    CHECK(got[0].body.find(kResidentId) == std::string::npos);
  }
  SECTION("local shadow, remote judge: mirrored, but the judge never sees it") {
    TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n",
                          kRestrictLocal, "local", "remote"));
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("my id is " + kResidentId)).status == 200);
    REQUIRE(eventually([&] { return judgements(gw, "ineligible") == 1; }));
    CHECK(shadow_count(gw, "success") == 1);
    CHECK(received_posts(*s.judge).empty());
    // Data that may go anywhere is judged by the same remote judge: 2 scores, 2 orders.
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("nothing sensitive")).status == 200);
    REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }));
    const auto asked = received_posts(*s.judge);
    CHECK(asked.size() == 4);
    for (const auto& a : asked) CHECK(a.body.find(kResidentId) == std::string::npos);
  }
}

TEST_CASE("a redacted request reaches a remote shadow redacted, and no remote judge", "[integration][shadow][compliance]") {
  Sims s;
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n",
                        kRedactRemote, "remote", "remote"));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("write to " + kEmail));
  REQUIRE(r.status == 200);
  CHECK(answer_text(r) == "write to " + kEmail);  // the local primary had the original
  REQUIRE(eventually([&] { return shadow_count(gw, "success") == 1; }));
  const auto got = received_posts(*s.shadow);
  REQUIRE(got.size() == 1);
  CHECK(got[0].body.find(kEmail) == std::string::npos);
  CHECK(got[0].body.find("[EMAIL_1]") != std::string::npos);
  REQUIRE(eventually([&] { return judgements(gw, "ineligible") == 1; }));
  CHECK(received_posts(*s.judge).empty());
}

TEST_CASE("judge scores and wins in /metrics and in the cost report, with the expected arithmetic",
          "[integration][shadow][judge]") {
  Sims s;
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n"));
  const int shadow_score = sim::judge_score(kShadowAnswer);
  const std::vector<int> primary_scores = {9, 6, 2};
  int primary_wins = 0, shadow_wins = 0, ties = 0;
  for (int p : primary_scores) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("score=" + std::to_string(p) + " answer"));
    REQUIRE(r.status == 200);
    if (p > shadow_score) ++primary_wins;
    else if (p < shadow_score) ++shadow_wins;
    else ++ties;
    // One at a time: each judgement is done before the next request.
    REQUIRE(eventually([&] { return judgements(gw, "scored") == primary_wins + shadow_wins + ties; }));
  }
  UNSCOPED_INFO("shadow score " << shadow_score << "; wins local " << primary_wins << ", shadow " << shadow_wins
                                << ", ties " << ties);
  // Each judgement: both answers scored, then the pair in both orders.
  const auto asked = received_posts(*s.judge);
  REQUIRE(asked.size() == 12);
  CHECK(asked[0].body.find("<answer>\\nscore=9 answer\\n</answer>") != std::string::npos);
  CHECK(asked[1].body.find("<answer>\\n" + kShadowAnswer + "\\n</answer>") != std::string::npos);
  CHECK(asked[2].body.find("<answer_a>\\nscore=9 answer\\n</answer_a>") != std::string::npos);
  CHECK(asked[3].body.find("<answer_a>\\n" + kShadowAnswer + "\\n</answer_a>") != std::string::npos);
  CHECK(asked[0].body.find("\"response_format\"") != std::string::npos);  // JSON-constrained
  // hybridgw eval's default rubric is the system message.
  CHECK(json::parse(asked[0].body).at("messages").at(0).at("content").as_string() == eval::default_rubric());

  CHECK(gw.metric("hybridgw_judge_score_count", {"route=\"chat\"", "backend=\"local\""}) == 3);
  CHECK(gw.metric("hybridgw_judge_score_sum", {"route=\"chat\"", "backend=\"local\""}) == 17);
  CHECK(gw.metric("hybridgw_judge_score_count", {"route=\"chat\"", "backend=\"shadow\""}) == 3);
  CHECK(gw.metric("hybridgw_judge_score_sum", {"route=\"chat\"", "backend=\"shadow\""}) == 3 * shadow_score);
  // Scores are whole points: the score-6 answer is in the le="6" bucket, not le="5".
  CHECK(gw.metric("hybridgw_judge_score_bucket", {"backend=\"local\"", "le=\"5\""}) == 1);
  CHECK(gw.metric("hybridgw_judge_score_bucket", {"backend=\"local\"", "le=\"6\""}) == 2);
  CHECK(gw.metric("hybridgw_judge_wins_total", {"route=\"chat\"", "winner=\"local\""}) == primary_wins);
  CHECK(gw.metric("hybridgw_judge_wins_total", {"route=\"chat\"", "winner=\"shadow\""}) == shadow_wins);
  CHECK(gw.metric("hybridgw_judge_wins_total", {"route=\"chat\"", "winner=\"tie\""}) == ties);

  const auto local = quality(gw, "local");
  CHECK(local.at("judged").to_number<double>() == 3);
  CHECK(local.at("mean_judge_score").to_number<double>() == Approx(17.0 / 3));
  CHECK(local.at("win_rate").to_number<double>() == Approx((primary_wins + ties / 2.0) / 3));
  CHECK(local.at("wins").to_number<double>() == primary_wins);
  CHECK(local.at("losses").to_number<double>() == shadow_wins);
  const auto shadow = quality(gw, "shadow");
  CHECK(shadow.at("judged").to_number<double>() == 3);
  CHECK(shadow.at("mean_judge_score").to_number<double>() == Approx(shadow_score));
  CHECK(shadow.at("win_rate").to_number<double>() == Approx((shadow_wins + ties / 2.0) / 3));
}

TEST_CASE("the judge reads the answer the client received: streamed, and in the Anthropic format",
          "[integration][shadow][judge]") {
  Sims s;
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n"));
  auto st = http_stream(gw.port(), "/v1/chat/completions", chat("score=7 streamed", true));
  REQUIRE(st.status == 200);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }));
  auto m = post_json(gw.port(), "/v1/messages",
                     R"({"model":"auto","max_tokens":50,"messages":[{"role":"user","content":"score=4 messages"}]})");
  REQUIRE(m.status == 200);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 2; }));
  auto ms = http_stream(gw.port(), "/v1/messages",
                        R"({"model":"auto","max_tokens":50,"stream":true,)"
                        R"("messages":[{"role":"user","content":"score=3 messages streamed"}]})");
  REQUIRE(ms.status == 200);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 3; }));
  CHECK(gw.metric("hybridgw_judge_score_sum", {"backend=\"local\""}) == 7 + 4 + 3);
  const auto asked = received_posts(*s.judge);
  REQUIRE(asked.size() == 12);
  CHECK(asked[0].body.find("<answer>\\nscore=7 streamed\\n</answer>") != std::string::npos);
  CHECK(asked[8].body.find("<answer>\\nscore=3 messages streamed\\n</answer>") != std::string::npos);
}

TEST_CASE("a malformed judge reply is retried once, then the judgement is unscored", "[integration][shadow][judge]") {
  Sims s;
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n"));
  SECTION("malformed every time: two requests, then unscored, and no score anywhere") {
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("judge=malformed please")).status == 200);
    REQUIRE(eventually([&] { return judgements(gw, "unscored") == 1; }));
    const auto asked = received_posts(*s.judge);
    REQUIRE(asked.size() == 2);
    CHECK(asked[1].body.find("Your reply was not the JSON object asked for") != std::string::npos);
    CHECK(gw.metric("hybridgw_judge_score_count") == 0);
    CHECK(gw.metric("hybridgw_judge_wins_total") == 0);
    CHECK(judgements(gw, "scored") == 0);
    CHECK(quality(gw, "local").at("judged").to_number<double>() == 0);
    CHECK(quality(gw, "local").at("mean_judge_score").is_null());
  }
  SECTION("malformed once: each question's retry succeeds, the judgement is scored") {
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("judge=malformed-once score=8")).status == 200);
    REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }));
    // Every question that shows the marked primary answer is asked twice; the
    // shadow's own score once: 2 + 1 + 2 + 2.
    CHECK(received_posts(*s.judge).size() == 7);
    CHECK(gw.metric("hybridgw_judge_score_sum", {"backend=\"local\""}) == 8);
    CHECK(judgements(gw, "unscored") == 0);
  }
}

TEST_CASE("shadow backend down or too slow: outcome error or timeout, the client unaffected", "[integration][shadow]") {
  Sims s;
  SECTION("down") {
    auto gone = start_sim("gone");
    const auto port = gone->port();
    gone->stop();
    std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }");
    const std::string from = "127.0.0.1:" + std::to_string(s.shadow->port());
    yaml.replace(yaml.find(from), from.size(), "127.0.0.1:" + std::to_string(port));
    TestGateway gw(yaml);
    for (int i = 0; i < 3; ++i) {
      auto r = post_json(gw.port(), "/v1/chat/completions", chat("still here"));
      REQUIRE(r.status == 200);
      CHECK(answer_text(r) == "still here");
    }
    REQUIRE(eventually([&] { return shadow_count(gw, "error") == 3; }));
    CHECK(gw.metric("hybridgw_requests_total", {"code=\"200\""}) == 3);
  }
  SECTION("an error status") {
    TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }"));
    s.shadow->set_fault("status=500");
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("still here"));
    REQUIRE(r.status == 200);
    CHECK(answer_text(r) == "still here");
    REQUIRE(eventually([&] { return shadow_count(gw, "error") == 1; }));
  }
  SECTION("an answer that is not JSON") {
    ScriptedUpstream broken([](const std::string&) {
      return std::string("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\nnot json");
    });
    std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }");
    const std::string from = "127.0.0.1:" + std::to_string(s.shadow->port());
    yaml.replace(yaml.find(from), from.size(), "127.0.0.1:" + std::to_string(broken.port()));
    TestGateway gw(yaml);
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("still here")).status == 200);
    REQUIRE(eventually([&] { return shadow_count(gw, "error") == 1; }));
    CHECK(broken.requests().size() == 1);
  }
  SECTION("slower than its timeouts") {
    s.shadow->set_latency_ms(2000);
    TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "", "", "remote", "local",
                          "    timeouts: { connect_ms: 200, first_token_ms: 200, total_ms: 300 }\n"));
    auto t0 = steady_clock::now();
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("hi")).status == 200);
    CHECK(ms_since(t0) < 500);
    REQUIRE(eventually([&] { return shadow_count(gw, "timeout") == 1; }, std::chrono::seconds(3)));
    CHECK(shadow_count(gw, "success") == 0);
  }
}

TEST_CASE("shadow traffic is abandoned when the gateway drains, and shed when it is overloaded",
          "[integration][shadow]") {
  SECTION("drain: stop does not wait for the shadow, which is counted dropped") {
    Sims s(5000);
    TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }"));
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("hi")).status == 200);
    REQUIRE(eventually([&] { return s.shadow->received_count() == 1; }));
    const auto t0 = steady_clock::now();
    gw.gateway().stop();
    gw.gateway().wait();
    CHECK(ms_since(t0) < 2000);  // not the shadow's 5 s
    const auto text = gw.gateway().services().metrics().serialize();
    CHECK(metric_in(text, "hybridgw_shadow_requests_total", {"outcome=\"dropped\""}) == 1);
    CHECK(metric_in(text, "hybridgw_shadow_requests_total", {"outcome=\"success\""}) == 0);
    CHECK(gw.gateway().services().shadows().active() == 0);
  }
  SECTION("overload: a request over server.limits.max_inflight sheds the shadow traffic in flight") {
    Sims s(5000);
    sim::SimOptions slow;
    slow.latency_ms = 1000;
    auto busy = start_sim("busy", slow);
    std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }");
    yaml.replace(yaml.find("access_log"), 0, "limits: { max_inflight: 1 }, ");
    yaml.replace(yaml.find("routes:\n"), 8,
                 backend("busy", busy->port(), "busy-model", "local") +
                     "routes:\n  - { name: slow, models: [slow], targets: [busy] }\n");
    TestGateway gw(yaml);
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("hi")).status == 200);
    REQUIRE(eventually([&] { return s.shadow->received_count() == 1; }));
    std::thread first([&] {
      post_json(gw.port(), "/v1/chat/completions",
                R"({"model":"slow","messages":[{"role":"user","content":"x"}]})");
    });
    REQUIRE(eventually([&] { return busy->received_count() == 1; }));
    auto over = post_json(gw.port(), "/v1/chat/completions", chat("one too many"));
    CHECK(over.status == 503);
    CHECK(over.body.find("gateway_overloaded") != std::string::npos);
    const auto t0 = steady_clock::now();
    REQUIRE(eventually([&] { return shadow_count(gw, "dropped") == 1; }, std::chrono::seconds(3)));
    CHECK(ms_since(t0) < 2000);
    first.join();
    CHECK(shadow_count(gw, "success") == 0);
  }
}

TEST_CASE("only answered requests are mirrored, never to the backend that answered them", "[integration][shadow]") {
  Sims s;
  SECTION("the primary failed: nothing to compare with, nothing mirrored") {
    TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }"));
    s.local->set_fault("status=500");
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("hi"));
    CHECK(r.status == 502);
    s.local->clear_fault();
    REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("hi")).status == 200);
    REQUIRE(eventually([&] { return shadow_count(gw, "success") == 1; }));
    CHECK(gw.metric("hybridgw_shadow_requests_total") == 1);
    CHECK(received_posts(*s.shadow).size() == 1);
  }
  SECTION("the shadow backend answered the request itself (failover): ineligible") {
    std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }");
    yaml.replace(yaml.find("targets: [local]"), 16, "targets: [local, shadow]");
    TestGateway gw(yaml);
    s.local->set_fault("status=503");
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("hi"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "shadow");
    CHECK(shadow_count(gw, "ineligible") == 1);
    CHECK(received_posts(*s.shadow).size() == 1);  // the real request only
  }
}

TEST_CASE("shadow and judge calls are not the tenant's traffic: requests, cost and spend count the real answer",
          "[integration][shadow]") {
  Sims s;
  const std::string key = "sk-shadow-tenant";
  std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n",
                             "tenants:\n  - { name: acme, keys: [\"" + auth::sha256_digest_line(key) +
                                 "\"], budget: { daily_usd: 10 } }\n");
  // The primary has prices too, so that the tenant is charged something.
  yaml.replace(yaml.find("    model: echo\n"), 16, "    model: echo\n    cost: { input_per_mtok: 3, output_per_mtok: 5 }\n");
  TestGateway gw(yaml);
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("hello"), {{"Authorization", "Bearer " + key}});
  REQUIRE(r.status == 200);
  const double charged = std::stod(r.header("x-hybridgw-cost-usd"));
  CHECK(charged > 0);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }));
  CHECK(gw.metric("hybridgw_requests_total", {"tenant=\"acme\""}) == 1);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"tenant=\"acme\""}) == Approx(charged));
  CHECK(gw.metric("hybridgw_cost_usd_total", {"backend=\"shadow\""}) == 0);
  CHECK(gw.metric("hybridgw_shadow_cost_usd_total", {"backend=\"shadow\""}) > 0);
  CHECK(gw.gateway().services().accounting().spent("acme", cost::day_key(std::chrono::system_clock::now())) ==
        Approx(charged));
  // The cost report: the shadow backend's quality, none of its spend.
  auto report = json::parse(http_request(gw.admin_port(), "GET", "/admin/cost-report").body);
  const auto* route = find_by(report.at("windows").at("day").at("routes").as_array(), "route", "chat");
  REQUIRE(route);
  const auto* sb = find_by(route->at("backends").as_array(), "backend", "shadow");
  REQUIRE(sb);
  CHECK(sb->at("requests").to_number<double>() == 0);
  CHECK(sb->at("spend_usd").to_number<double>() == 0);
  CHECK(sb->at("quality").at("judged").to_number<double>() == 1);
}

TEST_CASE("a judge that always prefers the answer shown first gives ties, not wins", "[integration][shadow][judge]") {
  Sims s;
  std::string yaml = gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n");
  yaml.replace(yaml.find("    model: judge\n"), 17, "    model: judge-first\n");
  TestGateway gw(yaml);
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("score=10 clearly better")).status == 200);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }));
  CHECK(gw.metric("hybridgw_judge_wins_total", {"winner=\"tie\""}) == 1);
  CHECK(gw.metric("hybridgw_judge_wins_total", {"winner=\"local\""}) == 0);
  CHECK(quality(gw, "local").at("win_rate").to_number<double>() == Approx(0.5));
}

TEST_CASE("an Anthropic shadow backend gets the mirrored request in its own protocol, and is judged",
          "[integration][shadow][judge]") {
  Sims s;
  ::setenv("HGW_TEST_SHADOW_ANTHROPIC_KEY", "shadow-upstream-key", 1);
  TestGateway gw(gw_yaml(s, "{ backend: shadow, sample: 1 }", "    judge: { backend: judge, sample: 1 }\n", "",
                         "remote", "local",
                         "    protocol: anthropic\n    api_key_env: HGW_TEST_SHADOW_ANTHROPIC_KEY\n"));
  REQUIRE(http_stream(gw.port(), "/v1/chat/completions", chat("score=5 hello", true)).status == 200);
  REQUIRE(eventually([&] { return judgements(gw, "scored") == 1; }));
  CHECK(shadow_count(gw, "success") == 1);
  const auto got = received_posts(*s.shadow);
  REQUIRE(got.size() == 1);
  CHECK(got[0].target == "/v1/messages");
  CHECK(got[0].header("x-api-key") == "shadow-upstream-key");
  auto body = json::parse(got[0].body).as_object();
  CHECK(body.at("model").as_string() == "shadow-model");
  CHECK(body.contains("max_tokens"));
  CHECK((!body.contains("stream") || body.at("stream") == false));
  // The judge read the Anthropic answer translated back: the shadow's text.
  CHECK(gw.metric("hybridgw_judge_score_sum", {"backend=\"shadow\""}) == sim::judge_score(kShadowAnswer));
  // Anthropic backends serve chat only: an embeddings request of the route is not mirrored.
  REQUIRE(post_json(gw.port(), "/v1/embeddings", R"({"model":"auto","input":"embed me"})").status == 200);
  CHECK(shadow_count(gw, "ineligible") == 1);
  CHECK(received_posts(*s.shadow).size() == 1);
}
