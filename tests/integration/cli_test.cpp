// The hybridgw command line, run as users run it: the built binary, its exit
// code, stdout and stderr. --version/--help, check on every shipped config and
// on a broken one, hash-key, explain (table and JSON), cost-report against a
// gateway running in this process.
#include "tests/integration/GatewayFixture.hpp"

#include "policies/auth/ApiKey.hpp"

#include <boost/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {


struct Run {
  int code = -1;
  std::string out, err;
};

// A scratch directory for one test, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("hgw-cli-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& content) const {
    const auto p = path / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the built binary with args (already shell-quoted where needed) and stdin.
Run hybridgw(const std::string& args, const std::string& stdin_text = {}) {
  TempDir tmp;
  const auto in = tmp.write("stdin", stdin_text);
  const auto out = tmp.path / "stdout";
  const auto err = tmp.path / "stderr";
  const std::string cmd = quote(HGW_BINARY_DIR "/hybridgw") + " " + args + " <" + quote(in.string()) + " >" +
                          quote(out.string()) + " 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  Run r;
  r.code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}


// A valid (checksummed) PRC resident identity number.
const std::string kResidentId = "11010519491231002X";

}  // namespace

TEST_CASE("cli: --version and --help", "[cli]") {
  auto v = hybridgw("--version");
  CHECK(v.code == 0);
  CHECK(v.out.rfind("hybridgw ", 0) == 0);

  auto h = hybridgw("--help");
  CHECK(h.code == 0);
  for (const char* word : {"serve", "check", "explain", "hash-key", "cost-report", "eval", "--candidates", "--config", "--json"})
    CHECK(h.out.find(word) != std::string::npos);

  auto unknown = hybridgw("frobnicate");
  CHECK(unknown.code != 0);
  CHECK(unknown.err.find("frobnicate") != std::string::npos);
}

TEST_CASE("cli: check accepts every shipped configuration", "[cli]") {
  std::vector<fs::path> files;
  for (const auto* dir : {"/config", "/config/examples"})
    for (const auto& e : fs::directory_iterator(fs::path(HGW_SOURCE_DIR) / (dir + 1)))
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  REQUIRE(files.size() >= 3);
  for (const auto& f : files) {
    auto r = hybridgw("check --config " + quote(f.string()));
    INFO(f.string() << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.rfind("ok:", 0) == 0);
    CHECK(r.out.find("backend") != std::string::npos);
    CHECK(r.out.find("route") != std::string::npos);
  }
}

TEST_CASE("cli: check reports every error of a bad config as FILE:LINE:COL: $.path: message", "[cli]") {
  TempDir tmp;
  const auto bad = tmp.write("bad.yaml",
                             "server:\n"                                  // 1
                             "  listen: not-an-address\n"                 // 2
                             "admin:\n"                                   // 3
                             "  listen: 127.0.0.1:9090\n"                 // 4
                             "backends:\n"                                // 5
                             "  - name: dup\n"                            // 6
                             "    url: http://127.0.0.1:8000/v1\n"        // 7
                             "    model: m\n"                             // 8
                             "    locality: local\n"                      // 9
                             "  - name: dup\n"                            // 10
                             "    url: http://127.0.0.1:8001/v1\n"        // 11
                             "    model: m\n"                             // 12
                             "    locality: remote\n"                     // 13
                             "routes:\n"                                  // 14
                             "  - name: chat\n"                           // 15
                             "    models: [auto]\n"                       // 16
                             "    strategey: priority\n"                  // 17
                             "    targets: [dup, ghost]\n");              // 18
  auto r = hybridgw("check --config " + quote(bad.string()));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find("ok:") == std::string::npos);

  const std::string file = bad.string();
  auto error_line = [&](const std::string& path_fragment) -> std::string {
    for (const auto& l : lines_of(r.err))
      if (l.rfind(file + ":", 0) == 0 && l.find(path_fragment) != std::string::npos) return l;
    return {};
  };
  // Every error line has the FILE:LINE:COL: $.path: message shape.
  int shaped = 0;
  for (const auto& l : lines_of(r.err)) {
    if (l.rfind(file + ":", 0) != 0) continue;
    std::string rest = l.substr(file.size() + 1);
    const auto c1 = rest.find(':');
    const auto c2 = rest.find(':', c1 + 1);
    REQUIRE(c1 != std::string::npos);
    REQUIRE(c2 != std::string::npos);
    CHECK(std::atoi(rest.substr(0, c1).c_str()) > 0);
    CHECK(std::atoi(rest.substr(c1 + 1, c2 - c1 - 1).c_str()) > 0);
    CHECK(rest.substr(c2, 4) == ": $.");
    ++shaped;
  }
  CHECK(shaped >= 4);

  const auto listen = error_line("$.server.listen");
  CHECK(listen.rfind(file + ":2:", 0) == 0);

  const auto unknown = error_line("strategey");
  CHECK(unknown.rfind(file + ":17:", 0) == 0);
  CHECK(unknown.find("$.routes[0].strategey") != std::string::npos);
  CHECK(unknown.find("did you mean") != std::string::npos);
  CHECK(unknown.find("strategy") != std::string::npos);

  const auto dangling = error_line("ghost");
  CHECK(dangling.rfind(file + ":18:", 0) == 0);
  CHECK(dangling.find("$.routes[0].targets[1]") != std::string::npos);

  const auto duplicate = error_line("$.backends[1].name");
  CHECK(duplicate.rfind(file + ":10:", 0) == 0);
  CHECK(duplicate.find("dup") != std::string::npos);
}

