// Issue 3 end to end: tenants and keys, rate limits, budgets (reject and
// downgrade, kept across a restart), exact cost accounting, conditional routing,
// strategies, context windows, explain and the break-even report — a gateway on
// loopback in front of simulators, checked by what clients and upstreams saw.
#include "tests/integration/GatewayFixture.hpp"

#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {


const std::string kAlphaKey = "alpha-secret-key-1";
const std::string kBetaKey = "beta-secret-key-2";
const std::string kAdminKey = "admin-secret-for-tests";

Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

// server + admin sections; the fixture binds ephemeral ports whatever listen says.
std::string head_yaml(const std::string& access_log = "off", const std::string& state = "state: { store: memory }\n",
                      const std::string& admin_extra = {}) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: " + access_log +
         " }\n"
         "admin:\n  listen: 127.0.0.1:19090\n" +
         admin_extra + state;
}

// Remote list prices (USD per million tokens) and a local GPU box.
const std::string kRemotePrices = "    cost: { input_per_mtok: 2.5, output_per_mtok: 10, cached_input_per_mtok: 1.25 }\n";
const std::string kLocalGpu = "    cost: { gpu_hour_usd: 3.6, gpus: 2, tokens_per_second: 1000 }\n";
// Round prices for budget arithmetic: $0.001 per input token, $0.002 per output token.
const std::string kRoundPrices = "    cost: { input_per_mtok: 1000, output_per_mtok: 2000 }\n";

std::string tenant_yaml(const std::string& name, const std::string& key, const std::string& extra = {}) {
  return "  - name: " + name + "\n    keys: [\"" + auth::sha256_digest_line(key) + "\"]\n" + extra;
}

// "hello there, gateway" = 20 characters: the simulator counts 5 prompt tokens
// and answers 16 completion tokens (or max_tokens when smaller).
std::string chat(const std::string& model, const std::string& content = "hello there, gateway",
                 const std::string& extra = {}) {
  json::object o{{"model", model},
                 {"messages", json::array{json::object{{"role", "user"}, {"content", content}}}}};
  std::string s = json::serialize(o);
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + "," + extra + "}";
  return s;
}

json::object parse_object(const std::string& s) {
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec || !v.is_object()) {
    FAIL("not a JSON object: " << s);
  }
  return v.as_object();
}

std::string error_code_of(const HttpResult& r) {
  auto o = parse_object(r.body);
  return std::string(o.at("error").at("code").as_string());
}
std::string error_message_of(const HttpResult& r) {
  auto o = parse_object(r.body);
  return std::string(o.at("error").at("message").as_string());
}

// Every request is accounted (cost, spend, rate-limit correction) just after
// its response went out: wait for that before the next step depends on it.
void settle(TestGateway& gw) {
  REQUIRE(eventually([&] { return gw.gateway().services().inflight_requests.load() == 0; }));
}

std::string fmt10(double usd) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.10f", usd);
  return buf;
}

// Price × usage, the formula of policies/cost/Pricing.hpp, from the usage the
// client received: (prompt - cached) × in + cached × cached_in + completion × out.
double priced(const json::object& usage, double in_mtok, double out_mtok, double cached_mtok) {
  const auto prompt = static_cast<std::uint64_t>(usage.at("prompt_tokens").as_int64());
  const auto completion = static_cast<std::uint64_t>(usage.at("completion_tokens").as_int64());
  std::uint64_t cached = 0;
  if (auto* d = usage.if_contains("prompt_tokens_details"); d && d->is_object())
    if (auto* c = d->as_object().if_contains("cached_tokens")) cached = static_cast<std::uint64_t>(c->as_int64());
  const double in = in_mtok / 1e6, out = out_mtok / 1e6, cin = cached_mtok / 1e6;
  return static_cast<double>(prompt - cached) * in + static_cast<double>(cached) * cin +
         static_cast<double>(completion) * out;
}

std::filesystem::path temp_path(const std::string& stem) {
  return std::filesystem::temp_directory_path() /
         ("hgw-tenancy-" + stem + "-" + std::to_string(::getpid()) + "-" +
          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
}

std::vector<json::object> read_json_lines(const std::filesystem::path& p) {
  std::vector<json::object> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(parse_object(line));
  return out;
}


double num(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return -1;
}

std::string tomorrow_utc_midnight() {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(system_clock::now()) + days{1}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT00:00:00Z", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

long seconds_to_utc_midnight() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return 86400 - (now % 86400);
}

// Route [remote, local]; tenant alpha has $0.05 a day and is downgraded to the
// local target when that is spent.
std::string downgrade_config(unsigned short local, unsigned short remote) {
  return head_yaml() + "backends:\n" + backend_yaml("remote", remote, "remote", kRoundPrices) +
         backend_yaml("local", local, "local") +
         "routes:\n  - { name: chat, models: [auto], targets: [remote, local] }\n"
         "tenants:\n" +
         tenant_yaml("alpha", kAlphaKey, "    budget: { daily_usd: 0.05, on_exhausted: downgrade }\n");
}

}  // namespace

// ---------------------------------------------------------------------------
// Tenants, keys, routes, rate limits

