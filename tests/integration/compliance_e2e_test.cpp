// Compliance end to end against the simulator on loopback (compliance issue,
// "Tests"): what is in the prompt decides where it may go, and the proof is
// what each simulator actually received.
//
// The backends use `model: echo`: the simulator answers with the last user
// message (3-byte chunks when streaming), so redaction on the way out and
// restoration on the way back are both visible.
#include "tests/integration/GatewayFixture.hpp"

#include "gateway/pipeline/Explain.hpp"
#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Values that must never leave for a remote backend / never appear in logs.
const std::string kResidentId = "110101199003074514";  // valid region, date and MOD 11-2 check
const std::string kEmail = "zhang.san@example.com";
const std::string kMobile = "13812345678";
const std::string kSecret = "sk-proj-Ab3dEf9hIjK1mNoP2rStUvWx4yZ";

const std::string kKeyAcme = "key-acme-0001";      // no region
const std::string kKeyCn = "key-cn-0002";          // region cn
const std::string kKeyCnExport = "key-cnx-0003";   // region cn with an export basis to us

struct Options {
  std::string local_extra;       // more YAML lines for the local backend
  std::string compliance_extra;  // more YAML lines under compliance:
  bool restore = true;
};

std::string echo_backend(const std::string& name, unsigned short port, const std::string& locality,
                         const std::string& region, const std::string& extra = {}) {
  std::ostringstream y;
  y << "  - name: " << name << "\n"
    << "    url: http://127.0.0.1:" << port << "/v1\n"
    << "    model: echo\n"
    << "    locality: " << locality << "\n"
    << "    region: " << region << "\n"
    << "    timeouts: { connect_ms: 300, first_token_ms: 400, idle_ms: 400, total_ms: 1500 }\n";
  if (extra.find("health_check") == std::string::npos) y << "    health_check: { enabled: false }\n";
  y << extra;
  return y.str();
}

// local (cn-east), remote (us), remote_cn (cn-north). The route puts the remote
// first, so whatever goes local went there because compliance said so.
std::string gw_config(unsigned short local, unsigned short remote, unsigned short remote_cn,
                   const Options& o = {}) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n" +
         echo_backend("local", local, "local", "cn-east", o.local_extra) +
         echo_backend("remote", remote, "remote", "us") +
         echo_backend("remote_cn", remote_cn, "remote", "cn-north") +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [remote, remote_cn, local]\n"
         "    retry: { attempts: 2, backoff_ms: 5, max_backoff_ms: 10 }\n"
         "tenants:\n"
         "  - name: acme\n"
         "    keys: [\"" + auth::sha256_digest_line(kKeyAcme) + "\"]\n"
         "  - name: cnco\n"
         "    region: cn\n"
         "    keys: [\"" + auth::sha256_digest_line(kKeyCn) + "\"]\n"
         "  - name: cnexport\n"
         "    region: cn\n"
         "    export_basis: [\"us\"]\n"
         "    keys: [\"" + auth::sha256_digest_line(kKeyCnExport) + "\"]\n"
         "compliance:\n"
         "  detectors: [email, cn_mobile, cn_resident_id, secrets]\n"
         "  classify: { cn_resident_id: restricted, secrets: restricted, email: confidential, cn_mobile: confidential }\n"
         "  rules:\n"
         "    - { name: secrets-block, detected: [secrets], action: block }\n"
         "    - { name: restricted-local, class: restricted, allow: { locality: [local] } }\n"
         "    - { name: confidential-redact, detected: [email, cn_mobile], action: redact }\n"
         "  restore_in_response: " + (o.restore ? "true" : "false") + "\n" +
         o.compliance_extra;
}

Headers bearer(const std::string& key = kKeyAcme) { return {{"Authorization", "Bearer " + key}}; }

std::string chat(const std::string& text, bool stream = false) {
  json::object o{{"model", "auto"},
                 {"messages", json::array{json::object{{"role", "system"}, {"content", "be brief"}},
                                          json::object{{"role", "user"}, {"content", text}}}}};
  if (stream) o["stream"] = true;
  return json::serialize(o);
}

std::string answer_text(const HttpResult& r) {
  auto o = json::parse(r.body).as_object();
  return std::string(o.at("choices").as_array().at(0).at("message").at("content").as_string());
}

