// The gateway an eval runs through: the user's configuration with what eval
// needs added, so that every case goes through the same policy code as live
// traffic (compliance, routing, cost). Pure: config in, config out.
//
// Derived from the user's config:
// - a route candidate is reached through one of its own model names, so its
//   targets, strategy, `when:` rules, retries and failover all apply as they are;
// - a backend candidate gets a route `eval.backend.NAME` with that one target;
// - the judge (a backend) gets a route `eval.judge.NAME`;
// - each tenant keeps its region, data class and routes (plus the eval routes)
//   but its keys are replaced by one eval knows, and its budget and rate limit
//   are off (an eval must not spend or be throttled by production quotas);
// - listeners on 127.0.0.1 port 0, plain HTTP, one I/O thread, access log and
//   audit log off, no gateway-wide in-flight cap, memory state store.
#pragma once

#include "gateway/config/Config.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::eval {

struct Candidate {
  std::string name;      // as given on the command line ("route:chat" keeps its prefix)
  bool is_route = false;
  std::string target;    // the configured route or backend name
  std::string model;     // the model name eval sends to reach it
};

struct EvalSetup {
  std::shared_ptr<const config::Config> config;  // what the in-process gateway runs
  std::vector<Candidate> candidates;
  std::string judge;                               // backend name
  std::string judge_model;                         // the model name eval sends to reach it
  std::map<std::string, std::string> tenant_keys;  // tenant -> the API key eval presents
};

struct SetupResult {
  std::shared_ptr<EvalSetup> setup;  // null when there are errors
  std::vector<std::string> errors;
};

// "a, b,c" -> {"a", "b", "c"} (blanks trimmed, empty items dropped).
std::vector<std::string> split_list(std::string_view csv);

// key_seed: random text, so that the tenant keys of one run cannot be guessed.
// A candidate is a route or backend name; "route:NAME" / "backend:NAME" pick
// one when a name is both.
SetupResult make_eval_setup(const config::Config& user, const std::vector<std::string>& candidates,
                            const std::string& judge, const std::string& key_seed);

}  // namespace hgw::eval
