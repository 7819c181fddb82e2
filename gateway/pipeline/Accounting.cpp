#include "gateway/pipeline/Accounting.hpp"

namespace hgw::pipeline {

Accounting::Accounting(std::unique_ptr<state::StateStore> store, std::chrono::milliseconds flush_interval,
                       bool writes_spend)
    : store_(std::move(store)), flush_interval_(flush_interval), writes_spend_(writes_spend) {
  writer_ = std::thread([this] { writer_loop(); });
}

Accounting::~Accounting() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void Accounting::preload(const std::vector<std::string>& tenants, const std::vector<std::string>& window_keys) {
  for (const auto& tenant : tenants) {
    for (const auto& window : window_keys) {
      {
        std::lock_guard lock(mutex_);
        if (spend_.contains(view_key(tenant, window))) continue;
      }
      const double stored = store_ ? store_->spend(tenant, window) : 0.0;
      std::lock_guard lock(mutex_);
      // What this process spent meanwhile (not yet in the store) counts too.
      auto [it, inserted] = spend_.emplace(std::make_tuple(tenant, window), stored);
      if (!inserted) continue;
      for (const auto& [key, usd] : spend_pending_)
        if (std::get<0>(key) == tenant && (std::get<1>(key) == window || std::get<2>(key) == window)) it->second += usd;
    }
  }
}

double Accounting::spent(const std::string& tenant, const std::string& window_key) {
  return spent(tenant, window_key, window_key).first;
}

std::pair<double, double> Accounting::spent(const std::string& tenant, const std::string& day_key,
                                            const std::string& month_key) {
  std::lock_guard lock(mutex_);
  auto in = [&](const std::string& window) {
    auto it = spend_.find(view_key(tenant, window));
    return it == spend_.end() ? 0.0 : it->second;
  };
  const double today = in(day_key);
  return {today, month_key == day_key ? today : in(month_key)};
}

namespace {
// Adds u to the pending usage of its (route, backend, tenant, hour).
void add_usage(TupleKeyMap<std::tuple<std::string, std::string, std::string, std::int64_t>, state::UsageRecord>& pending,
               const state::UsageRecord& u) {
  auto [sum, made] = try_entry(pending, view_key(u.route, u.backend, u.tenant, state::hour_bucket(u.at)), u);
  if (made) return;
  sum.input += u.input;
  sum.output += u.output;
  sum.cached += u.cached;
  sum.requests += u.requests;
  sum.cost_usd += u.cost_usd;
}
}  // namespace

void Accounting::record(const state::UsageRecord& usage, const std::string& day_key, const std::string& month_key) {
  std::lock_guard lock(mutex_);
  ++recorded_;
  add_usage(usage_pending_, usage);
  if (usage.tenant.empty() || usage.cost_usd <= 0) return;
  if (writes_spend_) entry(spend_pending_, view_key(usage.tenant, day_key, month_key)) += usage.cost_usd;
  // A window never seen starts at what this process spends in it: nothing
  // else can have spent in a window the preload did not find (a new day).
  entry(spend_, view_key(usage.tenant, day_key)) += usage.cost_usd;
  entry(spend_, view_key(usage.tenant, month_key)) += usage.cost_usd;
}

namespace {
void add_judgement(std::map<std::tuple<std::string, std::string, std::int64_t>, state::JudgementRecord>& pending,
                   const state::JudgementRecord& j) {
  auto [it, first] = pending.try_emplace({j.route, j.backend, state::hour_bucket(j.at)}, j);
  if (first) return;
  it->second.judged += j.judged;
  it->second.wins += j.wins;
  it->second.ties += j.ties;
  it->second.score_sum += j.score_sum;
}
}  // namespace

void Accounting::record_judgement(const state::JudgementRecord& judgement) {
  std::lock_guard lock(mutex_);
  ++recorded_;
  add_judgement(judgements_pending_, judgement);
}

void Accounting::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = recorded_;
  flush_requested_ = true;
  wake_.notify_one();
  drained_.wait(lock, [&] { return written_ >= target; });
}

// Takes what is pending and writes it with the lock released; the store is
// never written by two threads of ours at once.
void Accounting::write_pending(std::unique_lock<std::mutex>& lock) {
  std::vector<state::UsageRecord> usage;
  std::vector<state::SpendDelta> spend;
  usage.reserve(usage_pending_.size());
  for (auto& [key, u] : usage_pending_) usage.push_back(std::move(u));
  for (auto& [key, usd] : spend_pending_)
    spend.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), usd});
  std::vector<state::JudgementRecord> judgements;
  for (auto& [key, j] : judgements_pending_) judgements.push_back(std::move(j));
  usage_pending_.clear();
  spend_pending_.clear();
  judgements_pending_.clear();
  const std::uint64_t upto = recorded_;
  lock.unlock();
  const bool written = !store_ || (usage.empty() && spend.empty()) || store_->write_batch(usage, spend);
  const bool judged = !store_ || judgements.empty() || store_->write_judgements(judgements);
  lock.lock();
  if (!judged)
    for (const auto& j : judgements) add_judgement(judgements_pending_, j);
  if (!written) {
    // The store is unreachable: the totals wait for the next flush, merged
    // with what came meanwhile — nothing is lost while the process lives.
    for (const auto& u : usage) add_usage(usage_pending_, u);
    for (const auto& d : spend) entry(spend_pending_, view_key(d.tenant, d.day_key, d.month_key)) += d.usd;
  }
  written_ = upto;  // attempted: flush() waits for the attempt, not for the store to come back
  drained_.notify_all();
}

void Accounting::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // The interval, or sooner when flush() asks (or at the end).
    wake_.wait_for(lock, flush_interval_, [&] { return stop_ || flush_requested_; });
    flush_requested_ = false;
    if (written_ < recorded_) write_pending(lock);
    if (stop_) break;
  }
}

}  // namespace hgw::pipeline