TEST_CASE("tenants: uniform 401, 403 naming the route, per-tenant requests_per_minute", "[tenancy]") {
  auto local = start_sim("local");
  TestGateway gw(head_yaml() + "backends:\n" + backend_yaml("local", local->port(), "local") +
                 "routes:\n"
                 "  - { name: chat, models: [auto], targets: [local] }\n"
                 "  - { name: embed, models: [embed], targets: [local] }\n"
                 "tenants:\n" +
                 tenant_yaml("alpha", kAlphaKey, "    routes: [chat]\n    rate_limit: { requests_per_minute: 2 }\n") +
                 tenant_yaml("beta", kBetaKey, "    rate_limit: { requests_per_minute: 100 }\n"));

  // 401: missing key, unknown key, malformed header — one uniform body.
  auto missing = post_json(gw.port(), "/v1/chat/completions", chat("auto"));
  auto wrong = post_json(gw.port(), "/v1/chat/completions", chat("auto"), bearer("not-a-key"));
  auto wrong_x = post_json(gw.port(), "/v1/chat/completions", chat("auto"), {{"x-api-key", kAlphaKey + "x"}});
  auto empty = post_json(gw.port(), "/v1/chat/completions", chat("auto"), {{"Authorization", "Bearer "}});
  for (const auto* r : {&missing, &wrong, &wrong_x, &empty}) {
    CHECK(r->status == 401);
    CHECK(r->body == missing.body);
  }
  CHECK(error_code_of(missing) == "invalid_api_key");
  CHECK(parse_object(missing.body).at("error").at("type").as_string() == "authentication_error");
  CHECK(error_message_of(missing).find("Authorization: Bearer") != std::string::npos);
  CHECK(missing.body.find("not-a-key") == std::string::npos);
  CHECK(received_posts(*local).empty());

  // The key in other header forms (Anthropic's x-api-key) authenticates too.
  auto via_x = post_json(gw.port(), "/v1/chat/completions", chat("auto"), {{"x-api-key", kBetaKey}});
  CHECK(via_x.status == 200);

  // 403: alpha may only use the chat route; nothing reaches an upstream.
  const auto posts_before = received_posts(*local).size();
  auto forbidden = post_json(gw.port(), "/v1/embeddings", R"({"model":"embed","input":"x"})", bearer(kAlphaKey));
  CHECK(forbidden.status == 403);
  CHECK(error_code_of(forbidden) == "route_not_allowed");
  CHECK(error_message_of(forbidden).find("'embed'") != std::string::npos);
  CHECK(error_message_of(forbidden).find("alpha") != std::string::npos);
  CHECK(received_posts(*local).size() == posts_before);

  // 429: alpha has 2 requests a minute (the 403 above charged nothing); beta 100.
  CHECK(post_json(gw.port(), "/v1/chat/completions", chat("auto"), bearer(kAlphaKey)).status == 200);
  CHECK(post_json(gw.port(), "/v1/chat/completions", chat("auto"), bearer(kAlphaKey)).status == 200);
  auto limited = post_json(gw.port(), "/v1/chat/completions", chat("auto"), bearer(kAlphaKey));
  REQUIRE(limited.status == 429);
  CHECK(error_code_of(limited) == "rate_limit_exceeded");
  CHECK(error_message_of(limited).find("requests_per_minute") != std::string::npos);
  CHECK(error_message_of(limited).find("alpha") != std::string::npos);
  const int retry_after = std::atoi(limited.header("retry-after").c_str());
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  for (int i = 0; i < 5; ++i)
    CHECK(post_json(gw.port(), "/v1/chat/completions", chat("auto"), bearer(kBetaKey)).status == 200);

  CHECK(gw.metric("hybridgw_rate_limited_total", {"tenant=\"alpha\"", "kind=\"requests\""}) == 1);
  CHECK(gw.metric("hybridgw_rate_limited_total", {"tenant=\"beta\""}) == 0);
  CHECK(gw.metric("hybridgw_requests_total", {"tenant=\"alpha\"", "code=\"200\""}) == 2);
  CHECK(gw.metric("hybridgw_requests_total", {"tenant=\"alpha\"", "code=\"429\""}) == 1);
  CHECK(gw.metric("hybridgw_requests_total", {"tenant=\"alpha\"", "code=\"403\""}) == 1);
  CHECK(gw.metric("hybridgw_requests_total", {"tenant=\"beta\"", "code=\"200\""}) == 6);
  CHECK(gw.metric("hybridgw_requests_total", {"code=\"401\""}) == 4);
}

TEST_CASE("tokens_per_minute: charged with the estimate, corrected with the actual usage", "[tenancy]") {
  auto local = start_sim("local");
  TestGateway gw(head_yaml() + "backends:\n" + backend_yaml("local", local->port(), "local") +
                 "routes:\n  - { name: chat, models: [auto], targets: [local] }\n"
                 "tenants:\n" +
                 tenant_yaml("alpha", kAlphaKey, "    rate_limit: { tokens_per_minute: 100 }\n"));

  // Estimate: 5 prompt tokens + max_tokens 40 = 45 charged up front. Actual: 5 + 16 = 21,
  // so 24 come back after each answer. Without the correction the third request
  // would be refused (100 - 45 - 45 < 45); with it the bucket goes 100 → 79 → 58 → 37.
  const std::string req = chat("auto", "hello there, gateway", R"("max_tokens":40)");
  for (int i = 0; i < 3; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
    INFO("request " << i);
    REQUIRE(r.status == 200);
    CHECK(parse_object(r.body).at("usage").at("total_tokens").as_int64() == 21);
    settle(gw);
  }
  auto limited = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
  REQUIRE(limited.status == 429);
  CHECK(error_code_of(limited) == "rate_limit_exceeded");
  CHECK(error_message_of(limited).find("tokens_per_minute") != std::string::npos);
  const int retry_after = std::atoi(limited.header("retry-after").c_str());
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  CHECK(received_posts(*local).size() == 3);

  // A request that can never fit says so.
  auto huge = post_json(gw.port(), "/v1/chat/completions", chat("auto", "hi", R"("max_tokens":500)"),
                        bearer(kAlphaKey));
  CHECK(huge.status == 429);
  CHECK(error_message_of(huge).find("tokens_per_minute") != std::string::npos);
  CHECK(huge.header("retry-after") != "");

  CHECK(gw.metric("hybridgw_rate_limited_total", {"tenant=\"alpha\"", "kind=\"tokens\""}) == 2);
  CHECK(gw.metric("hybridgw_rate_limited_total", {"tenant=\"alpha\"", "kind=\"requests\""}) == 0);
}

