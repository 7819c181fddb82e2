#include "gateway/cli/Cli.hpp"

#include "gateway/app/Gateway.hpp"
#include "gateway/cli/HttpGet.hpp"
#include "gateway/config/ConfigLoader.hpp"
#include "gateway/config/Environment.hpp"
#include "gateway/eval/EvalCommand.hpp"
#include "gateway/pipeline/Explain.hpp"
#include "policies/auth/ApiKey.hpp"
#include "policies/cost/CostReport.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace hgw::cli {

namespace {

constexpr const char* kVersion = "hybridgw 0.1.0";

constexpr const char* kHelp = R"(hybridgw — hybrid LLM routing gateway

usage:
  hybridgw serve --config FILE          run the gateway (SIGTERM/SIGINT drain and exit, SIGHUP reloads)
  hybridgw check --config FILE          validate a configuration; prints every error as
                                        FILE:LINE:COL: $.path: message (exit 1), or a summary (exit 0)
  hybridgw explain --config FILE [--tenant NAME] [--header 'Name: value']... [--endpoint chat|completions|embeddings]
                   [--json] REQUEST.json
                                        show how a request would be routed, and why; sends nothing
  hybridgw hash-key                     read an API key on stdin, print its "sha256:<hex>" line for tenants[].keys
  hybridgw cost-report --admin-url URL [--admin-key-env VAR] [--json]
                                        the break-even report of a running gateway
  hybridgw eval --config FILE --cases CASES.jsonl --candidates NAME,NAME,... --judge BACKEND
                [--rubric FILE] [--repeat K] [--out DIR] [--concurrency N] [--tenant NAME] [--progress]
                                        is the local model good enough? every case to every candidate
                                        (route or backend) through the live policies, scored by the judge
                                        (1-10 and pairwise, both orders); resumable; writes DIR (default
                                        eval-out): results.jsonl, summary.json, summary.csv, report.html
  hybridgw --version | --help
)";

struct Args {
  std::string command;
  std::string config;
  std::string tenant;
  std::string endpoint;
  std::string admin_url;
  std::string admin_key_env = "HYBRIDGW_ADMIN_KEY";
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> positional;
  bool json = false;
  eval::EvalOptions eval;
  std::string error;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        a.error = "option " + arg + " needs a value";
        return;
      }
      out = argv[++i];
    };
    if (arg == "--config" || arg == "-c") value(a.config);
    else if (arg.rfind("--config=", 0) == 0) a.config = arg.substr(9);
    else if (arg == "--tenant") value(a.tenant);
    else if (arg == "--endpoint") value(a.endpoint);
    else if (arg == "--admin-url") value(a.admin_url);
    else if (arg == "--admin-key-env") value(a.admin_key_env);
    else if (arg == "--json") a.json = true;
    else if (arg == "--cases") value(a.eval.cases_path);
    else if (arg == "--candidates") value(a.eval.candidates);
    else if (arg == "--judge") value(a.eval.judge);
    else if (arg == "--rubric") value(a.eval.rubric_path);
    else if (arg == "--out") value(a.eval.out_dir);
    else if (arg == "--repeat" || arg == "--concurrency") {
      std::string text;
      value(text);
      int n = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (a.error.empty() && (ec != std::errc() || p != text.data() + text.size()))
        a.error = arg + " takes a whole number, got '" + text + "'";
      (arg == "--repeat" ? a.eval.repeat : a.eval.concurrency) = n;
    } else if (arg == "--progress") a.eval.progress = true;
    else if (arg == "--header" || arg == "-H") {
      std::string h;
      value(h);
      const auto colon = h.find(':');
      if (colon == std::string::npos) {
        a.error = "--header takes 'Name: value'";
      } else {
        std::string v = h.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        a.headers.emplace_back(h.substr(0, colon), v);
      }
    } else if (arg == "--version" || arg == "-V") a.command = "version";
    else if (arg == "--help" || arg == "-h") a.command = "help";
    else if (arg.size() > 1 && arg[0] == '-') a.error = "unknown option " + arg + " (see --help)";
    else if (a.command.empty()) a.command = arg;
    else a.positional.push_back(arg);
  }
  return a;
}

config::LoadResult load_or_report(const std::string& path) {
  auto result = config::load_config_file(path);
  for (const auto& e : result.errors) std::cerr << e.to_string() << "\n";
  return result;
}

