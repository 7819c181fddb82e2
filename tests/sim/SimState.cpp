#include "tests/sim/SimState.hpp"

#include <algorithm>
#include <cctype>

namespace hgw::sim {

std::string ReceivedRequest::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name.size() == lowercase_name.size() &&
        std::equal(name.begin(), name.end(), lowercase_name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return value;
  }
  return {};
}

SimState::SimState(const SimOptions& o)
    : latency_ms(o.latency_ms),
      ttft_ms(o.ttft_ms),
      token_delay_ms(o.token_delay_ms),
      tokens(o.tokens),
      cached_tokens(o.cached_tokens),
      name_(o.name),
      models_(o.models.empty() ? std::vector<std::string>{"sim-model"} : o.models),
      max_recorded_(o.max_recorded) {}

Timing SimState::timing() const {
  return Timing{latency_ms.load(), ttft_ms.load(), token_delay_ms.load(), tokens.load(),
                cached_tokens.load()};
}

void SimState::record(ReceivedRequest request) {
  ++received_total_;
  if (max_recorded_ == 0) return;
  std::lock_guard lock(mutex_);
  if (log_.size() >= max_recorded_) log_.pop_front();
  log_.push_back(std::move(request));
}

std::vector<ReceivedRequest> SimState::received() const {
  std::lock_guard lock(mutex_);
  return {log_.begin(), log_.end()};
}

void SimState::clear_received() {
  std::lock_guard lock(mutex_);
  log_.clear();
  received_total_ = 0;
}

void SimState::set_fault(const FaultSpec& spec, int count) {
  std::lock_guard lock(mutex_);
  if (count == 0) {
    fault_.reset();
    return;
  }
  fault_ = spec;
  fault_count_ = count < 0 ? -1 : count;
}

void SimState::clear_fault() {
  std::lock_guard lock(mutex_);
  fault_.reset();
}

std::optional<FaultSpec> SimState::take_fault() {
  std::lock_guard lock(mutex_);
  if (!fault_) return std::nullopt;
  auto spec = *fault_;
  if (fault_count_ > 0 && --fault_count_ == 0) fault_.reset();
  return spec;
}

}  // namespace hgw::sim
