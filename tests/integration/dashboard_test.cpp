// The shipped Grafana dashboard (deploy/grafana/hybridgw-dashboard.json)
// queries what the gateway really exports: every metric named by a panel
// query or a variable is a series on /metrics of a gateway that served
// traffic touching every family (requests, streams, a failover, a broken
// stream, rate limits, budgets, detections, a reload, shadow traffic and
// judgements), and every label a query selects on or groups by is a label of
// that series. A renamed metric or label fails here, not on a blank panel.
#include "tests/integration/GatewayFixture.hpp"

#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// What one PromQL expression uses: metric names, the labels its selectors
// name (per metric), and the labels of by / without / on / ignoring /
// group_left / group_right clauses (for any of its metrics).
struct Uses {
  std::set<std::string> metrics;
  std::map<std::string, std::set<std::string>> selector_labels;
  std::set<std::string> grouping_labels;
};

Uses uses_of(std::string_view e) {
  static const std::set<std::string> grouping = {"by", "without", "on", "ignoring", "group_left", "group_right"};
  Uses u;
  std::size_t i = 0;
  while (i < e.size()) {
    if (e[i] == '"') {  // a string: skip it (label values, regexes)
      for (++i; i < e.size() && e[i] != '"'; ++i)
        if (e[i] == '\\') ++i;
      ++i;
      continue;
    }
    if (e[i] == '[') {  // a range: [$__rate_interval]
      while (i < e.size() && e[i] != ']') ++i;
      continue;
    }
    if (!ident_start(e[i]) || (i > 0 && (ident_char(e[i - 1]) || e[i - 1] == '$'))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < e.size() && ident_char(e[j])) ++j;
    const std::string word(e.substr(i, j - i));
    std::size_t k = j;
    while (k < e.size() && e[k] == ' ') ++k;
    if (word.starts_with("hybridgw_")) {
      u.metrics.insert(word);
      auto& labels = u.selector_labels[word];
      if (k < e.size() && e[k] == '{') {
        const auto end = e.find('}', k);
        std::string_view inside = e.substr(k + 1, end - k - 1);
        // name op "value", ...: the names are the identifiers before an operator.
        std::size_t p = 0;
        while (p < inside.size()) {
          while (p < inside.size() && !ident_start(inside[p])) {
            if (inside[p] == '"') {
              for (++p; p < inside.size() && inside[p] != '"'; ++p)
                if (inside[p] == '\\') ++p;
            }
            ++p;
          }
          std::size_t q = p;
          while (q < inside.size() && ident_char(inside[q])) ++q;
          if (q > p) labels.insert(std::string(inside.substr(p, q - p)));
          p = q;
          while (p < inside.size() && inside[p] != ',') {
            if (inside[p] == '"') {
              for (++p; p < inside.size() && inside[p] != '"'; ++p)
                if (inside[p] == '\\') ++p;
            }
            ++p;
          }
        }
        j = end + 1;
      }
    } else if (grouping.count(word) && k < e.size() && e[k] == '(') {
      const auto end = e.find(')', k);
      std::string_view inside = e.substr(k + 1, end - k - 1);
      std::size_t p = 0;
      while (p < inside.size()) {
        while (p < inside.size() && !ident_start(inside[p])) ++p;
        std::size_t q = p;
        while (q < inside.size() && ident_char(inside[q])) ++q;
        if (q > p) u.grouping_labels.insert(std::string(inside.substr(p, q - p)));
        p = q;
      }
      j = end + 1;
    }
    i = j;
  }
  return u;
}

