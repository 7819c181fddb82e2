// Runs a gateway in-process on 127.0.0.1 with ephemeral ports, configured from
// a YAML string, in front of in-process simulators. Helpers read metrics.
#pragma once

#include "gateway/app/Gateway.hpp"
#include "gateway/config/ConfigLoader.hpp"
#include "tests/integration/TestHttp.hpp"
#include "tests/sim/Simulator.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace hgw::test {

// A backend entry for YAML configs of tests. Health checks are off unless
// asked: they would otherwise show up in what the simulator received.
std::string backend_yaml(const std::string& name, unsigned short port, const std::string& locality,
                         const std::string& extra = {});

// A test config with its `access_log: { path: off }` turned into a log to file,
// for tests that read what the gateway logged.
std::string with_access_log(std::string yaml, const std::string& file);

class TestGateway {
 public:
  explicit TestGateway(const std::string& yaml);
  ~TestGateway();

  unsigned short port() const { return gateway_->port(); }
  unsigned short admin_port() const { return gateway_->admin_port(); }
  app::Gateway& gateway() { return *gateway_; }

  std::string metrics() const;
  // Sum of the samples of a metric whose labels contain every given
  // `name="value"` fragment (e.g. {"backend=\"local\"", "code=\"200\""}).
  double metric(const std::string& name, const std::vector<std::string>& label_fragments = {}) const;

 private:
  std::unique_ptr<app::Gateway> gateway_;
};

// A simulator started on an ephemeral port.
std::unique_ptr<sim::Simulator> start_sim(const std::string& name, sim::SimOptions options = {});

// Requests of a method (e.g. "POST") the simulator received.
std::vector<sim::ReceivedRequest> received_posts(const sim::Simulator& s);

// The first object of a JSON array whose string member `key` equals value.
const boost::json::object* find_by(const boost::json::array& a, const char* key, std::string_view value);

// Waits (up to timeout) until pred() holds; returns whether it did.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace hgw::test
