// TLS on both sides: an HTTPS upstream verified against a test CA (accepted
// with tls.ca_file, refused without it), and the gateway's own TLS listener.
#include "tests/integration/GatewayFixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace hgw::test;
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