// Every query of the dashboard, with where it is (for the messages).
std::vector<std::pair<std::string, std::string>> dashboard_queries(const json::object& d) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& pv : d.at("panels").as_array()) {
    const auto& p = pv.as_object();
    if (const auto* targets = p.if_contains("targets"))
      for (const auto& t : targets->as_array())
        out.emplace_back("panel '" + std::string(p.at("title").as_string()) + "'",
                         std::string(t.at("expr").as_string()));
  }
  for (const auto& vv : d.at("templating").at("list").as_array()) {
    const auto& v = vv.as_object();
    const auto* q = v.if_contains("query");
    if (!q) continue;
    std::string text = q->is_string() ? std::string(q->as_string())
                                      : q->is_object() ? std::string(q->at("query").as_string()) : std::string();
    // label_values(metric, label): the label as a grouping label of the metric.
    if (text.starts_with("label_values(")) {
      const auto comma = text.find(',');
      text = "sum by (" + text.substr(comma + 1, text.find(')') - comma - 1) + ") (" +
             text.substr(13, comma - 13) + ")";
    }
    if (text.find("hybridgw_") != std::string::npos)
      out.emplace_back("variable '" + std::string(v.at("name").as_string()) + "'", text);
  }
  return out;
}

// /metrics as sample name → the label names its series carry.
std::map<std::string, std::set<std::string>> series_labels(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{');
    const auto space = line.find(' ');
    auto& labels = out[line.substr(0, std::min(brace, space))];
    if (brace == std::string::npos || brace > space) continue;
    std::size_t p = brace + 1;
    while (p < line.size() && line[p] != '}') {
      const auto eq = line.find('=', p);
      labels.insert(line.substr(p, eq - p));
      p = eq + 2;  // ="
      while (p < line.size() && line[p] != '"') p += line[p] == '\\' ? 2 : 1;
      p += 1;
      if (p < line.size() && line[p] == ',') ++p;
    }
  }
  return out;
}

std::string sim_backend(const std::string& name, unsigned short port, const std::string& model,
                        const std::string& locality, const std::string& extra = {}) {
  return "  - name: " + name + "\n    url: http://127.0.0.1:" + std::to_string(port) + "/v1\n    model: " + model +
         "\n    locality: " + locality + "\n    region: " + (locality == "local" ? "cn-east" : "us") +
         "\n    health_check: { enabled: false }\n" + extra;
}

}  // namespace