// The content of a streamed answer, and whether it ended with [DONE].
struct Streamed {
  std::string text;
  bool done = false;
  bool error_event = false;
};
Streamed stream_text(const StreamResult& s) {
  Streamed out;
  for (const auto& e : parse_sse(s.body)) {
    if (e.data == "[DONE]") {
      out.done = true;
      continue;
    }
    if (e.event == "error") {
      out.error_event = true;
      continue;
    }
    boost::system::error_code ec;
    auto v = json::parse(e.data, ec);
    if (ec || !v.is_object()) continue;
    if (v.as_object().contains("error")) {
      out.error_event = true;
      continue;
    }
    auto* choices = v.as_object().if_contains("choices");
    if (!choices || choices->as_array().empty()) continue;
    auto* delta = choices->as_array()[0].as_object().if_contains("delta");
    if (!delta) continue;
    if (auto* c = delta->as_object().if_contains("content"); c && c->is_string()) out.text += c->as_string();
  }
  return out;
}

std::string all_received(const sim::Simulator& s) {
  std::string all;
  for (const auto& r : s.received()) {
    all += r.target + "\n" + r.body + "\n";
    for (const auto& [k, v] : r.headers) all += k + ": " + v + "\n";
  }
  return all;
}

struct Sims {
  std::unique_ptr<sim::Simulator> local = start_sim("local");
  std::unique_ptr<sim::Simulator> remote = start_sim("remote");
  std::unique_ptr<sim::Simulator> remote_cn = start_sim("remote_cn");
};

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("restricted prompt goes local, the remote sees nothing", "[integration][compliance]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  const std::string prompt = "My resident ID is " + kResidentId + ", check my file.";

  auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer());
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "local");
  CHECK(answer_text(r) == prompt);  // local gets and returns the original
  auto got = received_posts(*s.local);
  REQUIRE(got.size() == 1);
  CHECK(got[0].body.find(kResidentId) != std::string::npos);
  CHECK(received_posts(*s.remote).empty());
  CHECK(received_posts(*s.remote_cn).empty());

  SECTION("streaming too") {
    auto st = http_stream(gw.port(), "/v1/chat/completions", chat(prompt, true), bearer());
    REQUIRE(st.status == 200);
    CHECK(st.header("x-hybridgw-backend") == "local");
    auto t = stream_text(st);
    CHECK(t.text == prompt);
    CHECK(t.done);
    CHECK(received_posts(*s.remote).empty());
    CHECK(received_posts(*s.remote_cn).empty());
  }
  SECTION("completions and embeddings are scanned as well") {
    auto c = post_json(gw.port(), "/v1/completions",
                       json::serialize(json::object{{"model", "auto"}, {"prompt", prompt}}), bearer());
    CHECK(c.status == 200);
    CHECK(c.header("x-hybridgw-backend") == "local");
    auto e = post_json(gw.port(), "/v1/embeddings",
                       json::serialize(json::object{{"model", "auto"}, {"input", json::array{"x", prompt}}}),
                       bearer());
    CHECK(e.status == 200);
    CHECK(e.header("x-hybridgw-backend") == "local");
    CHECK(received_posts(*s.remote).empty());
    CHECK(received_posts(*s.remote_cn).empty());
  }
}