// ---------------------------------------------------------------------------
// Budgets

TEST_CASE("budget reject: two tenants with different budgets, 429 budget_exceeded with the reset time",
          "[tenancy]") {
  auto remote = start_sim("remote");
  TestGateway gw(head_yaml() + "backends:\n" + backend_yaml("remote", remote->port(), "remote", kRoundPrices) +
                 "routes:\n  - { name: chat, models: [auto], targets: [remote] }\n"
                 "tenants:\n" +
                 tenant_yaml("alpha", kAlphaKey, "    budget: { daily_usd: 0.1, on_exhausted: reject }\n") +
                 tenant_yaml("beta", kBetaKey, "    budget: { daily_usd: 100, monthly_usd: 1000 }\n"));

  // Each request: 5 input tokens × $0.001 + 16 output tokens × $0.002 = $0.037,
  // estimated the same way (max_tokens 16). 0.037, 0.074 pass; 0.111 > 0.1 does not.
  const std::string req = chat("auto", "hello there, gateway", R"("max_tokens":16)");
  for (int i = 0; i < 2; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
    INFO("request " << i);
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-cost-usd") == "0.0370000000");
    settle(gw);
  }
  auto over = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
  REQUIRE(over.status == 429);
  CHECK(error_code_of(over) == "budget_exceeded");
  const std::string message = error_message_of(over);
  CHECK(message.find("daily") != std::string::npos);
  CHECK(message.find("alpha") != std::string::npos);
  CHECK(message.find(tomorrow_utc_midnight()) != std::string::npos);
  const long retry_after = std::atol(over.header("retry-after").c_str());
  CHECK(std::labs(retry_after - seconds_to_utc_midnight()) <= 3);
  CHECK(received_posts(*remote).size() == 2);

  // The other tenant's budget is its own.
  for (int i = 0; i < 3; ++i)
    CHECK(post_json(gw.port(), "/v1/chat/completions", req, bearer(kBetaKey)).status == 200);
  CHECK(received_posts(*remote).size() == 5);

  CHECK(gw.metric("hybridgw_budget_limit_usd", {"tenant=\"alpha\"", "window=\"daily\""}) == Approx(0.1));
  CHECK(gw.metric("hybridgw_budget_spent_usd", {"tenant=\"alpha\"", "window=\"daily\""}) == Approx(0.074));
  CHECK(gw.metric("hybridgw_budget_limit_usd", {"tenant=\"beta\"", "window=\"monthly\""}) == Approx(1000));
  CHECK(gw.metric("hybridgw_cost_usd_total", {"tenant=\"alpha\""}) == Approx(0.074));
  CHECK(gw.metric("hybridgw_requests_total", {"tenant=\"alpha\"", "code=\"429\""}) == 1);
}

TEST_CASE("budget downgrade: an exhausted tenant is served by the local target, and told so", "[tenancy]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(downgrade_config(local->port(), remote->port()));

  const std::string req = chat("auto", "hello there, gateway", R"("max_tokens":16)");
  auto first = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
  REQUIRE(first.status == 200);
  CHECK(first.header("x-hybridgw-backend") == "remote");
  CHECK(first.header("x-hybridgw-downgraded").empty());
  CHECK(first.header("x-hybridgw-decision").find("downgraded") == std::string::npos);
  settle(gw);
  // $0.037 spent, another $0.037 would pass $0.05: downgraded from here on.
  bool saw_downgrade = false;
  for (int i = 0; i < 3; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
    INFO("request " << i << " " << r.header("x-hybridgw-decision"));
    REQUIRE(r.status == 200);
    if (r.header("x-hybridgw-backend") == "local") {
      saw_downgrade = true;
      CHECK(r.header("x-hybridgw-downgraded") == "budget");
      CHECK(r.header("x-hybridgw-decision").find("downgraded=1") != std::string::npos);
      CHECK(r.header("x-hybridgw-decision").find("remote:budget") != std::string::npos);
    }
    settle(gw);
  }
  CHECK(saw_downgrade);
  // Whatever the estimate, at most the spend that crossed the limit went remote.
  CHECK(received_posts(*remote).size() <= 2);
  CHECK(received_posts(*local).size() >= 2);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"tenant=\"alpha\"", "backend=\"remote\""}) <= 0.074 + 1e-9);
}

