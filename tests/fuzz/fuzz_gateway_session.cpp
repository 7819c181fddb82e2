// The HTTP request path of a session, end to end: the input is the bytes a
// client sends on one connection (one or more requests, any garbage), written
// over loopback to a real gateway (gateway/app/Gateway.hpp) running in this
// process in front of in-process simulators. Checks, per input:
//  - the gateway answers or closes within its limits (a short deadline);
//  - what it sends is a sequence of well-formed HTTP/1.x responses, at most
//    one per request it could read plus one error, whose JSON bodies parse;
//  - no response carries a body where HTTP forbids one (HEAD, 1xx, 204, 304);
//  - afterwards it still answers GET /healthz, and every request and
//    connection it held has been given back.
#include "gateway/app/Gateway.hpp"
#include "gateway/config/ConfigLoader.hpp"
#include "policies/auth/ApiKey.hpp"
#include "tests/fuzz/FuzzSupport.hpp"
#include "tests/sim/Simulator.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace http = boost::beast::http;
using hgw::fuzz::check;
using namespace std::chrono_literals;

namespace {

// Limits small enough that a stalled input ends quickly; the deadline covers
// the longest of them (a body arriving slowly, then an upstream's total).
constexpr auto kDeadline = 8s;
constexpr std::size_t kMaxHeader = 8192, kMaxBody = 65536;

std::string config_yaml(unsigned short local, unsigned short remote, unsigned short claude) {
  auto backend = [](const std::string& name, unsigned short port, const std::string& extra) {
    return "  - name: " + name + "\n    url: http://127.0.0.1:" + std::to_string(port) +
           "/v1\n    model: echo\n    health_check: { enabled: false }\n"
           "    timeouts: { connect_ms: 200, first_token_ms: 1000, idle_ms: 1000, total_ms: 2000 }\n" +
           extra;
  };
  return "server:\n"
         "  listen: 127.0.0.1:18080\n"
         "  threads: 1\n"
         "  access_log: { path: off }\n"
         "  limits: { max_body_bytes: " + std::to_string(kMaxBody) + ", max_header_bytes: " +
         std::to_string(kMaxHeader) + ", header_timeout_ms: 300, idle_timeout_ms: 300, max_connections: 64 }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n" +
         backend("local", local, "    locality: local\n    region: cn-east\n    context_window: 4096\n") +
         backend("remote", remote,
                 "    locality: remote\n    region: us\n"
                 "    cost: { input_per_mtok: 2.5, output_per_mtok: 10 }\n") +
         backend("claude", claude,
                 "    protocol: anthropic\n    locality: remote\n    region: us\n"
                 "    cost: { input_per_mtok: 3, output_per_mtok: 15 }\n") +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto, gpt-4o]\n"
         "    targets: [remote, local]\n"
         "    retry: { attempts: 2, backoff_ms: 1, max_backoff_ms: 5 }\n"
         "    when:\n"
         "      - { name: premium, headers: { x-hybridgw-tier: premium }, targets: [claude, local] }\n"
         "  - name: claude\n"
         "    models: [claude]\n"
         "    targets: [claude, local]\n"
         "  - name: embeddings\n"
         "    models: [text-embedding-3-small]\n"
         "    targets: [local]\n"
         "tenants:\n"
         "  - name: fuzz\n"
         // The seeds send Authorization: Bearer fuzz-key.
         "    keys: [\"" + hgw::auth::sha256_digest_line("fuzz-key") + "\"]\n"
         "    budget: { daily_usd: 1000000, on_exhausted: reject }\n"
         "compliance:\n"
         "  detectors: [email, phone, cn_mobile, cn_resident_id, bank_card, credit_card, cn_uscc, cn_passport, us_ssn, "
         "iban, ipv4, ipv6, secrets]\n"
         "  classify: { cn_resident_id: restricted, bank_card: restricted, email: confidential, "
         "cn_mobile: confidential }\n"
         "  rules:\n"
         "    - { name: restricted-stays-local, when: { class: restricted }, allow: { locality: [local] } }\n"
         "    - { name: redact-confidential, when: { class: confidential }, action: redact }\n"
         "    - { name: no-secrets, when: { detected: [secrets] }, action: block }\n"
         "  restore_in_response: true\n"
         "  output_filter: { terms: [project falcon], detectors: [cn_resident_id], action: mask }\n";
}

struct World {
  std::unique_ptr<hgw::sim::Simulator> local, remote, claude;
  std::unique_ptr<hgw::app::Gateway> gateway;
};

World& world();

