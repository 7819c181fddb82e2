#include "gateway/pipeline/Accounting.hpp"

namespace hgw::pipeline {

// Beyond this many unwritten records the oldest are dropped rather than
// letting memory grow without bound while the store is unavailable.
constexpr std::size_t kMaxPending = 100'000;
// Records are written in batches: at least every kWriteInterval, sooner when
// kWakeBatch are waiting.
constexpr auto kWriteInterval = std::chrono::milliseconds(200);
constexpr std::size_t kWakeBatch = 256;

Accounting::Accounting(std::unique_ptr<state::StateStore> store) : store_(std::move(store)) {
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

double Accounting::spent(const std::string& tenant, const std::string& window_key) {
  std::unique_lock lock(mutex_);
  auto key = std::make_pair(tenant, window_key);
  if (auto it = spend_.find(key); it != spend_.end()) return it->second;
  lock.unlock();
  // First look at this window: the store knows what earlier runs (or other
  // replicas, with Redis) spent.
  const double stored = store_ ? store_->spend(tenant, window_key) : 0.0;
  lock.lock();
  auto [it, inserted] = spend_.emplace(key, stored);
  return it->second;
}

void Accounting::record(const state::UsageRecord& usage, const std::string& day_key,
                        const std::string& month_key) {
  {
    std::lock_guard lock(mutex_);
    if (!usage.tenant.empty() && usage.cost_usd > 0) {
      for (const auto* window : {&day_key, &month_key}) {
        auto it = spend_.find({usage.tenant, *window});
        if (it != spend_.end()) it->second += usage.cost_usd;
        // A window not cached yet is read from the store when first needed,
        // which by then includes this record.
      }
    }
    if (queue_.size() >= kMaxPending) queue_.pop_front();
    queue_.push_back({usage, day_key, month_key});
    // The writer wakes on its own every kWriteInterval; waking it per request
    // would cost a futex call on the hot path.
    if (queue_.size() < kWakeBatch) return;
  }
  wake_.notify_one();
}

void Accounting::flush() {
  std::unique_lock lock(mutex_);
  flush_requested_ = true;
  wake_.notify_one();
  drained_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

void Accounting::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, kWriteInterval,
                   [&] { return stop_ || flush_requested_ || queue_.size() >= kWakeBatch; });
    flush_requested_ = false;
    if (!queue_.empty()) {
      std::deque<Pending> batch;
      batch.swap(queue_);
      writing_ = true;
      lock.unlock();
      for (const auto& p : batch) {
        if (!store_) continue;
        store_->record_usage(p.usage);
        if (!p.usage.tenant.empty() && p.usage.cost_usd > 0)
          store_->add_spend(p.usage.tenant, p.day_key, p.month_key, p.usage.cost_usd);
      }
      lock.lock();
      writing_ = false;
    }
    if (queue_.empty()) drained_.notify_all();
    if (stop_ && queue_.empty()) break;
  }
}

}  // namespace hgw::pipeline