// The budget is checked "with the request's estimated cost" (issue 3): on a
// route [remote, local] the estimate must be the cost where the request would
// go (Planner.hpp: max_estimated_cost_usd, "a conservative estimate for the
// budget check"), not the free local target's $0 — otherwise a tenant whose
// next remote request would overrun the budget is still sent remote.
TEST_CASE("budget downgrade: a remote request that would overrun the budget is downgraded before it goes",
          "[tenancy]") {
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(downgrade_config(local->port(), remote->port()));
  const std::string req = chat("auto", "hello there, gateway", R"("max_tokens":16)");
  // $0.037 each on remote: the first fits in $0.05, the second ($0.074) does not.
  auto first = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
  REQUIRE(first.status == 200);
  CHECK(first.header("x-hybridgw-backend") == "remote");
  settle(gw);
  auto second = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
  REQUIRE(second.status == 200);
  CHECK(second.header("x-hybridgw-backend") == "local");
  CHECK(second.header("x-hybridgw-downgraded") == "budget");
  settle(gw);
  CHECK(received_posts(*remote).size() == 1);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"tenant=\"alpha\""}) <= 0.05);
}

TEST_CASE("spend survives a restart: sqlite state file, budget rejection continues", "[tenancy]") {
  const auto db = temp_path("state") += ".db";
  auto remote = start_sim("remote");
  const std::string yaml = head_yaml("off", "state: { store: sqlite, path: \"" + db.string() + "\" }\n") +
                           "backends:\n" + backend_yaml("remote", remote->port(), "remote", kRoundPrices) +
                           "routes:\n  - { name: chat, models: [auto], targets: [remote] }\n"
                           "tenants:\n" +
                           tenant_yaml("alpha", kAlphaKey, "    budget: { daily_usd: 0.1, on_exhausted: reject }\n");
  const std::string req = chat("auto", "hello there, gateway", R"("max_tokens":16)");
  {
    TestGateway gw(yaml);
    for (int i = 0; i < 2; ++i) {
      REQUIRE(post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey)).status == 200);
      settle(gw);
    }
  }  // stopped: everything recorded is written
  CHECK(std::filesystem::exists(db));
  {
    TestGateway gw(yaml);
    auto state = http_request(gw.admin_port(), "GET", "/admin/state");
    CHECK(state.status == 200);
    auto over = post_json(gw.port(), "/v1/chat/completions", req, bearer(kAlphaKey));
    CHECK(over.status == 429);
    CHECK(error_code_of(over) == "budget_exceeded");
    CHECK(gw.metric("hybridgw_budget_spent_usd", {"tenant=\"alpha\"", "window=\"daily\""}) == Approx(0.074));
    // The usage of the first run is in the report of the second.
    auto report = http_request(gw.admin_port(), "GET", "/admin/cost-report");
    REQUIRE(report.status == 200);
    auto routes = parse_object(report.body).at("windows").at("day").at("routes").as_array();
    const auto* chat_route = find_by(routes, "route", "chat");
    REQUIRE(chat_route);
    CHECK(num(chat_route->at("requests")) == 2);
    CHECK(num(chat_route->at("spend_usd")) == Approx(0.074));
  }
  CHECK(received_posts(*remote).size() == 2);
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix, ec);
}

// ---------------------------------------------------------------------------
// Cost accounting

TEST_CASE("x-hybridgw-cost-usd equals list prices x usage exactly; streams are charged in metrics and the log",
          "[tenancy]") {
  sim::SimOptions cached;
  cached.cached_tokens = 7;
  auto remote = start_sim("remote", cached);
  const auto log = temp_path("access") += ".log";
  TestGateway gw(head_yaml(log.string()) + "backends:\n" + backend_yaml("remote", remote->port(), "remote", kRemotePrices) +
                 "routes:\n  - { name: chat, models: [auto], targets: [remote] }\n"
                 "tenants:\n" +
                 tenant_yaml("alpha", kAlphaKey));

  // 103 characters → 26 prompt tokens, 7 of them cached; 16 completion tokens.
  const std::string content(103, 'a');
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("auto", content), bearer(kAlphaKey));
  REQUIRE(r.status == 200);
  const auto usage = parse_object(r.body).at("usage").as_object();
  CHECK(usage.at("prompt_tokens").as_int64() == 26);
  CHECK(usage.at("prompt_tokens_details").at("cached_tokens").as_int64() == 7);
  const double expected = priced(usage, 2.5, 10, 1.25);
  CHECK(expected == Approx((19 * 2.5 + 7 * 1.25 + 16 * 10) / 1e6));
  CHECK(r.header("x-hybridgw-cost-usd") == fmt10(expected));
  settle(gw);
  const double after_whole = gw.metric("hybridgw_cost_usd_total", {"route=\"chat\"", "backend=\"remote\"", "tenant=\"alpha\""});
  CHECK(after_whole == Approx(expected).margin(1e-12));

  // Streaming, with the usage chunk asked for: same usage, same cost, no header.
  auto s = http_stream(gw.port(), "/v1/chat/completions",
                       chat("auto", content, R"("stream":true,"stream_options":{"include_usage":true})"),
                       bearer(kAlphaKey));
  REQUIRE(s.status == 200);
  CHECK(s.complete);
  CHECK(s.header("x-hybridgw-cost-usd").empty());
  json::object stream_usage;
  for (const auto& item : parse_sse(s.body)) {
    if (item.data == "[DONE]" || item.data.empty()) continue;
    auto chunk = parse_object(item.data);
    if (auto* u = chunk.if_contains("usage"); u && u->is_object()) stream_usage = u->as_object();
  }
  REQUIRE(!stream_usage.empty());
  const double expected_stream = priced(stream_usage, 2.5, 10, 1.25);
  settle(gw);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"route=\"chat\"", "backend=\"remote\"", "tenant=\"alpha\""}) ==
        Approx(expected + expected_stream).margin(1e-12));
  CHECK(gw.metric("hybridgw_tokens_total", {"tenant=\"alpha\"", "kind=\"cached\""}) == 14);

  // A stream whose client did not ask for usage is charged all the same.
  auto quiet = http_stream(gw.port(), "/v1/chat/completions", chat("auto", content, R"("stream":true)"),
                           bearer(kAlphaKey));
  REQUIRE(quiet.status == 200);
  settle(gw);
  CHECK(gw.metric("hybridgw_cost_usd_total", {"tenant=\"alpha\""}) ==
        Approx(expected + 2 * expected_stream).margin(1e-12));

  // The access log carries the cost of each request, the streamed ones included.
  std::vector<json::object> lines;
  REQUIRE(eventually([&] {
    lines = read_json_lines(log);
    return lines.size() >= 3;
  }));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].at("stream").as_bool() == false);
  CHECK(num(lines[0].at("cost_usd")) == Approx(expected).epsilon(1e-12));
  for (int i : {1, 2}) {
    CHECK(lines[i].at("stream").as_bool() == true);
    CHECK(num(lines[i].at("cost_usd")) == Approx(expected_stream).epsilon(1e-12));
    CHECK(lines[i].at("tenant").as_string() == "alpha");
    CHECK(num(lines[i].at("cached_tokens")) == 7);
  }
  std::error_code ec;
  std::filesystem::remove(log, ec);
}

