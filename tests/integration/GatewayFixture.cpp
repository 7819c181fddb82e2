#include "tests/integration/GatewayFixture.hpp"

#include <sstream>
#include <thread>

namespace hgw::test {

std::string backend_yaml(const std::string& name, unsigned short port, const std::string& locality,
                         const std::string& extra) {
  std::ostringstream y;
  y << "  - name: " << name << "\n"
    << "    url: http://127.0.0.1:" << port << "/v1\n"
    << "    model: " << name << "-model\n"
    << "    locality: " << locality << "\n"
    << "    region: " << (locality == "local" ? "cn-east" : "us") << "\n"
    << "    health_check: { enabled: false }\n";
  if (!extra.empty()) y << extra;
  return y.str();
}

TestGateway::TestGateway(const std::string& yaml) {
  auto result = config::load_config_string(yaml, "test.yaml");
  for (const auto& e : result.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(result.ok());
  app::GatewayOptions options;
  options.handle_signals = false;
  options.port = 0;
  options.admin_port = 0;
  gateway_ = std::make_unique<app::Gateway>(result.config, options);
  gateway_->start();
}

TestGateway::~TestGateway() {
  gateway_->stop();
  gateway_->wait();
}

std::string TestGateway::metrics() const {
  return http_request(admin_port(), "GET", "/metrics").body;
}

std::string with_access_log(std::string yaml, const std::string& file) {
  static const std::string off = "access_log: { path: off }";
  const auto at = yaml.find(off);
  REQUIRE(at != std::string::npos);
  return yaml.replace(at, off.size(), "access_log: { path: \"" + file + "\" }");
}

double TestGateway::metric(const std::string& name, const std::vector<std::string>& fragments) const {
  // A response reaches the client just before its request is accounted:
  // let in-flight requests finish first.
  eventually([&] { return gateway_->services().inflight_requests.load() == 0; }, std::chrono::seconds(5));
  std::istringstream in(metrics());
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : ' ';
    if (next != '{' && next != ' ') continue;
    bool all = true;
    for (const auto& f : fragments)
      if (line.find(f) == std::string::npos) all = false;
    if (!all) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

std::unique_ptr<sim::Simulator> start_sim(const std::string& name, sim::SimOptions options) {
  options.name = name;
  auto s = std::make_unique<sim::Simulator>(options);
  s->start();
  return s;
}

std::vector<sim::ReceivedRequest> received_posts(const sim::Simulator& s) {
  std::vector<sim::ReceivedRequest> out;
  for (auto& r : s.received())
    if (r.method == "POST") out.push_back(r);
  return out;
}

const boost::json::object* find_by(const boost::json::array& a, const char* key, std::string_view value) {
  for (const auto& v : a)
    if (v.is_object()) {
      const auto* k = v.as_object().if_contains(key);
      if (k && k->is_string() && k->as_string() == value) return &v.as_object();
    }
  return nullptr;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace hgw::test