// Every way the only compliant backend can fail: the request fails closed and
// never reaches a remote API, whatever the failover rules say.
TEST_CASE("restricted prompt with local down: fails closed for every failover trigger",
          "[integration][compliance][failover]") {
  const std::string trigger = GENERATE(as<std::string>{}, "connect_refused", "reset", "http_503", "http_500",
                                       "http_429", "timeout", "circuit_open", "health_check_down");
  INFO("trigger: " << trigger);
  Sims s;
  Options o;
  if (trigger == "circuit_open")
    o.local_extra = "    circuit_breaker: { consecutive_failures: 1, cooldown_ms: 60000 }\n";
  if (trigger == "health_check_down")
    o.local_extra =
        "    health_check: { enabled: true, interval_ms: 50, timeout_ms: 200, unhealthy_threshold: 1 }\n";
  std::unique_ptr<TestGateway> gw;
  if (trigger == "connect_refused") {
    const unsigned short port = s.local->port();
    s.local->stop();  // nothing listens there any more
    gw = std::make_unique<TestGateway>(gw_config(port, s.remote->port(), s.remote_cn->port(), o));
  } else {
    gw = std::make_unique<TestGateway>(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port(), o));
  }
  if (trigger == "reset") s.local->set_fault("reset");
  if (trigger == "http_503") s.local->set_fault("status=503");
  if (trigger == "http_500") s.local->set_fault("status=500");
  if (trigger == "http_429") s.local->set_fault("status=429,retry_after=1");
  if (trigger == "timeout") s.local->set_fault("hang");
  if (trigger == "circuit_open") {
    s.local->set_fault("reset");
    auto first = post_json(gw->port(), "/v1/chat/completions", chat("warm up " + kResidentId), bearer());
    CHECK(first.status >= 500);
    s.local->clear_fault();
    s.local->clear_received();
  }
  if (trigger == "health_check_down") {
    s.local->set_fault("status=503");
    REQUIRE(eventually([&] { return gw->metric("hybridgw_backend_healthy", {"backend=\"local\""}) == 0; }));
  }

  const std::string prompt = "Resident ID " + kResidentId + " please";
  auto r = post_json(gw->port(), "/v1/chat/completions", chat(prompt), bearer());
  auto st = http_stream(gw->port(), "/v1/chat/completions", chat(prompt, true), bearer());

  // The invariant: nothing reached a remote backend, and the client got an error.
  CHECK(received_posts(*s.remote).empty());
  CHECK(received_posts(*s.remote_cn).empty());
  CHECK(r.status >= 429);
  CHECK(r.status != 200);
  CHECK(st.status != 200);
  CHECK(r.body.find(kResidentId) == std::string::npos);
  CHECK(r.header("x-hybridgw-backend") != "remote");
  CHECK(r.header("x-hybridgw-backend") != "remote_cn");
  // The status a client sees, by trigger (DESIGN.md §4).
  if (trigger == "http_429") CHECK(r.status == 429);
  else if (trigger == "timeout") CHECK(r.status == 504);
  else if (trigger == "reset" || trigger == "http_500" || trigger == "http_503") CHECK((r.status == 502 || r.status == 503));
  else if (trigger == "connect_refused") CHECK(r.status == 503);  // nothing listens: none usable now
  else CHECK(r.status == 503);  // circuit open, health check down
}

// The issue: "Restricted data whose local backends are all down gets a 503".
TEST_CASE("restricted prompt with local unreachable: exactly 503", "[integration][compliance][failover]") {
  Sims s;
  const unsigned short port = s.local->port();
  s.local->stop();
  TestGateway gw(gw_config(port, s.remote->port(), s.remote_cn->port()));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("ID " + kResidentId), bearer());
  CHECK(received_posts(*s.remote).empty());
  CHECK(r.status == 503);
}

TEST_CASE("confidential prompt: redacted before the remote, restored for the client",
          "[integration][compliance][redaction]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  const std::string prompt =
      "请联系 " + kEmail + " 或拨打 " + kMobile + "，再发一次到 " + kEmail + " thanks";

  auto check_remote_got_placeholders = [&] {
    const auto got = received_posts(*s.remote);
    REQUIRE(!got.empty());
    const auto& body = got.back().body;
    CHECK(body.find("[EMAIL_1]") != std::string::npos);
    CHECK(body.find("[CN_MOBILE_1]") != std::string::npos);
    CHECK(body.find("[EMAIL_2]") == std::string::npos);  // same value, same placeholder
    CHECK(all_received(*s.remote).find(kEmail) == std::string::npos);
    CHECK(all_received(*s.remote).find(kMobile) == std::string::npos);
    CHECK(body.find("请联系") != std::string::npos);  // the rest is untouched
  };

  SECTION("non-streaming") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer());
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "remote");
    check_remote_got_placeholders();
    CHECK(answer_text(r) == prompt);
  }
  SECTION("streaming: placeholders split across 3-byte chunks are restored") {
    auto st = http_stream(gw.port(), "/v1/chat/completions", chat(prompt, true), bearer());
    REQUIRE(st.status == 200);
    CHECK(st.header("x-hybridgw-backend") == "remote");
    check_remote_got_placeholders();
    auto t = stream_text(st);
    CHECK(t.text == prompt);
    CHECK(t.done);
    CHECK(!t.error_event);
    CHECK(st.body.find("[EMAIL_") == std::string::npos);
  }
  SECTION("a local backend gets the original text") {
    // The remote fails: failover to local, which may see the values.
    s.remote->set_fault("status=500");
    s.remote_cn->set_fault("status=500");
    auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer());
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "local");
    CHECK(answer_text(r) == prompt);
    const auto local_got = received_posts(*s.local);
    REQUIRE(local_got.size() == 1);
    CHECK(local_got[0].body.find(kEmail) != std::string::npos);
    CHECK(all_received(*s.remote).find(kEmail) == std::string::npos);
    CHECK(all_received(*s.remote_cn).find(kEmail) == std::string::npos);
  }
  CHECK(gw.metric("hybridgw_pii_detections_total", {"type=\"email\"", "action=\"redact\""}) == 2);
  CHECK(gw.metric("hybridgw_pii_detections_total", {"type=\"cn_mobile\"", "action=\"redact\""}) == 1);
  CHECK(gw.metric("hybridgw_compliance_decisions_total",
                  {"rule=\"confidential-redact\"", "outcome=\"redact\""}) == 1);
}