TEST_CASE("local amortised cost: gpu_hour_usd x gpus / tokens_per_second", "[tenancy]") {
  auto local = start_sim("local");
  TestGateway gw(head_yaml() + "backends:\n" + backend_yaml("local", local->port(), "local", kLocalGpu) +
                 "routes:\n  - { name: chat, models: [auto], targets: [local] }\n");
  auto r = post_json(gw.port(), "/v1/chat/completions", chat("auto"));
  REQUIRE(r.status == 200);
  const auto usage = parse_object(r.body).at("usage").as_object();
  // $3.60 an hour × 2 GPUs over 1000 tokens/s × 3600 s: $0.000002 per token.
  const double per_token = 3.6 * 2 / (1000 * 3600.0);
  const double expected =
      static_cast<double>(usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64()) * per_token;
  CHECK(expected == Approx(21 * 2e-6));
  CHECK(r.header("x-hybridgw-cost-usd") == fmt10(expected));
  CHECK(r.header("x-hybridgw-cost-usd") == "0.0000420000");
  CHECK(gw.metric("hybridgw_cost_usd_total", {"backend=\"local\""}) == Approx(expected).margin(1e-12));
}

// ---------------------------------------------------------------------------
// Routing

TEST_CASE("conditional routing: header tier, long prompts and tools pick their targets", "[tenancy]") {
  auto small = start_sim("small");
  auto premium = start_sim("premium");
  auto longctx = start_sim("longctx");
  auto agent = start_sim("agent");
  TestGateway gw(head_yaml() + "backends:\n" + backend_yaml("small", small->port(), "local") +
                 backend_yaml("premium", premium->port(), "remote", kRemotePrices) +
                 backend_yaml("longctx", longctx->port(), "remote", "    context_window: 200000\n") +
                 backend_yaml("agent", agent->port(), "remote") +
                 "routes:\n"
                 "  - name: auto\n"
                 "    models: [auto]\n"
                 "    targets: [small]\n"
                 "    when:\n"
                 "      - { name: premium-tier, headers: { x-hybridgw-tier: premium }, targets: [premium] }\n"
                 "      - { name: long-prompt, min_prompt_tokens: 50, targets: [longctx] }\n"
                 "      - { name: agentic, has_tools: true, targets: [agent] }\n");

  auto send = [&](const std::string& body, const Headers& h = {}) {
    auto r = post_json(gw.port(), "/v1/chat/completions", body, h);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r;
  };
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f","parameters":{}}}])";
  const std::string long_text(300, 'x');  // 75 estimated tokens

  auto plain = send(chat("auto"));
  CHECK(plain.header("x-hybridgw-backend") == "small");
  CHECK(plain.header("x-hybridgw-decision").find("rule=default") != std::string::npos);

  auto tier = send(chat("auto"), {{"X-Hybridgw-Tier", "premium"}});
  CHECK(tier.header("x-hybridgw-backend") == "premium");
  CHECK(tier.header("x-hybridgw-decision").find("rule=premium-tier") != std::string::npos);

  auto basic = send(chat("auto"), {{"x-hybridgw-tier", "basic"}});
  CHECK(basic.header("x-hybridgw-backend") == "small");

  auto long_prompt = send(chat("auto", long_text));
  CHECK(long_prompt.header("x-hybridgw-backend") == "longctx");
  CHECK(long_prompt.header("x-hybridgw-decision").find("rule=long-prompt") != std::string::npos);

  auto with_tools = send(chat("auto", "call a tool", tools));
  CHECK(with_tools.header("x-hybridgw-backend") == "agent");
  CHECK(with_tools.header("x-hybridgw-decision").find("rule=agentic") != std::string::npos);

  // First matching rule wins: premium and long → premium.
  auto both = send(chat("auto", long_text, tools), {{"x-hybridgw-tier", "premium"}});
  CHECK(both.header("x-hybridgw-backend") == "premium");

  CHECK(received_posts(*small).size() == 2);
  CHECK(received_posts(*premium).size() == 2);
  CHECK(received_posts(*longctx).size() == 1);
  CHECK(received_posts(*agent).size() == 1);
  // The routing header is the gateway's business, not the upstream's.
  CHECK(received_posts(*premium)[0].header("x-hybridgw-tier").empty());
}

