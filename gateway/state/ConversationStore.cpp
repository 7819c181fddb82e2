#include "gateway/state/ConversationStore.hpp"

#include <iostream>

namespace hgw::state {

ConversationStore::ConversationStore(StateStore* store) : store_(store), thread_([this] { run(); }) {}

ConversationStore::~ConversationStore() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ConversationStore::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ConversationStore::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) break;  // stopping, and everything posted ran
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void ConversationStore::get(std::string tenant, std::string id, std::function<void(ResponseLookup)> done) {
  post([this, tenant = std::move(tenant), id = std::move(id), done = std::move(done)] {
    if (!store_) return done({ResponseLookup::Status::failed, {}, "no state store"});
    done(store_->get_response(tenant, id));
  });
}

void ConversationStore::put(std::string tenant, std::string id, std::string json,
                            std::chrono::system_clock::time_point expires_at, std::function<void(bool)> done) {
  post([this, tenant = std::move(tenant), id = std::move(id), json = std::move(json), expires_at,
        done = std::move(done)] {
    const bool kept = store_ && store_->put_response(tenant, id, json, expires_at);
    if (done) done(kept);
    if (kept) {
      last_put_error_.clear();
      return;
    }
    const std::string error = store_ ? store_->last_error() : "no state store";
    if (error != last_put_error_)
      std::cerr << "hybridgw: cannot store response " << id << " (previous_response_id will not find it): " << error
                << "\n";
    last_put_error_ = error;
  });
}

void ConversationStore::remove(std::string tenant, std::string id, std::function<void(ResponseLookup::Status)> done) {
  post([this, tenant = std::move(tenant), id = std::move(id), done = std::move(done)] {
    done(store_ ? store_->delete_response(tenant, id) : ResponseLookup::Status::failed);
  });
}

}  // namespace hgw::state