int check(const Args& a) {
  auto result = load_or_report(a.config);
  for (const auto& w : result.warnings) std::cerr << "warning: " << w << "\n";
  if (!result.ok()) {
    std::cerr << result.errors.size() << " error(s) in " << a.config << "\n";
    return 1;
  }
  std::cout << config::summarize(*result.config) << "\n";
  return 0;
}

int serve(const Args& a) {
  auto result = load_or_report(a.config);
  if (!result.ok()) {
    std::cerr << "hybridgw: not starting: " << result.errors.size() << " configuration error(s)\n";
    return 1;
  }
  for (const auto& w : result.warnings) std::cerr << "hybridgw: warning: " << w << "\n";
  app::GatewayOptions options;
  options.config_path = a.config;
  app::Gateway gateway(result.config, options);
  gateway.start();
  const auto& cfg = *result.config;
  std::cerr << "hybridgw: listening on " << cfg.server.host << ":" << gateway.port() << " ("
            << (cfg.server.tls.enabled() ? "https" : "http") << "), admin on " << cfg.admin.host << ":"
            << gateway.admin_port() << "; " << config::summarize(cfg) << "\n";
  gateway.wait();
  std::cerr << "hybridgw: stopped\n";
  return 0;
}

int explain(const Args& a) {
  if (a.positional.size() != 1) {
    std::cerr << "hybridgw explain: give exactly one REQUEST.json (or - for stdin)\n";
    return 2;
  }
  auto result = load_or_report(a.config);
  if (!result.ok()) return 1;
  std::string body;
  if (a.positional[0] == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    body = ss.str();
  } else {
    std::ifstream in(a.positional[0], std::ios::binary);
    if (!in) {
      std::cerr << "hybridgw explain: cannot read " << a.positional[0] << "\n";
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    body = ss.str();
  }
  obs::Metrics metrics;
  pipeline::Snapshot snap(result.config, metrics, 1);
  auto r = pipeline::explain(snap, body, a.tenant, a.headers, a.endpoint);
  if (a.json)
    std::cout << boost::json::serialize(r.json) << "\n";
  else
    std::cout << r.table;
  return r.status == 200 ? 0 : 1;
}

int eval_command(Args& a) {
  a.eval.config_path = a.config;
  a.eval.tenant = a.tenant;
  // The bar redraws a line in place: only for a person watching a terminal.
  a.eval.progress = a.eval.progress || ::isatty(STDERR_FILENO) == 1;
  return eval::run_eval(a.eval, std::cout, std::cerr);
}

int hash_key() {
  std::string key;
  std::getline(std::cin, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  if (key.empty()) {
    std::cerr << "hybridgw hash-key: no key on stdin\n";
    return 1;
  }
  std::cout << auth::sha256_digest_line(key) << "\n";
  return 0;
}

int cost_report(const Args& a) {
  if (a.admin_url.empty()) {
    std::cerr << "hybridgw cost-report: --admin-url URL is required (e.g. http://127.0.0.1:9090)\n";
    return 2;
  }
  auto r = http_get(a.admin_url, "/admin/cost-report", config::env_value(a.admin_key_env));
  if (!r.error.empty()) {
    std::cerr << "hybridgw cost-report: " << r.error << "\n";
    return 1;
  }
  if (r.status != 200) {
    std::cerr << "hybridgw cost-report: HTTP " << r.status << ": " << r.body << "\n";
    return 1;
  }
  if (a.json) {
    std::cout << r.body << "\n";
    return 0;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    std::cerr << "hybridgw cost-report: the admin endpoint did not return a JSON object\n";
    return 1;
  }
  std::cout << cost::cost_report_table(v.as_object());
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    if (!a.error.empty()) {
      std::cerr << "hybridgw: " << a.error << "\n";
      return 2;
    }
    if (a.command == "version") {
      std::cout << kVersion << "\n";
      return 0;
    }
    if (a.command.empty() || a.command == "help") {
      std::cout << kHelp;
      return a.command.empty() ? 2 : 0;
    }
    if (a.command == "hash-key") return hash_key();
    if (a.command == "cost-report") return cost_report(a);
    if (a.command == "serve" || a.command == "check" || a.command == "explain" || a.command == "eval") {
      if (a.config.empty()) {
        std::cerr << "hybridgw " << a.command << ": --config FILE is required\n";
        return 2;
      }
      if (a.command == "serve") return serve(a);
      if (a.command == "check") return check(a);
      if (a.command == "eval") return eval_command(a);
      return explain(a);
    }
    std::cerr << "hybridgw: unknown command '" << a.command << "' (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hybridgw: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hgw::cli