// ---- a blocking loopback client with deadlines ------------------------------

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd >= 0, "socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "cannot connect to the gateway");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Everything the peer sends until it closes; false if the deadline passed first.
bool read_until_close(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
  char buf[16384];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) return false;
    if (r < 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;  // closed (or reset: also an end)
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// ---- what the client sent: the requests the gateway could read ---------------

// Methods of the requests at the start of the input whose head is complete,
// parsed as the session parses them (same parser, same limits). The last
// one's body may be missing: the error answering it (408, 413) is still an
// answer to that method, without a body for HEAD.
std::vector<http::verb> requests_in(std::string_view in) {
  std::vector<http::verb> out;
  while (!in.empty()) {
    http::request_parser<http::string_body> p;
    p.header_limit(kMaxHeader);
    p.body_limit(kMaxBody);
    p.eager(true);
    boost::system::error_code ec;
    const std::size_t used = p.put(boost::asio::buffer(in.data(), in.size()), ec);
    if (p.is_header_done()) out.push_back(p.get().method());
    if (ec || !p.is_done()) break;
    if (!p.get().keep_alive()) break;  // the session stops reading here
    in.remove_prefix(used);
  }
  return out;
}

// ---- what the gateway sent -----------------------------------------------------

// `client_left`: the client half-closed. The gateway takes that, as nginx
// does, for a client that went away and may cut the answer in progress.
void check_responses(std::string_view bytes, const std::vector<http::verb>& requests, bool client_left) {
  std::size_t finals = 0;
  while (!bytes.empty()) {
    http::response_parser<http::string_body> p;
    p.body_limit(64 * 1024 * 1024);
    p.eager(true);
    // The n-th final response answers the n-th request: HEAD has no body.
    if (finals < requests.size() && requests[finals] == http::verb::head) p.skip(true);
    boost::system::error_code ec;
    std::size_t used = p.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::need_more || (!ec && !p.is_done())) {
      // Only a body that ends with the connection (HTTP/1.0 stream) may end here.
      p.put_eof(ec);
      if (client_left && (ec || !p.is_done())) return;
      check(!ec && p.is_done(), "the gateway's last response is truncated", bytes.substr(0, 300));
      used = bytes.size();
    }
    check(!ec, "the gateway sent a malformed HTTP response", std::string(ec.message()) + ": " +
                                                                 std::string(bytes.substr(0, 300)));
    const auto& res = p.get();
    const unsigned status = res.result_int();
    check(status >= 100 && status <= 599, "status code out of range");
    check(status != 500, "the gateway answered 500 (an internal error)", res.body());
    if (status == 204 || status == 304 || (status >= 100 && status < 200))
      check(res.body().empty() && !res.chunked(), "a body on a 1xx/204/304 response");
    if (status >= 200) ++finals;
    if (!p.skip() && res[http::field::content_type].starts_with("application/json")) {
      // A 404 quotes the request's path percent-encoded: valid UTF-8 always.
      boost::json::parse_options o;
      boost::system::error_code jec;
      boost::json::parse(res.body(), jec, {}, o);
      check(!jec, "a JSON response body that does not parse (or is not UTF-8)", res.body().substr(0, 300));
    }
    bytes.remove_prefix(used);
    if (p.skip() && !bytes.empty())
      check(bytes.starts_with("HTTP/"), "a body on a response to HEAD", bytes.substr(0, 300));
  }
  check(finals <= requests.size() + 1, "more responses than requests");
}

bool healthy(unsigned short port) {
  Fd c{connect_to(port)};
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
  if (::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return false;
  std::string got;
  read_until_close(c.fd, got, std::chrono::steady_clock::now() + 5s);
  return got.starts_with("HTTP/1.1 200 ");
}

}  // namespace

namespace {
World& world() {
  static World* w = [] {
    auto* w = new World;  // never destroyed: its threads run until the process exits
    hgw::sim::SimOptions o;
    o.tokens = 4;
    o.max_recorded = 16;
    o.name = "local";
    w->local = std::make_unique<hgw::sim::Simulator>(o);
    o.name = "remote";
    w->remote = std::make_unique<hgw::sim::Simulator>(o);
    o.name = "claude";
    w->claude = std::make_unique<hgw::sim::Simulator>(o);
    w->local->start();
    w->remote->start();
    w->claude->start();
    const std::string yaml = config_yaml(w->local->port(), w->remote->port(), w->claude->port());
    auto loaded = hgw::config::load_config_string(yaml, "fuzz-gateway.yaml");
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    check(loaded.ok(), "the harness's gateway config does not load");
    hgw::app::GatewayOptions options;
    options.handle_signals = false;
    options.port = 0;
    options.admin_port = 0;
    w->gateway = std::make_unique<hgw::app::Gateway>(loaded.config, options);
    w->gateway->start();
    return w;
  }();
  return *w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  const unsigned short port = w.gateway->port();
  const std::string_view in = hgw::fuzz::as_text(data, size);
  const auto chunks = hgw::fuzz::chunks(in);
  // Half the inputs end with a half-close, as a client that sends its request
  // and shuts down its side: the gateway must notice and clean up.
  const bool half_close = !chunks.empty() && (chunks.size() & 1);

  std::string received;
  {
    Fd c{connect_to(port)};
    for (auto piece : chunks) {
      // The gateway may answer and close before everything is written.
      if (::send(c.fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) break;
    }
    if (half_close) ::shutdown(c.fd, SHUT_WR);
    const bool closed = read_until_close(c.fd, received, std::chrono::steady_clock::now() + kDeadline);
    check(closed, "the gateway neither finished nor closed the connection within the deadline",
          received.substr(0, 300));
  }
  check_responses(received, requests_in(in), half_close);
  check(healthy(port), "the gateway no longer answers GET /healthz");

  // One request, one outcome: every request and connection is given back.
  auto& services = w.gateway->services();
  const auto until = std::chrono::steady_clock::now() + 5s;
  while ((services.inflight_requests.load() != 0 || services.open_connections.load() != 0) &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  check(services.inflight_requests.load() == 0, "a request is still in flight after its connection closed");
  check(services.open_connections.load() == 0, "a connection is still counted after it closed");
  return 0;
}