TEST_CASE("strategies end to end: cheapest picks the lower price, weighted 3:1 gives 30/10 over 40", "[tenancy]") {
  auto pricey = start_sim("pricey");
  auto cheap = start_sim("cheap");
  auto wa = start_sim("wa");
  auto wb = start_sim("wb");
  TestGateway gw(head_yaml() + "backends:\n" +
                 backend_yaml("pricey", pricey->port(), "remote", "    cost: { input_per_mtok: 10, output_per_mtok: 30 }\n") +
                 backend_yaml("cheap", cheap->port(), "remote", "    cost: { input_per_mtok: 0.5, output_per_mtok: 1.5 }\n") +
                 backend_yaml("wa", wa->port(), "local") + backend_yaml("wb", wb->port(), "local") +
                 "routes:\n"
                 "  - { name: bargain, models: [bargain], strategy: cheapest, targets: [pricey, cheap], retry: { attempts: 1 } }\n"
                 "  - name: spread\n"
                 "    models: [spread]\n"
                 "    strategy: weighted\n"
                 "    targets: [{ backend: wa, weight: 3 }, { backend: wb, weight: 1 }]\n");

  for (int i = 0; i < 3; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("bargain"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == "cheap");
    CHECK(r.header("x-hybridgw-decision").find("strategy=cheapest;order=cheap,pricey") != std::string::npos);
  }
  CHECK(received_posts(*pricey).empty());

  // The cheap one fails: the next cheapest takes over.
  cheap->set_fault("status=500", 1);
  auto failover = post_json(gw.port(), "/v1/chat/completions", chat("bargain"));
  CHECK(failover.status == 200);
  CHECK(failover.header("x-hybridgw-backend") == "pricey");
  cheap->clear_fault();

  int a = 0, b = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("spread"));
    REQUIRE(r.status == 200);
    (r.header("x-hybridgw-backend") == "wa" ? a : b)++;
  }
  CHECK(a == 30);
  CHECK(b == 10);
  CHECK(received_posts(*wa).size() == 30);
  CHECK(received_posts(*wb).size() == 10);
}

TEST_CASE("context_window: a target that cannot hold prompt + max_tokens is skipped, with that reason",
          "[tenancy]") {
  auto tiny = start_sim("tiny");
  auto roomy = start_sim("roomy");
  TestGateway gw(head_yaml() + "backends:\n" + backend_yaml("tiny", tiny->port(), "local", "    context_window: 64\n") +
                 backend_yaml("roomy", roomy->port(), "remote", "    context_window: 100000\n") +
                 "routes:\n"
                 "  - { name: chat, models: [auto], targets: [tiny, roomy] }\n"
                 "  - { name: only-tiny, models: [tiny], targets: [tiny] }\n");

  // 5 + 16 = 21 tokens fit in 64.
  auto fits = post_json(gw.port(), "/v1/chat/completions", chat("auto", "hello there, gateway", R"("max_tokens":16)"));
  REQUIRE(fits.status == 200);
  CHECK(fits.header("x-hybridgw-backend") == "tiny");

  // 50 + 16 = 66 tokens do not.
  const std::string big = chat("auto", std::string(200, 'y'), R"("max_tokens":16)");
  auto skipped = post_json(gw.port(), "/v1/chat/completions", big);
  REQUIRE(skipped.status == 200);
  CHECK(skipped.header("x-hybridgw-backend") == "roomy");
  CHECK(skipped.header("x-hybridgw-attempts") == "1");
  CHECK(skipped.header("x-hybridgw-decision").find("tiny:context_window") != std::string::npos);
  CHECK(received_posts(*tiny).size() == 1);

  // Nowhere to go: a 400 that says why.
  auto none = post_json(gw.port(), "/v1/chat/completions", chat("tiny", std::string(200, 'y'), R"("max_tokens":16)"));
  CHECK(none.status == 400);
  CHECK(error_code_of(none) == "context_length_exceeded");
  CHECK(error_message_of(none).find("66") != std::string::npos);
  CHECK(received_posts(*tiny).size() == 1);
}

// ---------------------------------------------------------------------------
// Explain and the break-even report