TEST_CASE("PromQL reading: metrics, selector labels and grouping labels", "[dashboard]") {
  const auto u = uses_of(
      R"(sum by (route, winner) (increase(hybridgw_judge_wins_total{route=~"$route",x!="a,b{"}[$__range])) / )"
      R"(ignoring (winner) group_left sum by (route) (hybridgw_requests_total))");
  CHECK(u.metrics == std::set<std::string>{"hybridgw_judge_wins_total", "hybridgw_requests_total"});
  CHECK(u.selector_labels.at("hybridgw_judge_wins_total") == std::set<std::string>{"route", "x"});
  CHECK(u.grouping_labels == std::set<std::string>{"route", "winner"});
}

TEST_CASE("every dashboard query names metrics and labels that the gateway exports", "[integration][dashboard]") {
  const auto dashboard =
      json::parse(slurp(fs::path(HGW_SOURCE_DIR) / "deploy/grafana/hybridgw-dashboard.json")).as_object();
  const auto queries = dashboard_queries(dashboard);
  REQUIRE(queries.size() > 30);

  sim::SimOptions three;
  three.tokens = 3;
  auto local = start_sim("local");
  auto remote = start_sim("remote", three);
  auto shadow = start_sim("shadow", three);
  auto judge = start_sim("judge");
  auto gone = start_sim("gone");
  const auto gone_port = gone->port();
  gone->stop();
  const std::string key = "sk-dashboard-acme", limited_key = "sk-dashboard-limited";
  const std::string yaml =
      "server: { listen: 127.0.0.1:18080, access_log: { path: off } }\n"
      "state: { store: memory }\n"
      "backends:\n" +
      sim_backend("local", local->port(), "echo", "local") +
      sim_backend("remote", remote->port(), "remote-model", "remote",
                  "    cost: { input_per_mtok: 2, output_per_mtok: 8 }\n") +
      sim_backend("shadow", shadow->port(), "shadow-model", "remote",
                  "    cost: { input_per_mtok: 1, output_per_mtok: 2 }\n") +
      sim_backend("judge", judge->port(), "judge", "local") + sim_backend("gone", gone_port, "m", "local") +
      "routes:\n"
      "  - name: chat\n    models: [auto]\n    targets: [local]\n"
      "    shadow: { backend: shadow, sample: 1 }\n    judge: { backend: judge, sample: 1 }\n"
      "  - { name: paid, models: [paid], targets: [remote] }\n"
      "  - { name: fo, models: [fo], targets: [gone, local], retry: { attempts: 1 } }\n"
      "tenants:\n"
      "  - { name: acme, keys: [\"" + auth::sha256_digest_line(key) + "\"], budget: { daily_usd: 100 } }\n"
      "  - { name: limited, keys: [\"" + auth::sha256_digest_line(limited_key) + "\"],"
      " rate_limit: { requests_per_minute: 1 } }\n"
      "compliance:\n"
      "  detectors: [email]\n"
      "  classify: { email: confidential }\n"
      "  rules:\n"
      "    - { name: email-redact, detected: [email], action: redact }\n";
  const fs::path file = fs::temp_directory_path() / ("hgw-dashboard-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << yaml;
  auto loaded = config::load_config_file(file.string());
  for (const auto& e : loaded.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(loaded.ok());
  app::GatewayOptions options;
  options.config_path = file.string();
  options.handle_signals = false;
  options.port = 0;
  options.admin_port = 0;
  app::Gateway gw(loaded.config, options);
  gw.start();

  const Headers acme = {{"Authorization", "Bearer " + key}};
  auto chat = [](const std::string& model, const std::string& text, bool stream = false) {
    json::object o{{"model", model}, {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}};
    if (stream) o["stream"] = true;
    return json::serialize(o);
  };
  // Served, streamed, mirrored and judged; an email detected and redacted.
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("auto", "score=7 mail bob@example.com"), acme).status ==
          200);
  REQUIRE(http_stream(gw.port(), "/v1/chat/completions", chat("paid", "stream", true), acme).status == 200);
  // A failover, and a stream broken after its first bytes.
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("fo", "fail over"), acme).status == 200);
  remote->set_fault("cut=2", 1);
  http_stream(gw.port(), "/v1/chat/completions", chat("paid", "cut me", true), acme);
  // Rate limited: the second request in the minute.
  const Headers limited = {{"Authorization", "Bearer " + limited_key}};
  post_json(gw.port(), "/v1/chat/completions", chat("paid", "one"), limited);
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat("paid", "two"), limited).status == 429);
  REQUIRE(http_request(gw.admin_port(), "POST", "/admin/reload").status == 200);
  REQUIRE(eventually([&] { return gw.services().shadows().active() == 0; }));
  REQUIRE(eventually([&] { return gw.services().inflight_requests.load() == 0; }));

  const auto metrics = http_request(gw.admin_port(), "GET", "/metrics").body;
  const auto exported = series_labels(metrics);
  std::set<std::string> queried;
  for (const auto& [where, expr] : queries) {
    INFO(where << ": " << expr);
    const auto u = uses_of(expr);
    CHECK(!u.metrics.empty());
    std::set<std::string> labels_of_expr;
    for (const auto& m : u.metrics) {
      queried.insert(m);
      INFO("metric " << m);
      auto it = exported.find(m);
      CHECK(it != exported.end());
      if (it == exported.end()) continue;
      for (const auto& l : u.selector_labels.at(m)) {
        INFO("label " << l);
        CHECK(it->second.count(l) == 1);
      }
      labels_of_expr.insert(it->second.begin(), it->second.end());
    }
    for (const auto& l : u.grouping_labels) {
      INFO("grouping label " << l);
      CHECK(labels_of_expr.count(l) == 1);
    }
  }
  // The shadow row queries the metrics of DESIGN.md §5, by their fixed names.
  for (const char* m : {"hybridgw_shadow_requests_total", "hybridgw_judge_score_sum", "hybridgw_judge_score_count",
                        "hybridgw_judge_wins_total", "hybridgw_judgements_total", "hybridgw_shadow_cost_usd_total"})
    CHECK(queried.count(m) == 1);
  gw.stop();
  gw.wait();
  fs::remove(file);
}
