#include "tests/sim/Simulator.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <thread>

#include "tests/sim/FaultSpec.hpp"
#include "tests/sim/SimSession.hpp"
#include "tests/sim/SimState.hpp"

namespace hgw::sim {
namespace net = boost::asio;

struct Simulator::Runtime {
  // Declared before the io_context so that it outlives the sessions that the
  // io_context's destructor releases.
  std::optional<net::ssl::context> tls;
  net::io_context ioc;
  std::vector<std::thread> threads;
  explicit Runtime(int n) : ioc(n) {}
};

Simulator::Simulator(SimOptions options)
    : options_(std::move(options)), state_(std::make_shared<SimState>(options_)) {}

Simulator::~Simulator() { stop(); }

unsigned short Simulator::start() {
  if (runtime_) return port_;
  const int n = std::max(1, options_.threads);
  auto rt = std::make_unique<Runtime>(n);
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
      throw std::runtime_error("TLS needs both a certificate and a key file");
    try {
      rt->tls.emplace(net::ssl::context::tls_server);
      rt->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3);
      rt->tls->use_certificate_chain_file(options_.tls_cert_file);
      rt->tls->use_private_key_file(options_.tls_key_file, net::ssl::context::pem);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot load TLS certificate/key (" +
                               options_.tls_cert_file + ", " + options_.tls_key_file + "): " + e.what());
    }
  }
  port_ = start_listener(rt->ioc, rt->tls ? &*rt->tls : nullptr, options_.host, options_.port, state_);
  for (int i = 0; i < n; ++i)
    rt->threads.emplace_back([&ioc = rt->ioc] {
      // Handlers catch their own errors; this only keeps a thread alive if one slips.
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (...) {
        }
      }
    });
  runtime_ = std::move(rt);
  return port_;
}

void Simulator::stop() {
  if (!runtime_) return;
  runtime_->ioc.stop();
  for (auto& t : runtime_->threads) t.join();
  // Destroying the io_context destroys the pending handlers and with them the
  // sessions that own the sockets: hanging and stalled connections close here.
  runtime_.reset();
}

unsigned short Simulator::port() const { return port_; }

std::string Simulator::base_url() const {
  const bool tls = !options_.tls_cert_file.empty() && !options_.tls_key_file.empty();
  std::string host = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  return (tls ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

std::vector<ReceivedRequest> Simulator::received() const { return state_->received(); }
std::size_t Simulator::received_count() const { return state_->received_count(); }
void Simulator::clear_received() { state_->clear_received(); }

void Simulator::set_fault(std::string spec, int count) {
  auto parsed = parse_fault(spec);
  if (!parsed.ok()) throw std::invalid_argument(parsed.error);
  state_->set_fault(parsed.spec, count);
}

void Simulator::clear_fault() { state_->clear_fault(); }

void Simulator::set_latency_ms(int ms) { state_->latency_ms = ms; }
void Simulator::set_ttft_ms(int ms) { state_->ttft_ms = ms; }
void Simulator::set_token_delay_ms(int ms) { state_->token_delay_ms = ms; }
void Simulator::set_tokens(int n) { state_->tokens = n; }
void Simulator::set_cached_tokens(int n) { state_->cached_tokens = n; }

std::size_t Simulator::open_connections() const { return state_->open_connections(); }
std::size_t Simulator::cancelled_streams() const { return state_->cancelled_streams(); }

}  // namespace hgw::sim