namespace {

std::string admin_config(unsigned short local, unsigned short remote) {
  return head_yaml("off", "state: { store: memory }\n", "  api_key_env: HGW_TEST_ADMIN_KEY\n") + "backends:\n" +
         backend_yaml("local", local, "local", "    cost: { gpu_hour_usd: 2.0, gpus: 1, tokens_per_second: 2500 }\n") +
         backend_yaml("remote", remote, "remote", kRemotePrices) +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [local, remote]\n"
         "    when:\n"
         "      - { name: premium-tier, headers: { x-hybridgw-tier: premium }, targets: [remote, local] }\n"
         "tenants:\n" +
         tenant_yaml("alpha", kAlphaKey, "    budget: { daily_usd: 10 }\n") +
         "compliance:\n"
         "  detectors: [cn_resident_id, email]\n"
         "  classify: { cn_resident_id: restricted }\n"
         "  rules:\n"
         "    - { name: restricted-stays-local, when: { class: restricted }, allow: { locality: [local] } }\n";
}

// A valid (checksummed) PRC resident identity number.
const std::string kResidentId = "11010519491231002X";

}  // namespace

// Regression test: explain once threw on every request.
TEST_CASE("POST /admin/explain: admin key required; the trace has every candidate with its reason",
          "[tenancy]") {
  ::setenv("HGW_TEST_ADMIN_KEY", kAdminKey.c_str(), 1);
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(admin_config(local->port(), remote->port()));
  const Headers admin = bearer(kAdminKey);
  const std::string restricted = chat("auto", "my id is " + kResidentId + ", please help");

  // Live: the restricted prompt stays local, the decision header says why.
  auto live = post_json(gw.port(), "/v1/chat/completions", restricted, bearer(kAlphaKey));
  REQUIRE(live.status == 200);
  CHECK(live.header("x-hybridgw-backend") == "local");
  CHECK(live.header("x-hybridgw-decision").find("remote:compliance") != std::string::npos);
  CHECK(received_posts(*remote).empty());
  local->clear_received();

  auto no_key = post_json(gw.admin_port(), "/admin/explain", restricted);
  CHECK(no_key.status == 401);
  auto bad_key = post_json(gw.admin_port(), "/admin/explain", restricted, bearer("guess"));
  CHECK(bad_key.status == 401);

  // Explain takes the same decision, with every candidate and its reason.
  auto r = post_json(gw.admin_port(), "/admin/explain?tenant=alpha", restricted, admin);
  // Whatever explain did, the admin listener is still there.
  CHECK(http_request(gw.admin_port(), "GET", "/healthz").status == 200);
  INFO(r.status << " " << r.error << " " << r.body);
  REQUIRE(r.status == 200);
  auto o = parse_object(r.body);
  CHECK(o.at("tenant").as_string() == "alpha");
  CHECK(o.at("compliance").at("data_class").as_string() == "restricted");
  const auto& d = o.at("decision").as_object();
  CHECK(d.at("route").as_string() == "chat");
  CHECK(d.at("rule").as_string() == "default");
  const auto& cands = d.at("candidates").as_array();
  REQUIRE(cands.size() == 2);
  const auto* lc = find_by(cands, "backend", "local");
  const auto* rc = find_by(cands, "backend", "remote");
  REQUIRE(lc);
  REQUIRE(rc);
  CHECK(lc->at("verdict").as_string() == "selected");
  CHECK(!lc->at("reason").as_string().empty());
  CHECK(rc->at("verdict").as_string() == "rejected");
  CHECK(rc->at("policy").as_string() == "compliance");
  CHECK(rc->at("reason").as_string().find("restricted-stays-local") != std::string::npos);
  for (const auto& c : cands) CHECK(c.as_object().contains("estimated_cost_usd"));
  CHECK(num(rc->at("estimated_cost_usd")) > 0);
  CHECK(o.at("short_form").as_string() == live.header("x-hybridgw-decision"));
  // Names, classes and reasons only: never the detected value.
  CHECK(r.body.find(kResidentId) == std::string::npos);

  // A plain request: local selected, remote its fallback.
  auto plain = post_json(gw.admin_port(), "/admin/explain", chat("auto"), admin);
  REQUIRE(plain.status == 200);
  auto po = parse_object(plain.body);
  const auto& pc = po.at("decision").at("candidates").as_array();
  REQUIRE(pc.size() == 2);
  CHECK(find_by(pc, "backend", "local")->at("verdict").as_string() == "selected");
  CHECK(find_by(pc, "backend", "remote")->at("verdict").as_string() == "fallback");
  CHECK(po.at("short_form").as_string().find("order=local,remote") != std::string::npos);

  // Bad input is a 400, not a crash.
  CHECK(post_json(gw.admin_port(), "/admin/explain", "{not json", admin).status == 400);

  // Explaining sends nothing upstream.
  CHECK(received_posts(*local).empty());
  CHECK(received_posts(*remote).empty());
}

// Regression test: explain once ignored the request's x-hybridgw-* headers.
TEST_CASE("POST /admin/explain: x-hybridgw-* headers of the request steer the explained decision",
          "[tenancy]") {
  ::setenv("HGW_TEST_ADMIN_KEY", kAdminKey.c_str(), 1);
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(admin_config(local->port(), remote->port()));
  auto live = post_json(gw.port(), "/v1/chat/completions", chat("auto"),
                        {{"Authorization", "Bearer " + kAlphaKey}, {"x-hybridgw-tier", "premium"}});
  REQUIRE(live.status == 200);
  CHECK(live.header("x-hybridgw-backend") == "remote");
  auto r = post_json(gw.admin_port(), "/admin/explain?tenant=alpha", chat("auto"),
                     {{"Authorization", "Bearer " + kAdminKey}, {"x-hybridgw-tier", "premium"}});
  REQUIRE(r.status == 200);
  auto o = parse_object(r.body);
  CHECK(o.at("decision").at("rule").as_string() == "premium-tier");
  CHECK(o.at("short_form").as_string() == live.header("x-hybridgw-decision"));
}

