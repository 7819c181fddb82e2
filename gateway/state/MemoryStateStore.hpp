// In-memory StateStore (tests, `state.store: memory`): nothing survives a restart.
#pragma once

#include <map>
#include <mutex>
#include <tuple>

#include "gateway/state/StateStore.hpp"

namespace hgw::state {

class MemoryStateStore final : public StateStore {
 public:
  void add_spend(const std::string& tenant, const std::string& day_key, const std::string& month_key,
                 double usd) override;
  double spend(const std::string& tenant, const std::string& window_key) override;
  void record_usage(const UsageRecord&) override;
  std::vector<UsageRow> usage_since(std::chrono::system_clock::time_point since) override;
  bool write_judgements(const std::vector<JudgementRecord>&) override;
  std::vector<QualityRow> judgements_since(std::chrono::system_clock::time_point since) override;
  bool put_response(const std::string& tenant, const std::string& id, const std::string& json,
                    std::chrono::system_clock::time_point expires_at) override;
  ResponseLookup get_response(const std::string& tenant, const std::string& id) override;
  ResponseLookup::Status delete_response(const std::string& tenant, const std::string& id) override;
  std::string last_error() const override { return {}; }
  const char* kind() const override { return "memory"; }

 private:
  struct Counters {
    std::uint64_t input = 0, output = 0, cached = 0, requests = 0;
    double cost_usd = 0;
  };
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, double> spend_;
  // (route, backend, tenant, hour)
  std::map<std::tuple<std::string, std::string, std::string, std::int64_t>, Counters> usage_;
  // (route, backend, hour)
  std::map<std::tuple<std::string, std::string, std::int64_t>, JudgementRecord> judgements_;
  // (tenant, id) → (json, expiry)
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::chrono::system_clock::time_point>>
      responses_;
};

// Aggregates hourly rows (route, backend, hour, counters) into UsageRows; shared by the stores.
struct HourlyRow {
  std::string route, backend;
  std::int64_t hour = 0;
  std::uint64_t input = 0, output = 0, cached = 0, requests = 0;
  double cost_usd = 0;
};
std::vector<StateStore::UsageRow> aggregate_hourly(const std::vector<HourlyRow>&);
// Sums judgement rows (any hours) per (route, backend); shared by the stores.
std::vector<StateStore::QualityRow> aggregate_quality(const std::vector<StateStore::QualityRow>&);

}  // namespace hgw::state
