// hybridgw-sim: the fake LLM upstream as a process, for the demo, the
// integration tests and the benchmarks. Prints one line once bound so scripts
// can read the port:  hybridgw-sim NAME listening on HOST:PORT
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <pthread.h>
#include <string>
#include <string_view>

#include "tests/sim/Simulator.hpp"

namespace {

constexpr const char* usage =
    "usage: hybridgw-sim --listen HOST:PORT [options]\n"
    "  --listen HOST:PORT     address to bind (PORT 0: any free port, printed on stdout)\n"
    "  --name N               reported in x-sim-name and /models owned_by (default sim)\n"
    "  --model M              model listed by GET /models (repeatable; default sim-model)\n"
    "  --threads N            io threads (default 1)\n"
    "  --latency-ms N         non-streaming: delay before the response\n"
    "  --ttft-ms N            streaming: delay before the first chunk\n"
    "  --token-delay-ms N     streaming: delay between chunks\n"
    "  --tokens N             completion tokens per answer (default 16)\n"
    "  --cached-tokens N      usage.prompt_tokens_details.cached_tokens\n"
    "  --max-recorded N       requests kept for GET /_sim/requests (default 10000)\n"
    "  --tls-cert F --tls-key F   serve HTTPS with these PEM files\n"
    "Faults: header x-sim-fault: SPEC, model \"fault:SPEC\", or POST /_sim/fault.\n"
    "  SPEC: status=N[,retry_after=S] | context_length | content_policy | reset | hang |\n"
    "        slow_ttft=MS | cut=N | stall=N | malformed=N | error_event=N | preamble |\n"
    "        repeat_prefill | no_done\n"
    "API: POST .../chat/completions, .../completions, .../embeddings, .../responses, .../messages;\n"
    "     GET .../models. Model \"echo\" repeats the last user message; a function tool the last\n"
    "     user message names as a word is called, with arguments shaped by its schema.\n"
    "Control: GET|DELETE /_sim/requests, POST|DELETE /_sim/fault, GET /_sim/stats,\n"
    "         POST /_sim/options {\"ttft_ms\":N,...}\n";

struct UsageError {
  std::string message;
};

int to_int(std::string_view flag, std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0)
    throw UsageError{std::string(flag) + ": expected a non-negative integer, got '" + std::string(s) + "'"};
  return v;
}

hgw::sim::SimOptions parse_args(int argc, char** argv) {
  hgw::sim::SimOptions o;
  bool listen = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (i + 1 >= argc) throw UsageError{std::string(flag) + ": missing value (or unknown flag)"};
    const std::string_view value = argv[++i];
    if (flag == "--listen") {
      const auto colon = value.rfind(':');
      if (colon == std::string_view::npos) throw UsageError{"--listen: expected HOST:PORT"};
      std::string_view host = value.substr(0, colon);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      const int port = to_int(flag, value.substr(colon + 1));
      if (port > 65535) throw UsageError{"--listen: port out of range"};
      o.host = std::string(host);
      o.port = static_cast<unsigned short>(port);
      listen = true;
    } else if (flag == "--name") o.name = std::string(value);
    else if (flag == "--model") o.models.emplace_back(value);
    else if (flag == "--threads") o.threads = std::max(1, to_int(flag, value));
    else if (flag == "--latency-ms") o.latency_ms = to_int(flag, value);
    else if (flag == "--ttft-ms") o.ttft_ms = to_int(flag, value);
    else if (flag == "--token-delay-ms") o.token_delay_ms = to_int(flag, value);
    else if (flag == "--tokens") o.tokens = to_int(flag, value);
    else if (flag == "--cached-tokens") o.cached_tokens = to_int(flag, value);
    else if (flag == "--max-recorded") o.max_recorded = static_cast<std::size_t>(to_int(flag, value));
    else if (flag == "--tls-cert") o.tls_cert_file = std::string(value);
    else if (flag == "--tls-key") o.tls_key_file = std::string(value);
    else throw UsageError{"unknown flag " + std::string(flag)};
  }
  if (!listen) throw UsageError{"--listen HOST:PORT is required"};
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto options = parse_args(argc, argv);
    // Block SIGINT/SIGTERM before the io threads start (they inherit the
    // mask), then wait for them synchronously on the main thread.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    hgw::sim::Simulator sim(options);
    const auto port = sim.start();
    std::cout << "hybridgw-sim " << options.name << " listening on " << options.host << ':' << port
              << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    sim.stop();
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "hybridgw-sim: " << e.message << "\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hybridgw-sim: " << e.what() << "\n";
    return 1;
  }
}