TEST_CASE("without restore_in_response the client sees the placeholders", "[integration][compliance][redaction]") {
  Sims s;
  Options o;
  o.restore = false;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port(), o));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("mail " + kEmail), bearer());
  REQUIRE(r.status == 200);
  CHECK(answer_text(r) == "mail [EMAIL_1]");
  CHECK(all_received(*s.remote).find(kEmail) == std::string::npos);
}

TEST_CASE("block: 403 naming the type, never the value; nobody contacted", "[integration][compliance]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("use my key " + kSecret + " to call the API"), bearer());
  CHECK(r.status == 403);
  CHECK(r.body.find("secrets") != std::string::npos);
  CHECK(r.body.find(kSecret) == std::string::npos);
  CHECK(r.body.find("sk-proj") == std::string::npos);
  auto err = json::parse(r.body).as_object().at("error").as_object();
  CHECK(err.at("code").as_string() == "compliance_blocked");

  auto st = http_stream(gw.port(), "/v1/chat/completions", chat("key " + kSecret, true), bearer());
  CHECK(st.status == 403);
  CHECK(st.body.find(kSecret) == std::string::npos);

  CHECK(received_posts(*s.local).empty());
  CHECK(received_posts(*s.remote).empty());
  CHECK(received_posts(*s.remote_cn).empty());
  CHECK(gw.metric("hybridgw_pii_detections_total", {"type=\"secrets\"", "action=\"block\""}) == 2);
  CHECK(gw.metric("hybridgw_compliance_decisions_total", {"rule=\"secrets-block\"", "outcome=\"block\""}) == 2);
  CHECK(gw.metric("hybridgw_requests_total", {"code=\"403\""}) == 2);
}

TEST_CASE("residency by tenant region", "[integration][compliance][residency]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  const std::string prompt = "What is the weather like?";  // nothing detected

  SECTION("no region: the route's first target (remote, us)") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer(kKeyAcme));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "remote");
  }
  SECTION("region cn: only cn-* backends") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer(kKeyCn));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "remote_cn");
    CHECK(received_posts(*s.remote).empty());

    // cn backends failing: local (cn-east) next, never the us one.
    s.remote_cn->set_fault("status=500");
    auto r2 = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer(kKeyCn));
    REQUIRE(r2.status == 200);
    CHECK(r2.header("x-hybridgw-backend") == "local");
    s.local->set_fault("status=500");
    auto r3 = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer(kKeyCn));
    CHECK(r3.status >= 500);
    CHECK(received_posts(*s.remote).empty());
  }
  SECTION("region cn with an export basis to us: allowed") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer(kKeyCnExport));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "remote");
  }
  SECTION("residency and restricted data together: local only") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("ID " + kResidentId), bearer(kKeyCnExport));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "local");
    CHECK(received_posts(*s.remote).empty());
    CHECK(received_posts(*s.remote_cn).empty());
  }
}

TEST_CASE("x-hybridgw-data-class raises the class, never lowers it", "[integration][compliance]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  auto with_class = [&](const std::string& cls) {
    Headers h = bearer();
    h.emplace_back("x-hybridgw-data-class", cls);
    return h;
  };
  SECTION("public prompt, header restricted: local only") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("hello"), with_class("restricted"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "local");
    CHECK(received_posts(*s.remote).empty());
    CHECK(received_posts(*s.remote_cn).empty());
  }
  SECTION("an unknown class counts as the highest") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("hello"), with_class("top-secret-ish"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "local");
    CHECK(received_posts(*s.remote).empty());
  }
  SECTION("restricted prompt, header public: still local") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("ID " + kResidentId), with_class("public"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "local");
    CHECK(received_posts(*s.remote).empty());
  }
  SECTION("the header is not forwarded upstream") {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("hello"), with_class("restricted"));
    REQUIRE(r.status == 200);
    const auto got = received_posts(*s.local);
    REQUIRE(got.size() == 1);
    CHECK(got[0].header("x-hybridgw-data-class").empty());
  }
}

