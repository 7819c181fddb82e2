#include "gateway/eval/EvalCommand.hpp"

#include "gateway/app/Gateway.hpp"
#include "gateway/config/ConfigLoader.hpp"
#include "gateway/eval/CaseReader.hpp"
#include "gateway/eval/EvalSetup.hpp"
#include "gateway/eval/HtmlReport.hpp"
#include "gateway/eval/JudgeClient.hpp"
#include "gateway/eval/Runner.hpp"
#include "gateway/eval/Summary.hpp"
#include "gateway/eval/SummaryCsv.hpp"
#include "gateway/eval/SummaryJson.hpp"
#include "gateway/eval/TerminalTable.hpp"
#include "policies/auth/ApiKey.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace hgw::eval {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxListedErrors = 50;

void list_errors(std::ostream& err, const std::vector<std::string>& errors) {
  for (std::size_t i = 0; i < errors.size() && i < kMaxListedErrors; ++i) err << errors[i] << "\n";
  if (errors.size() > kMaxListedErrors) err << "... and " << errors.size() - kMaxListedErrors << " more\n";
}

std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = rd() & 0xff;
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Written next to the final name, then renamed: a report is whole or absent.
std::string write_file(const fs::path& path, const std::string& content) {
  const auto tmp = fs::path(path.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return "cannot write " + tmp.string();
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return ec ? "cannot write " + path.string() + ": " + ec.message() : std::string();
}

// Longer than anything the gateway may take: it answers within its deadlines.
std::chrono::milliseconds request_timeout(const config::Config& c) {
  std::uint64_t longest = 0;
  for (const auto& b : c.backends) longest = std::max<std::uint64_t>(longest, b.timeouts.total_ms);
  for (const auto& r : c.routes) longest = std::max<std::uint64_t>(longest, r.deadline_ms);
  return std::chrono::milliseconds(longest + 60'000);
}

}  // namespace

int run_eval(const EvalOptions& o, std::ostream& out, std::ostream& err) {
  std::vector<std::string> errors;
  if (o.cases_path.empty()) errors.push_back("--cases FILE is required (one JSON chat request per line)");
  if (o.candidates.empty()) errors.push_back("--candidates NAME,NAME,... is required (routes or backends)");
  if (o.judge.empty()) errors.push_back("--judge BACKEND is required");
  if (o.repeat < 1 || o.repeat > 1000) errors.push_back("--repeat must be from 1 to 1000");
  if (o.concurrency < 1 || o.concurrency > 256) errors.push_back("--concurrency must be from 1 to 256");
  if (o.out_dir.empty()) errors.push_back("--out DIR must not be empty");
  if (!errors.empty()) {
    list_errors(err, errors);
    return 2;
  }

  auto loaded = config::load_config_file(o.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) err << e.to_string() << "\n";
    err << "hybridgw eval: not starting: " << loaded.errors.size() << " configuration error(s)\n";
    return 1;
  }
  auto read = read_cases_file(o.cases_path);
  errors = read.errors;
  auto made = make_eval_setup(*loaded.config, split_list(o.candidates), o.judge, random_hex(16));
  errors.insert(errors.end(), made.errors.begin(), made.errors.end());
  auto tenant_errors = assign_tenants(read.cases, *loaded.config, o.tenant, o.cases_path);
  errors.insert(errors.end(), tenant_errors.begin(), tenant_errors.end());

  std::string rubric(default_rubric());
  if (!o.rubric_path.empty()) {
    std::ifstream in(o.rubric_path, std::ios::binary);
    std::ostringstream ss;
    if (in.is_open()) ss << in.rdbuf();
    rubric = ss.str();
    if (!in.is_open()) errors.push_back("--rubric: cannot read " + o.rubric_path);
    else if (rubric.find_first_not_of(" \t\r\n") == std::string::npos)
      errors.push_back("--rubric: " + o.rubric_path + " is empty");
  }
  if (!errors.empty()) {
    list_errors(err, errors);
    err << "hybridgw eval: not starting: " << errors.size() << " error(s)\n";
    return 1;
  }
  const auto& setup = *made.setup;

  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) {
    err << "hybridgw eval: cannot create " << o.out_dir << ": " << ec.message() << "\n";
    return 1;
  }
  const fs::path dir(o.out_dir);
  ResultsStore store;
  const RunHeader header{setup.judge, auth::sha256_digest_line(rubric).substr(7)};
  if (auto error = store.open((dir / "results.jsonl").string(), header); !error.empty()) {
    err << "hybridgw eval: " << error << "\n";
    return 1;
  }
  for (const auto& w : store.warnings()) err << "hybridgw eval: warning: " << w << "\n";

  std::unique_ptr<app::Gateway> gateway;
  try {
    app::GatewayOptions gw;
    gw.handle_signals = false;
    gw.port = 0;
    gw.admin_port = 0;
    gateway = std::make_unique<app::Gateway>(setup.config, gw);
    gateway->start();
  } catch (const std::exception& e) {
    err << "hybridgw eval: cannot start the in-process gateway: " << e.what() << "\n";
    return 1;
  }

  JudgeClient judge(setup, rubric);
  Progress progress(err, o.progress);
  RunnerOptions ro;
  ro.repeat = o.repeat;
  ro.concurrency = o.concurrency;
  ro.timeout = request_timeout(*setup.config);
  Runner runner(setup, read.cases, judge, store, progress, ro, gateway->port());
  const bool complete = runner.run();
  gateway->stop();
  gateway->wait();
  if (!complete) {
    if (!runner.error().empty()) err << "hybridgw eval: " << runner.error() << "\n";
    err << "hybridgw eval: " << (runner.interrupted() ? "interrupted" : "stopped") << " after " << runner.finished()
        << " of " << runner.total() << " units; rerun the same command to run the missing ones ("
        << (dir / "results.jsonl").string() << " keeps what finished)\n";
    return runner.interrupted() ? 130 : 1;
  }
  err << "hybridgw eval: ran " << runner.finished() << " unit(s)";
  if (runner.total() == 0) err << " (every unit was already in " << (dir / "results.jsonl").string() << ")";
  err << "\n";

  std::vector<std::string> names;
  for (const auto& c : setup.candidates) names.push_back(c.name);
  const auto summary = summarize(read.cases, names, o.repeat, setup.judge, store.answers(), store.pairs());
  for (const auto& [file, content] :
       {std::pair<const char*, std::string>{"summary.json", boost::json::serialize(summary_json(summary)) + "\n"},
        {"summary.csv", summary_csv(summary)},
        {"report.html", html_report(summary)}})
    if (auto error = write_file(dir / file, content); !error.empty()) {
      err << "hybridgw eval: " << error << "\n";
      return 1;
    }
  out << terminal_table(summary);
  out << "\nwrote " << (dir / "summary.json").string() << ", " << (dir / "summary.csv").string() << ", "
      << (dir / "report.html").string() << "\n";
  return 0;
}

}  // namespace hgw::eval
