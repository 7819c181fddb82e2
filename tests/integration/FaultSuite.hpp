// Helpers of the fault-injection suite (issue 5): config builders for a
// primary + fallback pair in front of simulators, and a tally shared by every
// scenario of fault_suite_test.cpp so that the last test case can print one
// summary line (faults injected, requests lost, hangs, truncated successes,
// retry amplification).
#pragma once

#include "tests/integration/GatewayFixture.hpp"

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

namespace hgw::test::faults {

// What the suite measured, over every scenario that ran.
// Atomic: scenarios send concurrent requests from several threads.
struct Tally {
  std::atomic<int> faults_injected{0};
  std::atomic<long> client_requests{0};
  std::atomic<long> upstream_attempts{0};  // POSTs the simulators received
  std::atomic<int> lost{0};                // no HTTP response at all
  std::atomic<int> hangs{0};               // answered (or not) later than the scenario's bound
  std::atomic<int> truncated{0};           // a 200 that looks complete but is not
};
Tally& tally();

// One backend entry (health checks off; `extra` lines are indented by 4).
struct BackendSpec {
  std::string name;
  unsigned short port = 0;
  std::string locality = "local";
  std::string model;  // default: <name>-model
  std::string extra;  // raw YAML lines, each "    key: value\n"
};

// Short timeouts so that every scenario stays well under a second or two.
inline const std::string kFastTimeouts =
    "    timeouts: { connect_ms: 300, first_token_ms: 300, idle_ms: 300, total_ms: 5000 }\n";

std::string backend_entry(const BackendSpec& b);

// A gateway config with route "chat" (models [auto]) over the given targets in
// order, plus whatever extra routes are given (raw YAML, each "  - name: ...").
std::string gateway_config(const std::vector<BackendSpec>& backends, const std::vector<std::string>& targets,
                           const std::string& route_extra = {}, const std::string& extra_routes = {});

inline const std::string kChat =
    R"({"model":"auto","messages":[{"role":"user","content":"hello there, gateway"}]})";
inline const std::string kStreamChat =
    R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hello there, gateway"}]})";

// Checks a non-streamed answer: a 200 must be complete JSON with choices and
// usage (else it counts as a truncated success); no response counts as lost.
// Returns whether the answer is well-formed (any status).
bool audit_whole(const HttpResult& r);
// Checks a streamed answer: a 200 stream must end with [DONE] or with an
// `event: error` (and then no [DONE]); otherwise it counts as truncated.
bool audit_stream(const StreamResult& s);

// One scenario: counts the client requests it sends, the wall time of each
// (over `bound` → a hang), and, at the end, the POSTs its simulators received.
class Scenario {
 public:
  Scenario(std::initializer_list<sim::Simulator*> sims) : sims_(sims) {}
  ~Scenario();
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  // set_fault on a simulator, counted as one injected fault.
  void inject(sim::Simulator& s, const std::string& spec, int count = -1);

  struct Timed {
    HttpResult r;
    std::chrono::milliseconds wall{0};
  };
  struct TimedStream {
    StreamResult s;
    std::chrono::milliseconds wall{0};
  };
  Timed post(TestGateway& gw, const std::string& body = kChat,
             std::chrono::milliseconds bound = std::chrono::seconds(3));
  TimedStream stream(TestGateway& gw, const std::string& body = kStreamChat,
                     std::chrono::milliseconds bound = std::chrono::seconds(3));

  // Clears every fault and checks that a normal request is served (200, complete).
  void serves_normally(TestGateway& gw);

 private:
  std::vector<sim::Simulator*> sims_;
};

std::size_t posts(const sim::Simulator& s);

}  // namespace hgw::test::faults