TEST_CASE("GET /admin/cost-report after traffic: tokens, spend, same tokens elsewhere, break-even", "[tenancy]") {
  ::setenv("HGW_TEST_ADMIN_KEY", kAdminKey.c_str(), 1);
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(admin_config(local->port(), remote->port()));

  std::uint64_t local_in = 0, local_out = 0, remote_in = 0, remote_out = 0;
  double local_spend = 0, remote_spend = 0;
  for (int i = 0; i < 5; ++i) {
    const bool prem = i >= 3;
    auto h = bearer(kAlphaKey);
    if (prem) h.emplace_back("x-hybridgw-tier", "premium");
    auto r = post_json(gw.port(), "/v1/chat/completions", chat("auto"), h);
    REQUIRE(r.status == 200);
    CHECK(r.header("x-hybridgw-backend") == (prem ? "remote" : "local"));
    const auto u = parse_object(r.body).at("usage").as_object();
    (prem ? remote_in : local_in) += static_cast<std::uint64_t>(u.at("prompt_tokens").as_int64());
    (prem ? remote_out : local_out) += static_cast<std::uint64_t>(u.at("completion_tokens").as_int64());
    (prem ? remote_spend : local_spend) += std::atof(r.header("x-hybridgw-cost-usd").c_str());
  }
  settle(gw);

  CHECK(http_request(gw.admin_port(), "GET", "/admin/cost-report").status == 401);
  auto r = http_request(gw.admin_port(), "GET", "/admin/cost-report", {}, bearer(kAdminKey));
  REQUIRE(r.status == 200);
  auto report = parse_object(r.body);
  CHECK(report.contains("generated_at"));
  for (const char* window : {"day", "week", "month"}) {
    INFO("window " << window);
    const auto& routes = report.at("windows").at(window).at("routes").as_array();
    const auto* route = find_by(routes, "route", "chat");
    REQUIRE(route);
    CHECK(num(route->at("requests")) == 5);
    CHECK(num(route->at("tokens")) == static_cast<double>(local_in + local_out + remote_in + remote_out));
    CHECK(num(route->at("spend_usd")) == Approx(local_spend + remote_spend).margin(1e-9));
    const auto& backends = route->at("backends").as_array();
    const auto* lb = find_by(backends, "backend", "local");
    const auto* rb = find_by(backends, "backend", "remote");
    REQUIRE(lb);
    REQUIRE(rb);
    CHECK(lb->at("locality").as_string() == "local");
    CHECK(num(lb->at("requests")) == 3);
    CHECK(num(lb->at("input_tokens")) == static_cast<double>(local_in));
    CHECK(num(lb->at("output_tokens")) == static_cast<double>(local_out));
    CHECK(num(lb->at("spend_usd")) == Approx(local_spend).margin(1e-9));
    CHECK(num(rb->at("requests")) == 2);
    CHECK(num(rb->at("spend_usd")) == Approx(remote_spend).margin(1e-9));

    // What local's tokens would have cost at the remote list price, and back.
    const auto* at_remote = find_by(lb->at("same_tokens_elsewhere").as_array(), "backend", "remote");
    REQUIRE(at_remote);
    CHECK(at_remote->at("basis").as_string() == "list price");
    CHECK(num(at_remote->at("cost_usd")) == Approx((local_in * 2.5 + local_out * 10) / 1e6));
    const auto* at_local = find_by(rb->at("same_tokens_elsewhere").as_array(), "backend", "local");
    REQUIRE(at_local);
    CHECK(at_local->at("basis").as_string() == "amortised");
    CHECK(num(at_local->at("cost_usd")) == Approx((remote_in + remote_out) * 2.0 / (2500 * 3600.0)));

    CHECK(lb->contains("utilisation"));
    CHECK(lb->contains("gpus_needed_for_peak"));
    const auto& be = lb->at("break_even").as_array();
    REQUIRE(be.size() == 1);
    const auto& pair = be[0].as_object();
    CHECK(pair.at("remote").as_string() == "remote");
    CHECK(pair.at("local").as_string() == "local");
    CHECK(pair.at("valid").as_bool());
    CHECK(num(pair.at("break_even_tokens_per_day")) > 0);
    CHECK(pair.contains("gpus_needed_for_peak"));
    CHECK(pair.contains("local_cheaper_at_observed"));
    CHECK(!route->at("break_even").as_array().empty());
  }
  // At 2 $/h and 2500 tokens/s against a blended $4.375/Mtok (75 % input) the
  // local box breaks even at 48 $/day ÷ 4.375e-6 $/token ≈ 10.97 M tokens/day:
  // checked on the route-level pair with the observed input share instead.
  const auto& route_be = find_by(report.at("windows").at("day").at("routes").as_array(), "route", "chat")
                             ->at("break_even")
                             .as_array();
  REQUIRE(route_be.size() == 1);
  const double in_share = static_cast<double>(local_in + remote_in) /
                          static_cast<double>(local_in + local_out + remote_in + remote_out);
  const double blended = (in_share * 2.5 + (1 - in_share) * 10) / 1e6;
  CHECK(num(route_be[0].at("break_even_tokens_per_day")) == Approx(2.0 * 24 / blended).epsilon(1e-6));
}
