// The hybridgw process itself: SIGTERM stops accepting, lets an in-flight
// stream finish, and exits 0; SIGHUP reloads the configuration.
#include "gateway/Asio.hpp"
#include "tests/integration/GatewayFixture.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace hgw;
using namespace hgw::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

unsigned short free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

struct Process {
  pid_t pid = -1;
  ~Process() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
};

Process spawn_gateway(const std::string& config_path, const std::string& log_path) {
  Process p;
  p.pid = ::fork();
  if (p.pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(HGW_BINARY_DIR "/hybridgw", "hybridgw", "serve", "--config", config_path.c_str(), nullptr);
    ::_exit(127);
  }
  return p;
}

std::string config_for(unsigned short port, unsigned short admin, unsigned short sim_port, const std::string& models) {
  return "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
         "\n  access_log: { path: off }\n  limits: { drain_timeout_ms: 10000 }\n"
         "admin:\n  listen: 127.0.0.1:" +
         std::to_string(admin) +
         "\n"
         "state: { store: memory }\n"
         "backends:\n" +
         backend_yaml("local", sim_port, "local") +
         "routes:\n"
         "  - name: chat\n"
         "    models: [" +
         models + "]\n    targets: [local]\n";
}

}  // namespace

TEST_CASE("SIGTERM drains: the in-flight stream finishes, new connections are refused, exit 0",
          "[integration][process]") {
  sim::SimOptions slow;
  slow.token_delay_ms = 50;
  slow.tokens = 20;  // about one second of streaming
  auto upstream = start_sim("local", slow);
  const auto dir = fs::temp_directory_path() / ("hgw-drain-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto port = free_port(), admin = free_port();
  std::ofstream(dir / "gw.yaml") << config_for(port, admin, upstream->port(), "auto");
  auto gw = spawn_gateway((dir / "gw.yaml").string(), (dir / "gw.log").string());
  REQUIRE(eventually([&] { return http_request(admin, "GET", "/healthz", {}, {}, 200ms).status == 200; }, 10s));

  auto stream = std::async(std::launch::async, [&] {
    return http_stream(port, "/v1/chat/completions",
                       R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hi"}]})", {}, 10s);
  });
  REQUIRE(eventually([&] { return upstream->received_count() >= 1; }, 5s));
  std::this_thread::sleep_for(100ms);
  ::kill(gw.pid, SIGTERM);
  std::this_thread::sleep_for(200ms);
  // No longer accepting.
  CHECK(http_request(port, "GET", "/healthz", {}, {}, 500ms).status == 0);

  auto s = stream.get();
  CHECK(s.status == 200);
  CHECK(s.complete);
  auto events = parse_sse(s.body);
  REQUIRE(!events.empty());
  CHECK(events.back().data == "[DONE]");
  CHECK(gw.wait_exit(10s) == 0);
  fs::remove_all(dir);
}

TEST_CASE("SIGHUP reloads the configuration; a bad one keeps the old", "[integration][process]") {
  auto upstream = start_sim("local");
  const auto dir = fs::temp_directory_path() / ("hgw-reload-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto port = free_port(), admin = free_port();
  std::ofstream(dir / "gw.yaml") << config_for(port, admin, upstream->port(), "auto");
  auto gw = spawn_gateway((dir / "gw.yaml").string(), (dir / "gw.log").string());
  REQUIRE(eventually([&] { return http_request(admin, "GET", "/healthz", {}, {}, 200ms).status == 200; }, 10s));
  const std::string body = R"({"model":"renamed","messages":[{"role":"user","content":"hi"}]})";
  CHECK(post_json(port, "/v1/chat/completions", body).status == 404);

  std::ofstream(dir / "gw.yaml") << config_for(port, admin, upstream->port(), "auto, renamed");
  ::kill(gw.pid, SIGHUP);
  CHECK(eventually([&] { return post_json(port, "/v1/chat/completions", body).status == 200; }, 5s));

  std::ofstream(dir / "gw.yaml") << "routes: [ this is not valid\n";
  ::kill(gw.pid, SIGHUP);
  std::this_thread::sleep_for(300ms);
  CHECK(post_json(port, "/v1/chat/completions", body).status == 200);
  auto metrics = http_request(admin, "GET", "/metrics").body;
  CHECK(metrics.find("hybridgw_config_reloads_total{result=\"failure\"} 1") != std::string::npos);
  CHECK(metrics.find("hybridgw_config_reloads_total{result=\"success\"} 1") != std::string::npos);
  ::kill(gw.pid, SIGTERM);
  CHECK(gw.wait_exit(10s) == 0);
  fs::remove_all(dir);
}

TEST_CASE("access log: SIGHUP and SIGTERM flush it, SIGUSR1 reopens it after a rotation", "[integration][process]") {
  auto upstream = start_sim("local");
  const auto dir = fs::temp_directory_path() / ("hgw-alog-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto port = free_port(), admin = free_port();
  const auto log = dir / "access.log", rotated = dir / "access.log.1";
  std::string yaml = config_for(port, admin, upstream->port(), "auto");
  // Written only on a flush: an hour-long interval and a large buffer.
  const std::string off = "access_log: { path: off }";
  yaml.replace(yaml.find(off), off.size(),
               "access_log: { path: " + log.string() + ", flush_ms: 3600000, buffer_bytes: 1048576 }");
  std::ofstream(dir / "gw.yaml") << yaml;
  auto gw = spawn_gateway((dir / "gw.yaml").string(), (dir / "gw.log").string());
  REQUIRE(eventually([&] { return http_request(admin, "GET", "/healthz", {}, {}, 200ms).status == 200; }, 10s));
  auto count_lines = [](const fs::path& p) {
    std::ifstream in(p);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  };
  const std::string body = R"({"model":"auto","messages":[{"role":"user","content":"hi"}]})";
  for (int i = 0; i < 3; ++i) REQUIRE(post_json(port, "/v1/chat/completions", body).status == 200);
  std::this_thread::sleep_for(200ms);
  CHECK(count_lines(log) == 0);  // buffered
  ::kill(gw.pid, SIGHUP);        // reload: flushed (and reopened)
  CHECK(eventually([&] { return count_lines(log) == 3; }, 5s));

  fs::rename(log, rotated);
  ::kill(gw.pid, SIGUSR1);
  CHECK(eventually([&] { return fs::exists(log); }, 5s));
  for (int i = 0; i < 2; ++i) REQUIRE(post_json(port, "/v1/chat/completions", body).status == 200);
  ::kill(gw.pid, SIGTERM);  // the drain ends with a flush
  CHECK(gw.wait_exit(10s) == 0);
  CHECK(count_lines(rotated) == 3);
  CHECK(count_lines(log) == 2);
  fs::remove_all(dir);
}
