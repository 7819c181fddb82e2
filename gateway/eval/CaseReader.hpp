// Reading `hybridgw eval --cases FILE`: one JSON object per line, each a chat
// request (`messages` plus optional parameters such as max_tokens) with
// optional `id`, `reference`, `tags` and `tenant`. Every bad line is reported
// as "FILE:LINE: what is wrong" and the run refuses to start.
#pragma once

#include "gateway/config/Config.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace hgw::eval {

struct EvalCase {
  std::string id;                 // given, or "line-N"
  int line = 0;                   // 1-based line in the cases file
  boost::json::array messages;
  boost::json::object params;     // every other request key (max_tokens, temperature, tools, ...)
  std::string reference;          // reference answer; "" = none
  std::vector<std::string> tags;
  std::string tenant;             // "" = the --tenant default (or none)
  // sha256 of what is sent and judged: a result recorded for another
  // fingerprint is stale (the case changed) and is run again.
  std::string fingerprint;
};

struct CaseReadResult {
  std::vector<EvalCase> cases;
  std::vector<std::string> errors;  // "FILE:LINE: message", in line order
  bool ok() const { return errors.empty() && !cases.empty(); }
};

// Pure: parses the text of a cases file (blank lines are skipped). `model`,
// `stream` and `stream_options` are dropped: eval picks the model and reads
// whole answers.
CaseReadResult parse_cases(std::string_view text, const std::string& file_name);
CaseReadResult read_cases_file(const std::string& path);

// Gives every case its tenant (its own, or default_tenant) and checks it
// against the configuration: a named tenant must exist, and a configuration
// with tenants needs one for every case (the gateway rejects anonymous
// requests there). Returns the errors, each naming the case's line.
std::vector<std::string> assign_tenants(std::vector<EvalCase>& cases, const config::Config& cfg,
                                        const std::string& default_tenant, const std::string& file_name);

}  // namespace hgw::eval
