// The replica's shadow traffic as a whole (README "Is the local model good
// enough?"): how many mirrored requests each route has in flight (bounded by
// its shadow.max_inflight — per replica, judging included), and a handle on
// each of them so that they can be abandoned at once: when the gateway is
// over server.limits.max_inflight, and for good when it drains. Shared by the
// io threads; a mirrored request itself runs on the io thread of the request
// it copies (ShadowRequest.hpp).
#pragma once

#include "gateway/Asio.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace hgw::upstream {
class Exchange;
}

namespace hgw::shadow {

// One mirrored request's cancellation, touched on its own io thread only.
class ShadowTask {
 public:
  bool cancelled() const { return cancelled_; }
  // Abandons the task: the upstream call in flight (if any) is aborted, and
  // nothing more is sent.
  void cancel();
  // The exchange to abort on cancel(), while it runs (nullptr after it).
  void watch(upstream::Exchange* exchange) { exchange_ = exchange; }

 private:
  bool cancelled_ = false;
  upstream::Exchange* exchange_ = nullptr;
};

class ShadowTraffic {
 public:
  // A mirrored request's place among its route's max_inflight, held until it
  // ends (judgement included); the destructor gives it back.
  class Ticket {
   public:
    ~Ticket();
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ShadowTask& task() { return *task_; }

   private:
    friend class ShadowTraffic;
    Ticket(ShadowTraffic& owner, std::string route, std::uint64_t id, std::shared_ptr<ShadowTask> task)
        : owner_(owner), route_(std::move(route)), id_(id), task_(std::move(task)) {}
    ShadowTraffic& owner_;
    std::string route_;
    std::uint64_t id_;
    std::shared_ptr<ShadowTask> task_;
  };

  // A ticket, or nullptr when the route has max_inflight in flight already or
  // the gateway is draining. `executor`: the io thread the task runs on.
  std::unique_ptr<Ticket> enter(const std::string& route, std::uint32_t max_inflight, Executor executor);

  // Abandons every mirrored request in flight (the gateway is overloaded).
  void cancel_all();
  // Abandons them and admits no more (the gateway drains).
  void close();

  // Mirrored requests in flight, over all routes.
  long active() const { return active_.load(); }
  // In flight for one route (tests).
  std::uint32_t inflight(const std::string& route) const;

 private:
  void leave(const std::string& route, std::uint64_t id);

  struct Entry {
    Executor executor;
    std::weak_ptr<ShadowTask> task;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::uint32_t> inflight_;  // route → in flight
  std::map<std::uint64_t, Entry> tasks_;
  std::uint64_t next_id_ = 1;
  bool closed_ = false;
  std::atomic<long> active_{0};
};

}  // namespace hgw::shadow
