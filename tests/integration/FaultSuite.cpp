#include "tests/integration/FaultSuite.hpp"

#include <boost/json.hpp>

#include <sstream>

namespace hgw::test::faults {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

Tally& tally() {
  static Tally t;
  return t;
}

std::string backend_entry(const BackendSpec& b) {
  std::ostringstream y;
  y << "  - name: " << b.name << "\n"
    << "    url: http://127.0.0.1:" << b.port << "/v1\n"
    << "    model: " << (b.model.empty() ? b.name + "-model" : b.model) << "\n"
    << "    locality: " << b.locality << "\n"
    << "    region: " << (b.locality == "local" ? "cn-east" : "us") << "\n"
    << "    health_check: { enabled: false }\n"
    << b.extra;
  return y.str();
}

std::string gateway_config(const std::vector<BackendSpec>& backends, const std::vector<std::string>& targets,
                           const std::string& route_extra, const std::string& extra_routes) {
  std::ostringstream y;
  y << "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
    << "admin:\n  listen: 127.0.0.1:19090\n"
    << "state: { store: memory }\n"
    << "backends:\n";
  for (const auto& b : backends) y << backend_entry(b);
  y << "routes:\n"
    << "  - name: chat\n"
    << "    models: [auto]\n"
    << "    targets: [";
  for (std::size_t i = 0; i < targets.size(); ++i) y << (i ? ", " : "") << targets[i];
  y << "]\n";
  if (route_extra.empty())
    y << "    retry: { attempts: 2, backoff_ms: 20, max_backoff_ms: 1000 }\n"
      << "    deadline_ms: 5000\n";
  else
    y << route_extra;
  y << extra_routes;
  return y.str();
}

namespace {

bool complete_json_answer(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.as_object();
  const auto* choices = o.if_contains("choices");
  const auto* usage = o.if_contains("usage");
  return choices && choices->is_array() && !choices->as_array().empty() && usage && usage->is_object();
}

bool json_error_body(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const auto* err = v.as_object().if_contains("error");
  if (!err || !err->is_object()) return false;
  const auto* msg = err->as_object().if_contains("message");
  return msg && msg->is_string() && !msg->as_string().empty();
}

}  // namespace

bool audit_whole(const HttpResult& r) {
  if (r.status == 0) {
    ++tally().lost;
    return false;
  }
  if (r.status == 200) {
    if (!complete_json_answer(r.body)) {
      ++tally().truncated;
      return false;
    }
    return true;
  }
  return json_error_body(r.body);
}

bool audit_stream(const StreamResult& s) {
  if (s.status == 0) {
    ++tally().lost;
    return false;
  }
  if (s.status != 200) return json_error_body(s.body);
  const auto events = parse_sse(s.body);
  bool done = false, error = false;
  for (const auto& e : events) {
    if (e.data == "[DONE]") done = true;
    if (e.event == "error") error = true;
  }
  const bool ends_done = !events.empty() && events.back().data == "[DONE]";
  const bool ends_error = !events.empty() && events.back().event == "error" && !done;
  if (!s.complete || (!ends_done && !ends_error) || (done && error)) {
    ++tally().truncated;
    return false;
  }
  return true;
}

std::size_t posts(const sim::Simulator& s) { return received_posts(s).size(); }

Scenario::~Scenario() {
  for (auto* s : sims_) tally().upstream_attempts += static_cast<long>(posts(*s));
}

void Scenario::inject(sim::Simulator& s, const std::string& spec, int count) {
  s.set_fault(spec, count);
  ++tally().faults_injected;
}

Scenario::Timed Scenario::post(TestGateway& gw, const std::string& body, std::chrono::milliseconds bound) {
  ++tally().client_requests;
  Timed t;
  const auto start = Clock::now();
  // The client waits well past the bound so a slow answer is seen as a hang, not lost.
  t.r = post_json(gw.port(), "/v1/chat/completions", body, {}, bound + std::chrono::seconds(5));
  t.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (t.wall > bound) ++tally().hangs;
  audit_whole(t.r);
  return t;
}

Scenario::TimedStream Scenario::stream(TestGateway& gw, const std::string& body, std::chrono::milliseconds bound) {
  ++tally().client_requests;
  TimedStream t;
  const auto start = Clock::now();
  t.s = http_stream(gw.port(), "/v1/chat/completions", body, {}, bound + std::chrono::seconds(5));
  t.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (t.wall > bound) ++tally().hangs;
  audit_stream(t.s);
  return t;
}

void Scenario::serves_normally(TestGateway& gw) {
  for (auto* s : sims_) s->clear_fault();
  auto t = post(gw);
  CHECK(t.r.status == 200);
  CHECK(complete_json_answer(t.r.body));
  auto st = stream(gw);
  CHECK(st.s.status == 200);
  const auto events = parse_sse(st.s.body);
  CHECK((!events.empty() && events.back().data == "[DONE]"));
}

}  // namespace hgw::test::faults
