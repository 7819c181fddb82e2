#include "gateway/state/MemoryStateStore.hpp"

#include <algorithm>

namespace hgw::state {

std::int64_t hour_bucket(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  return duration_cast<seconds>(floor<hours>(t).time_since_epoch()).count();
}

std::vector<StateStore::UsageRow> aggregate_hourly(const std::vector<HourlyRow>& rows) {
  // (route, backend) -> totals, and (route, backend, hour) -> tokens for the peak.
  std::map<std::pair<std::string, std::string>, StateStore::UsageRow> totals;
  std::map<std::tuple<std::string, std::string, std::int64_t>, double> per_hour;
  for (const auto& r : rows) {
    auto& t = totals[{r.route, r.backend}];
    t.route = r.route;
    t.backend = r.backend;
    t.input += r.input;
    t.output += r.output;
    t.cached += r.cached;
    t.requests += r.requests;
    t.cost_usd += r.cost_usd;
    per_hour[{r.route, r.backend, r.hour}] += static_cast<double>(r.input + r.output);
  }
  for (const auto& [k, tokens] : per_hour) {
    auto& t = totals[{std::get<0>(k), std::get<1>(k)}];
    t.peak_tokens_per_hour = std::max(t.peak_tokens_per_hour, tokens);
  }
  std::vector<StateStore::UsageRow> out;
  out.reserve(totals.size());
  for (auto& [k, v] : totals) out.push_back(std::move(v));
  return out;
}

std::vector<StateStore::QualityRow> aggregate_quality(const std::vector<StateStore::QualityRow>& rows) {
  std::map<std::pair<std::string, std::string>, StateStore::QualityRow> totals;
  for (const auto& r : rows) {
    auto& t = totals[{r.route, r.backend}];
    t.route = r.route;
    t.backend = r.backend;
    t.judged += r.judged;
    t.wins += r.wins;
    t.ties += r.ties;
    t.score_sum += r.score_sum;
  }
  std::vector<StateStore::QualityRow> out;
  out.reserve(totals.size());
  for (auto& [k, v] : totals) out.push_back(std::move(v));
  return out;
}

void MemoryStateStore::add_spend(const std::string& tenant, const std::string& day_key,
                                 const std::string& month_key, double usd) {
  std::lock_guard lock(mu_);
  spend_[{tenant, day_key}] += usd;
  spend_[{tenant, month_key}] += usd;
}

double MemoryStateStore::spend(const std::string& tenant, const std::string& window_key) {
  std::lock_guard lock(mu_);
  auto it = spend_.find({tenant, window_key});
  return it == spend_.end() ? 0.0 : it->second;
}

void MemoryStateStore::record_usage(const UsageRecord& r) {
  std::lock_guard lock(mu_);
  auto& c = usage_[{r.route, r.backend, r.tenant, hour_bucket(r.at)}];
  c.input += r.input;
  c.output += r.output;
  c.cached += r.cached;
  c.requests += r.requests;
  c.cost_usd += r.cost_usd;
}

std::vector<StateStore::UsageRow> MemoryStateStore::usage_since(std::chrono::system_clock::time_point since) {
  const auto from = hour_bucket(since);
  std::vector<HourlyRow> rows;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, c] : usage_) {
      if (std::get<3>(k) < from) continue;
      rows.push_back({std::get<0>(k), std::get<1>(k), std::get<3>(k), c.input, c.output, c.cached, c.requests,
                      c.cost_usd});
    }
  }
  return aggregate_hourly(rows);
}

bool MemoryStateStore::write_judgements(const std::vector<JudgementRecord>& records) {
  std::lock_guard lock(mu_);
  for (const auto& r : records) {
    auto [it, first] = judgements_.try_emplace({r.route, r.backend, hour_bucket(r.at)}, r);
    if (first) continue;
    it->second.judged += r.judged;
    it->second.wins += r.wins;
    it->second.ties += r.ties;
    it->second.score_sum += r.score_sum;
  }
  return true;
}

std::vector<StateStore::QualityRow> MemoryStateStore::judgements_since(std::chrono::system_clock::time_point since) {
  const auto from = hour_bucket(since);
  std::vector<QualityRow> rows;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, j] : judgements_)
      if (std::get<2>(k) >= from) rows.push_back({j.route, j.backend, j.judged, j.wins, j.ties, j.score_sum});
  }
  return aggregate_quality(rows);
}

bool MemoryStateStore::put_response(const std::string& tenant, const std::string& id, const std::string& json,
                                    std::chrono::system_clock::time_point expires_at) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::system_clock::now();
  std::erase_if(responses_, [&](const auto& kv) { return kv.second.second < now; });
  responses_[{tenant, id}] = {json, expires_at};
  return true;
}

ResponseLookup MemoryStateStore::get_response(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = responses_.find({tenant, id});
  if (it == responses_.end() || it->second.second < std::chrono::system_clock::now()) return {};
  return {ResponseLookup::Status::found, it->second.first, {}};
}

ResponseLookup::Status MemoryStateStore::delete_response(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mu_);
  return responses_.erase({tenant, id}) > 0 ? ResponseLookup::Status::found : ResponseLookup::Status::missing;
}

}  // namespace hgw::state
