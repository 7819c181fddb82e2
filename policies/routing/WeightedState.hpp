// Smooth weighted round-robin (nginx style) state, one sequence per key
// (route + rule). Thread-safe. Each pick: every eligible candidate's current
// weight grows by its weight; the largest wins and loses the total. Over any
// window of sum(weights) picks with a stable candidate set, each candidate is
// picked exactly `weight` times, interleaved (3:1 → a a b a, …).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hgw::routing {

class WeightedState {
 public:
  // candidates: (backend name, weight). Returns the index of the pick, -1 if empty.
  // Candidates that are not eligible now are simply not passed (their current
  // weight is kept and they rejoin later).
  int pick(const std::string& key, const std::vector<std::pair<std::string, std::uint32_t>>& candidates);
  void reset();

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::int64_t>> current_;
};

}  // namespace hgw::routing
