// TLS on both sides: an HTTPS upstream verified against a test CA (accepted
// with tls.ca_file, refused without it), and the gateway's own TLS listener.
#include "tests/integration/GatewayFixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace hgw::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(("(" + cmd + ") 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

// A throw-away CA and a server certificate for localhost / 127.0.0.1, made
// with the openssl command line.
struct TestPki {
  fs::path dir;
  TestPki() {
    dir = fs::temp_directory_path() / ("hgw-pki-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string d = dir.string();
    std::ofstream(dir / "ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                                      "extendedKeyUsage=serverAuth\n";
    run("cd " + d +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 -subj '/CN=hybridgw test CA'"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj '/CN=localhost'"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2"
        " -extfile ext.cnf");
  }
  ~TestPki() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const char* name) const { return (dir / name).string(); }
};

std::string https_config(unsigned short sim_port, const std::string& tls_block) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n"
         "  - name: secure\n"
         "    url: https://localhost:" +
         std::to_string(sim_port) +
         "/v1\n"
         "    model: m\n"
         "    locality: remote\n"
         "    health_check: { enabled: false }\n" +
         tls_block +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [secure]\n";
}

const std::string kChat = R"({"model":"auto","messages":[{"role":"user","content":"hi"}]})";

}  // namespace

TEST_CASE("HTTPS upstream: verified with the configured CA, refused without it", "[integration][tls]") {
  TestPki pki;
  REQUIRE(fs::exists(pki.path("server.crt")));
  hgw::sim::SimOptions opts;
  opts.tls_cert_file = pki.path("server.crt");
  opts.tls_key_file = pki.path("server.key");
  auto upstream = start_sim("secure", opts);

  SECTION("accepted with tls.ca_file") {
    TestGateway gw(https_config(upstream->port(), "    tls: { ca_file: " + pki.path("ca.crt") + " }\n"));
    auto r = post_json(gw.port(), "/v1/chat/completions", kChat);
    CHECK(r.status == 200);
    CHECK(received_posts(*upstream).size() == 1);
  }
  SECTION("refused against the system CA bundle: 502, nothing sent") {
    TestGateway gw(https_config(upstream->port(), ""));
    auto r = post_json(gw.port(), "/v1/chat/completions", kChat);
    CHECK(r.status == 502);
    CHECK(r.body.find("tls_error") != std::string::npos);
    CHECK(received_posts(*upstream).empty());
    CHECK(gw.metric("hybridgw_attempts_total", {"backend=\"secure\"", "outcome=\"tls_error\""}) >= 1);
  }
  SECTION("verification turned off explicitly") {
    TestGateway gw(https_config(upstream->port(), "    tls: { verify: false }\n"));
    CHECK(post_json(gw.port(), "/v1/chat/completions", kChat).status == 200);
  }
}

TEST_CASE("the gateway's own listener serves HTTPS", "[integration][tls]") {
  TestPki pki;
  auto upstream = start_sim("plain");
  const std::string yaml =
      "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
      "  tls: { cert_file: " +
      pki.path("server.crt") + ", key_file: " + pki.path("server.key") +
      " }\n"
      "admin:\n  listen: 127.0.0.1:19090\n"
      "state: { store: memory }\n"
      "backends:\n" +
      backend_yaml("plain", upstream->port(), "local") +
      "routes:\n"
      "  - name: chat\n"
      "    models: [auto]\n"
      "    targets: [plain]\n";
  TestGateway gw(yaml);
  const std::string out =
      run("curl -s --max-time 5 --cacert " + pki.path("ca.crt") + " https://localhost:" + std::to_string(gw.port()) +
          "/v1/chat/completions -d '" + kChat + "'");
  CHECK(out.find("\"chat.completion\"") != std::string::npos);
  // Plain HTTP on the TLS port does not get an answer.
  CHECK(post_json(gw.port(), "/v1/chat/completions", kChat, {}, std::chrono::seconds(2)).status == 0);
}

TEST_CASE("a TLS client that sends close_notify cancels its upstream stream", "[integration][tls][stream]") {
  // The client says goodbye at the TLS layer (close_notify) and keeps the TCP
  // connection open: only a read through TLS sees it. Peeking at the raw
  // socket took the alert for the bytes of a next request.
  TestPki pki;
  hgw::sim::SimOptions slow;
  slow.token_delay_ms = 100;
  slow.tokens = 100;
  auto upstream = start_sim("slow", slow);
  const std::string yaml =
      "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
      "  tls: { cert_file: " +
      pki.path("server.crt") + ", key_file: " + pki.path("server.key") +
      " }\n"
      "admin:\n  listen: 127.0.0.1:19090\n"
      "state: { store: memory }\n"
      "backends:\n" +
      backend_yaml("slow", upstream->port(), "local") +
      "routes:\n"
      "  - name: chat\n"
      "    models: [auto]\n"
      "    targets: [slow]\n";
  TestGateway gw(yaml);

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(gw.port());
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  REQUIRE(SSL_connect(ssl) == 1);
  const std::string body = R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"Hello"}]})";
  const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  REQUIRE(SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0);
  char buf[4096];
  std::string got;
  while (got.find("data:") == std::string::npos) {
    const int n = SSL_read(ssl, buf, sizeof buf);
    REQUIRE(n > 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  SSL_shutdown(ssl);  // close_notify; the TCP connection stays open
  CHECK(eventually([&] { return upstream->cancelled_streams() == 1; }, 3s));
  CHECK(eventually([&] { return gw.metric("hybridgw_attempts_total", {"outcome=\"cancelled\""}) == 1; }, 3s));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  // The gateway serves TLS normally afterwards.
  const std::string out =
      run("curl -s --max-time 5 --cacert " + pki.path("ca.crt") + " https://localhost:" + std::to_string(gw.port()) +
          "/v1/chat/completions -d '" + kChat + "'");
  CHECK(out.find("\"chat.completion\"") != std::string::npos);
}
