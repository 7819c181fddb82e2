// hybridgw-sim: an OpenAI/Anthropic-compatible fake LLM upstream with fault
// injection. The gateway's tests run it in-process through this class; the demo
// and the benchmarks run the hybridgw-sim executable (tests/sim_main.cpp).
//
// Small public header on purpose: no Asio/Beast here, so test files that only
// drive the simulator stay cheap to compile.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hgw::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;            // 0 = ephemeral (read it back from start())
  std::string name = "sim";           // x-sim-name response header, owned_by in /models
  std::vector<std::string> models;    // listed by GET /models (empty: {"sim-model"})
  int threads = 1;                    // io threads
  int latency_ms = 0;                 // non-streaming: delay before the response
  int ttft_ms = 0;                    // streaming: delay before headers + first chunk
  int token_delay_ms = 0;             // streaming: delay between content chunks
  int tokens = 16;                    // completion tokens (capped by max_tokens)
  int cached_tokens = 0;              // usage.prompt_tokens_details.cached_tokens
  std::string tls_cert_file, tls_key_file;  // both set: serve HTTPS (PEM files)
  // Benchmarks send millions of requests: only the last max_recorded are kept
  // (received_count() still counts all of them).
  std::size_t max_recorded = 10000;
};

struct ReceivedRequest {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;
  // Value of the first header with that name (case-insensitive), "" if absent.
  std::string header(std::string_view lowercase_name) const;
};

class SimState;  // shared with the connections (tests/sim/SimState.hpp)

class Simulator {
 public:
  explicit Simulator(SimOptions options = {});
  ~Simulator();  // stop()
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds, starts the io threads in the background and returns the bound port.
  // Throws std::system_error (bind) or std::runtime_error (TLS files) on failure.
  unsigned short start();
  // Closes the listener and every connection (hanging ones too), joins threads.
  void stop();
  unsigned short port() const;
  // "http://127.0.0.1:PORT" (or https), handy for upstream configs in tests.
  std::string base_url() const;

  // What the upstream received (control endpoints /_sim/* excluded), in order.
  std::vector<ReceivedRequest> received() const;
  std::size_t received_count() const;
  void clear_received();

  // Fault for the next `count` requests (-1: until cleared). A per-request
  // x-sim-fault header or a "fault:<spec>" model wins over it.
  // Throws std::invalid_argument on a bad spec.
  void set_fault(std::string spec, int count = -1);
  void clear_fault();

  // Timing and size knobs can change while running (they apply to requests
  // that arrive afterwards).
  void set_latency_ms(int ms);
  void set_ttft_ms(int ms);
  void set_token_delay_ms(int ms);
  void set_tokens(int n);
  void set_cached_tokens(int n);

  // Client connections currently open (tests check the gateway cancels).
  std::size_t open_connections() const;
  // Streaming responses whose client went away before the end.
  std::size_t cancelled_streams() const;

 private:
  struct Runtime;  // io_context, threads, TLS context (Simulator.cpp)
  SimOptions options_;
  std::shared_ptr<SimState> state_;
  std::unique_ptr<Runtime> runtime_;
  unsigned short port_ = 0;
};

}  // namespace hgw::sim
