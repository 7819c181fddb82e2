// State shared by the Simulator facade and every connection: live-tunable
// timing, the request log, the global fault and the counters. Thread-safe;
// no Asio here so the pure parts (ResponseBuilder, ControlEndpoints) can use it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/FaultSpec.hpp"
#include "tests/sim/Simulator.hpp"

namespace hgw::sim {

// A consistent copy of the knobs for one request.
struct Timing {
  int latency_ms = 0, ttft_ms = 0, token_delay_ms = 0, tokens = 16, cached_tokens = 0;
};

class SimState {
 public:
  explicit SimState(const SimOptions& options);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& models() const { return models_; }

  Timing timing() const;
  std::atomic<int> latency_ms, ttft_ms, token_delay_ms, tokens, cached_tokens;

  void record(ReceivedRequest request);
  std::vector<ReceivedRequest> received() const;
  std::size_t received_count() const { return received_total_.load(); }
  void clear_received();

  void set_fault(const FaultSpec& spec, int count);
  void clear_fault();
  // Consumes one use of the global fault, if any is armed.
  std::optional<FaultSpec> take_fault();

  void connection_opened() { ++open_connections_; }
  void connection_closed() { --open_connections_; }
  void stream_cancelled() { ++cancelled_streams_; }
  std::size_t open_connections() const { return open_connections_.load(); }
  std::size_t cancelled_streams() const { return cancelled_streams_.load(); }

  std::uint64_t next_id() { return ++id_seq_; }

 private:
  const std::string name_;
  const std::vector<std::string> models_;
  const std::size_t max_recorded_;

  mutable std::mutex mutex_;  // guards log_ and fault_*
  std::deque<ReceivedRequest> log_;
  std::optional<FaultSpec> fault_;
  int fault_count_ = 0;  // -1: persistent

  std::atomic<std::size_t> received_total_{0};
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<std::size_t> cancelled_streams_{0};
  std::atomic<std::uint64_t> id_seq_{0};
};

}  // namespace hgw::sim
