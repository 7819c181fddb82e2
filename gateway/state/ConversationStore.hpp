// Responses API conversations (POST /v1/responses with store), kept in the
// state store off the io threads: a thread of its own runs the store's
// put/get/delete in order and hands each answer to a callback (which runs on
// that thread: post back to your executor). Every replica on one Redis sees
// every conversation; SQLite and memory keep them in the process.
#pragma once

#include "gateway/state/StateStore.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hgw::state {

class ConversationStore {
 public:
  explicit ConversationStore(StateStore* store);  // null: every call fails ("no state store")
  ~ConversationStore();
  ConversationStore(const ConversationStore&) = delete;
  ConversationStore& operator=(const ConversationStore&) = delete;

  void get(std::string tenant, std::string id, std::function<void(ResponseLookup)> done);
  // A failure is logged, once per kind of error; done (if given) hears whether it was kept.
  void put(std::string tenant, std::string id, std::string json, std::chrono::system_clock::time_point expires_at,
           std::function<void(bool)> done = {});
  void remove(std::string tenant, std::string id, std::function<void(ResponseLookup::Status)> done);

 private:
  void post(std::function<void()> job);
  void run();

  StateStore* store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::string last_put_error_;
  std::thread thread_;
};

}  // namespace hgw::state
