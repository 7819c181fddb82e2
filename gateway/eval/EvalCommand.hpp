// `hybridgw eval`: reads the config and the cases, starts the gateway
// in-process on the derived configuration (EvalSetup), runs the missing units
// (Runner), then writes summary.json, summary.csv and report.html to the out
// directory and prints the table. Refuses to start on any bad input, with
// every error listed.
#pragma once

#include <ostream>
#include <string>

namespace hgw::eval {

struct EvalOptions {
  std::string config_path;
  std::string cases_path;
  std::string candidates;    // comma-separated route or backend names
  std::string judge;         // backend name
  std::string rubric_path;   // "" = the default rubric
  std::string out_dir = "eval-out";
  std::string tenant;        // for cases without "tenant"
  int repeat = 1;
  int concurrency = 4;
  bool progress = false;     // draw the progress bar on `err`
};

// Returns the exit code: 0 done, 1 bad input or failure, 130 interrupted.
int run_eval(const EvalOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hgw::eval