TEST_CASE("output filter: mask and stop, across chunk boundaries", "[integration][compliance][output]") {
  const std::string action = GENERATE(as<std::string>{}, "mask", "stop");
  INFO("action: " << action);
  Sims s;
  Options o;
  o.compliance_extra = "  output_filter: { enabled: true, terms: [\"project-titan\", \"机密\"], action: " + action + " }\n";
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port(), o));
  const std::string prompt = "Tell me about Project-Titan and 机密 plans";

  auto r = post_json(gw.port(), "/v1/chat/completions", chat(prompt), bearer());
  auto st = http_stream(gw.port(), "/v1/chat/completions", chat(prompt, true), bearer());
  const auto t = stream_text(st);
  if (action == "mask") {
    REQUIRE(r.status == 200);
    CHECK(answer_text(r) == "Tell me about [REDACTED] and [REDACTED] plans");
    REQUIRE(st.status == 200);
    CHECK(t.text == "Tell me about [REDACTED] and [REDACTED] plans");
    CHECK(t.done);
  } else {
    CHECK(r.status == 400);
    CHECK(r.body.find("Project-Titan") == std::string::npos);
    REQUIRE(st.status == 200);
    CHECK(t.error_event);
    CHECK(!t.done);
    CHECK(t.text.find("Titan") == std::string::npos);
    CHECK(t.text.find("plans") == std::string::npos);
    CHECK(prompt.rfind(t.text, 0) == 0);  // what was sent is a prefix of the answer
  }
  // The filter stops an answer; it does not fail over to another backend.
  CHECK(received_posts(*s.local).empty());
  CHECK(received_posts(*s.remote_cn).empty());
}

// pipeline::explain itself (what POST /admin/explain and `hybridgw explain` run).
TEST_CASE("explain: compliance verdict per backend, no detected value", "[integration][compliance][explain]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  const auto snap = gw.gateway().services().snapshot();
  pipeline::ExplainResult r;
  std::string thrown;
  try {
    r = pipeline::explain(*snap, chat("ID " + kResidentId + " mail " + kEmail), "cnco", {});
  } catch (const std::exception& e) {
    thrown = e.what();
  }
  INFO("explain threw: " << thrown);
  REQUIRE(thrown.empty());
  CHECK(r.status == 200);
  const std::string text = json::serialize(r.json) + r.table;
  CHECK(text.find(kResidentId) == std::string::npos);
  CHECK(text.find(kEmail) == std::string::npos);
  const auto& c = r.json.at("compliance").as_object();
  CHECK(c.at("data_class").as_string() == "restricted");
  for (const auto& b : c.at("backends").as_array()) {
    const auto& bo = b.as_object();
    if (bo.at("backend").as_string() == "local") CHECK(bo.at("eligible").as_bool());
    else CHECK(bo.at("rule").as_string() == "restricted-local");
  }
}

// Over the admin listener (a regression test: explain once threw on every request).
TEST_CASE("explain shows the rule that removed each candidate", "[integration][compliance][explain]") {
  Sims s;
  TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port()));
  auto r = http_request(gw.admin_port(), "POST", "/admin/explain?tenant=cnco",
                        chat("ID " + kResidentId + " mail " + kEmail));
  INFO("error: " << r.error << " body: " << r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body.find(kResidentId) == std::string::npos);
  CHECK(r.body.find(kEmail) == std::string::npos);
  const auto o = json::parse(r.body).as_object();
  const auto& c = o.at("compliance").as_object();
  CHECK(c.at("data_class").as_string() == "restricted");
  CHECK(c.at("detected").as_object().at("cn_resident_id").as_int64() == 1);
  CHECK(c.at("detected").as_object().at("email").as_int64() == 1);
  std::map<std::string, json::object> by_backend;
  for (const auto& b : c.at("backends").as_array())
    by_backend[std::string(b.as_object().at("backend").as_string())] = b.as_object();
  CHECK(by_backend.at("local").at("eligible").as_bool());
  CHECK(!by_backend.at("remote").at("eligible").as_bool());
  CHECK(by_backend.at("remote").at("rule").as_string() == "restricted-local");
  CHECK(!by_backend.at("remote_cn").at("eligible").as_bool());
  CHECK(by_backend.at("remote_cn").at("rule").as_string() == "restricted-local");
  CHECK(json::value_to<std::string>(by_backend.at("remote").at("reason")).find("locality remote") !=
        std::string::npos);

  SECTION("residency is named as the rule") {
    auto p = http_request(gw.admin_port(), "POST", "/admin/explain?tenant=cnco", chat("hello"));
    REQUIRE(p.status == 200);
    const auto po = json::parse(p.body).as_object();
    for (const auto& b : po.at("compliance").at("backends").as_array()) {
      const auto& bo = b.as_object();
      if (bo.at("backend").as_string() == "remote") {
        CHECK(!bo.at("eligible").as_bool());
        CHECK(bo.at("rule").as_string() == "residency");
      } else {
        CHECK(bo.at("eligible").as_bool());
      }
    }
  }
  // Explain sends nothing anywhere.
  CHECK(s.local->received_count() == 0);
  CHECK(s.remote->received_count() == 0);
}