TEST_CASE("cli: hash-key prints the digest line of the key on stdin", "[cli]") {
  auto r = hybridgw("hash-key", "my tenant key\n");
  CHECK(r.code == 0);
  CHECK(r.out == auth::sha256_digest_line("my tenant key") + "\n");
  REQUIRE(r.out.size() == 7 + 64 + 1);
  CHECK(r.out.rfind("sha256:", 0) == 0);
  for (char c : r.out.substr(7, 64)) CHECK(std::isxdigit(static_cast<unsigned char>(c)));
  CHECK(auth::is_digest_line(r.out.substr(0, 71)));
  // The key never echoes back.
  CHECK(r.out.find("my tenant key") == std::string::npos);

  auto empty = hybridgw("hash-key", "");
  CHECK(empty.code != 0);
  CHECK(empty.out.empty());
}

// Regression test: explain once threw on every request.
TEST_CASE("cli: explain on the demo config, as a table and as JSON", "[cli]") {
  TempDir tmp;
  const auto restricted = tmp.write(
      "restricted.json",
      R"({"model":"auto","messages":[{"role":"user","content":"my resident id is )" + kResidentId + R"(, help"}]})");
  const auto plain = tmp.write("plain.json", R"({"model":"auto","messages":[{"role":"user","content":"hello"}]})");
  const std::string demo = quote(std::string(HGW_SOURCE_DIR) + "/config/demo.yaml");

  auto table = hybridgw("explain --config " + demo + " " + quote(restricted.string()));
  INFO("stdout: " << table.out << "\nstderr: " << table.err);
  CHECK(table.code == 0);
  CHECK(table.out.find("restricted") != std::string::npos);
  bool remote_rejected = false, local_selected = false;
  for (const auto& l : lines_of(table.out)) {
    if (l.find("remote-sim") != std::string::npos && l.find("rejected") != std::string::npos &&
        l.find("compliance") != std::string::npos)
      remote_rejected = true;
    if (l.find("local-sim") != std::string::npos && l.find("selected") != std::string::npos) local_selected = true;
  }
  CHECK(remote_rejected);
  CHECK(local_selected);
  CHECK(table.out.find(kResidentId) == std::string::npos);

  auto js = hybridgw("explain --config " + demo + " --json " + quote(restricted.string()));
  CHECK(js.code == 0);
  boost::system::error_code ec;
  auto v = json::parse(js.out, ec);
  REQUIRE(!ec);
  const auto& o = v.as_object();
  CHECK(o.at("compliance").at("data_class").as_string() == "restricted");
  const auto& cands = o.at("decision").at("candidates").as_array();
  CHECK(cands.size() == 2);
  const auto* rc = find_by(cands, "backend", "remote-sim");
  const auto* lc = find_by(cands, "backend", "local-sim");
  REQUIRE(rc);
  REQUIRE(lc);
  CHECK(rc->at("verdict").as_string() == "rejected");
  CHECK(rc->at("policy").as_string() == "compliance");
  CHECK(rc->at("reason").as_string().find("restricted-stays-local") != std::string::npos);
  CHECK(lc->at("verdict").as_string() == "selected");
  CHECK(js.out.find(kResidentId) == std::string::npos);

  // A plain prompt: local first, remote as its fallback; headers steer the same way as live.
  auto p = hybridgw("explain --config " + demo + " --json " + quote(plain.string()));
  CHECK(p.code == 0);
  auto pv = json::parse(p.out, ec);
  REQUIRE(!ec);
  CHECK(pv.at("short_form").as_string().find("order=local-sim,remote-sim") != std::string::npos);

  // From stdin, and a clear error for an unknown tenant.
  auto from_stdin = hybridgw("explain --config " + demo + " -", slurp(plain));
  CHECK(from_stdin.code == 0);
  CHECK(from_stdin.out.find("local-sim") != std::string::npos);
  auto bad_tenant = hybridgw("explain --config " + demo + " --tenant nobody " + quote(plain.string()));
  CHECK(bad_tenant.code != 0);
  CHECK((bad_tenant.out + bad_tenant.err).find("nobody") != std::string::npos);
}

