#include "gateway/shadow/ShadowTraffic.hpp"

#include "gateway/upstream/Exchange.hpp"

#include <boost/asio/post.hpp>

#include <vector>

namespace hgw::shadow {

void ShadowTask::cancel() {
  cancelled_ = true;
  if (exchange_) exchange_->abort();
}

ShadowTraffic::Ticket::~Ticket() { owner_.leave(route_, id_); }

std::unique_ptr<ShadowTraffic::Ticket> ShadowTraffic::enter(const std::string& route, std::uint32_t max_inflight,
                                                            Executor executor) {
  std::lock_guard lock(mutex_);
  if (closed_) return nullptr;
  auto& n = inflight_[route];
  if (n >= max_inflight) return nullptr;
  ++n;
  const auto id = next_id_++;
  auto task = std::make_shared<ShadowTask>();
  tasks_.emplace(id, Entry{executor, task});
  active_.fetch_add(1);
  return std::unique_ptr<Ticket>(new Ticket(*this, route, id, std::move(task)));
}

void ShadowTraffic::leave(const std::string& route, std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = inflight_.find(route); it != inflight_.end() && it->second > 0) --it->second;
  tasks_.erase(id);
  active_.fetch_sub(1);
}

void ShadowTraffic::cancel_all() {
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, e] : tasks_) entries.push_back(e);
  }
  // Each task is cancelled on its own io thread, where its exchange lives.
  for (auto& e : entries)
    net::post(e.executor, [task = std::move(e.task)] {
      if (auto t = task.lock()) t->cancel();
    });
}

void ShadowTraffic::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cancel_all();
}

std::uint32_t ShadowTraffic::inflight(const std::string& route) const {
  std::lock_guard lock(mutex_);
  auto it = inflight_.find(route);
  return it == inflight_.end() ? 0 : it->second;
}

}  // namespace hgw::shadow