// The audit log written by ProxyHandler::finish.
TEST_CASE("audit log: one line per request, classes and counts, never a detected value",
          "[integration][compliance][audit]") {
  Sims s;
  const fs::path dir = fs::temp_directory_path() / ("hgw-audit-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "audit.log").string();
  Options o;
  o.compliance_extra = "  audit_log: { path: \"" + path + "\", fsync: every }\n";
  {
    TestGateway gw(gw_config(s.local->port(), s.remote->port(), s.remote_cn->port(), o));
    const std::vector<std::pair<std::string, Headers>> requests = {
        {chat("ID " + kResidentId + " please"), bearer()},                    // restricted → local
        {chat("mail " + kEmail + " or " + kMobile), bearer()},               // confidential → remote, redacted
        {chat("key " + kSecret), bearer()},                                  // blocked
        {chat("hello"), bearer(kKeyCn)},                                     // public, residency
        {chat("mail " + kEmail, true), bearer()},                            // streamed
    };
    int n = 0;
    for (auto [body, headers] : requests) {
      headers.emplace_back("x-request-id", "audit-" + std::to_string(n++));
      if (body.find("\"stream\":true") != std::string::npos)
        http_stream(gw.port(), "/v1/chat/completions", body, headers);
      else
        post_json(gw.port(), "/v1/chat/completions", body, headers, 5s);
    }
    gw.metric("hybridgw_requests_total");  // waits until every request is accounted
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  for (const auto& v : {kResidentId, kEmail, kMobile, kSecret, std::string("sk-proj")})
    CHECK(text.find(v) == std::string::npos);
  // Lines are written when each request is accounted: order them by request id.
  std::vector<json::object> lines(5);
  std::istringstream ls(text);
  std::string line;
  int count = 0;
  while (std::getline(ls, line)) {
    auto obj = json::parse(line).as_object();
    const std::string id(obj.at("request_id").as_string());
    REQUIRE(id.rfind("audit-", 0) == 0);
    lines.at(std::stoul(id.substr(6))) = std::move(obj);
    ++count;
  }
  REQUIRE(count == 5);

  CHECK(lines[0].at("data_class").as_string() == "restricted");
  CHECK(lines[0].at("detected").as_object().at("cn_resident_id").as_int64() == 1);
  CHECK(lines[0].at("backend").as_string() == "local");
  CHECK(lines[0].at("backend_locality").as_string() == "local");
  CHECK(lines[0].at("backend_region").as_string() == "cn-east");
  CHECK(lines[0].at("tenant").as_string() == "acme");
  CHECK(lines[0].at("action").as_string() == "route");

  CHECK(lines[1].at("data_class").as_string() == "confidential");
  CHECK(lines[1].at("action").as_string() == "redact");
  CHECK(lines[1].at("detected").as_object().at("email").as_int64() == 1);
  CHECK(lines[1].at("detected").as_object().at("cn_mobile").as_int64() == 1);
  CHECK(lines[1].at("backend").as_string() == "remote");
  CHECK(lines[1].at("backend_region").as_string() == "us");

  CHECK(lines[2].at("action").as_string() == "block");
  CHECK(lines[2].at("status").to_number<int>() == 403);
  CHECK(lines[2].at("detected").as_object().at("secrets").as_int64() == 1);
  CHECK(lines[2].at("backend").as_string().empty());

  CHECK(lines[3].at("tenant").as_string() == "cnco");
  CHECK(lines[3].at("data_class").as_string() == "public");
  CHECK(lines[3].at("backend").as_string() == "remote_cn");

  CHECK(lines[4].at("action").as_string() == "redact");
  CHECK(lines[4].at("status").to_number<int>() == 200);
  for (const auto& l : lines) {
    CHECK(!l.at("request_id").as_string().empty());
    CHECK(!l.at("time").as_string().empty());
  }
  fs::remove_all(dir);
}