TEST_CASE("cli: cost-report against a running gateway", "[cli]") {
  ::setenv("HGW_CLI_TEST_ADMIN_KEY", "cli-admin-key", 1);
  auto local = start_sim("local");
  auto remote = start_sim("remote");
  TestGateway gw(
      "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
      "admin:\n  listen: 127.0.0.1:19090\n  api_key_env: HGW_CLI_TEST_ADMIN_KEY\n"
      "state: { store: memory }\n"
      "backends:\n" +
      backend_yaml("local", local->port(), "local", "    cost: { gpu_hour_usd: 2.0, gpus: 1, tokens_per_second: 2500 }\n") +
      backend_yaml("remote", remote->port(), "remote", "    cost: { input_per_mtok: 2.5, output_per_mtok: 10 }\n") +
      "routes:\n  - { name: chat, models: [auto], targets: [local, remote] }\n");
  for (int i = 0; i < 3; ++i)
    REQUIRE(post_json(gw.port(), "/v1/chat/completions",
                      R"({"model":"auto","messages":[{"role":"user","content":"hello there, gateway"}]})")
                .status == 200);
  REQUIRE(eventually([&] { return gw.gateway().services().inflight_requests.load() == 0; }));
  const std::string url = "http://127.0.0.1:" + std::to_string(gw.admin_port());

  auto table = hybridgw("cost-report --admin-url " + url + " --admin-key-env HGW_CLI_TEST_ADMIN_KEY");
  INFO("stdout: " << table.out << "\nstderr: " << table.err);
  CHECK(table.code == 0);
  CHECK(table.out.find("route chat") != std::string::npos);
  CHECK(table.out.find("break-even local vs remote") != std::string::npos);
  CHECK(table.out.find("remote $") != std::string::npos);  // same tokens at the remote price

  auto js = hybridgw("cost-report --json --admin-url " + url + " --admin-key-env HGW_CLI_TEST_ADMIN_KEY");
  CHECK(js.code == 0);
  boost::system::error_code ec;
  auto v = json::parse(js.out, ec);
  REQUIRE(!ec);
  const auto* route = find_by(v.at("windows").at("day").at("routes").as_array(), "route", "chat");
  REQUIRE(route);
  CHECK(route->at("requests").to_number<double>() == 3);
  const auto* lb = find_by(route->at("backends").as_array(), "backend", "local");
  REQUIRE(lb);
  CHECK(lb->at("tokens").to_number<double>() == 3 * (5 + 16));

  // Without the admin key: a clear failure, not a report.
  auto denied = hybridgw("cost-report --admin-url " + url + " --admin-key-env HGW_CLI_TEST_NO_SUCH_VAR");
  CHECK(denied.code != 0);
  CHECK(denied.err.find("401") != std::string::npos);

  auto no_url = hybridgw("cost-report");
  CHECK(no_url.code != 0);
  CHECK(no_url.err.find("--admin-url") != std::string::npos);
}
