// Batched accounting: every request counts at once in memory, the store gets
// the totals in batches, and what was flushed survives a restart.
#include <catch2/catch.hpp>

#include "gateway/pipeline/Accounting.hpp"
#include "gateway/state/SqliteStateStore.hpp"
#include "policies/cost/Budget.hpp"

#include <filesystem>
#include <random>
#include <thread>
#include <unistd.h>

using namespace hgw;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<state::StateStore> sqlite_at(const fs::path& p) {
  config::StateConfig c;
  c.store = "sqlite";
  c.path = p.string();
  std::string err;
  auto s = state::open_state_store(c, &err);
  REQUIRE(s);
  return s;
}

}  // namespace

TEST_CASE("accounting: spend after a burst equals the sum of costs, in memory and in the store", "[accounting]") {
  const auto db = fs::temp_directory_path() / ("hgw-acct-" + std::to_string(::getpid()) + ".db");
  fs::remove(db);
  const auto now = std::chrono::system_clock::now();
  const std::string day = cost::day_key(now), month = cost::month_key(now);
  double expected = 0;
  std::uint64_t requests = 0;
  {
    pipeline::Accounting acct(sqlite_at(db), 50ms);
    acct.preload({"acme"}, {day, month});
    std::mt19937 rng(1);
    std::vector<std::thread> threads;
    std::mutex m;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        std::mt19937 local(static_cast<unsigned>(t));
        for (int i = 0; i < 500; ++i) {
          state::UsageRecord u{"chat", i % 2 ? "local" : "remote", "acme", 10, 20, 0, (local() % 1000) * 1e-6, now};
          acct.record(u, day, month);
          std::lock_guard lock(m);
          expected += u.cost_usd;
          ++requests;
        }
      });
    for (auto& th : threads) th.join();
    // In memory at once, for the next budget check.
    CHECK(acct.spent("acme", day) == Approx(expected).epsilon(1e-9));
    CHECK(acct.spent("acme", month) == Approx(expected).epsilon(1e-9));
    acct.flush();
    CHECK(acct.store()->spend("acme", day) == Approx(expected).epsilon(1e-9));
    const auto rows = acct.store()->usage_since(now - 1h);
    std::uint64_t counted = 0;
    for (const auto& r : rows) counted += r.requests;
    CHECK(counted == requests);  // aggregated rows, not one per request
    CHECK(rows.size() == 2);
  }
  // A restart: the new process starts from what was flushed.
  pipeline::Accounting again(sqlite_at(db), 50ms);
  CHECK(again.spent("acme", day) == 0);  // not loaded yet: budgets preload first
  again.preload({"acme"}, {day, month});
  CHECK(again.spent("acme", day) == Approx(expected).epsilon(1e-9));
  fs::remove(db);
  fs::remove(db.string() + "-wal");
  fs::remove(db.string() + "-shm");
}

TEST_CASE("accounting: the writer flushes within its interval without being asked", "[accounting]") {
  const auto db = fs::temp_directory_path() / ("hgw-acct-interval-" + std::to_string(::getpid()) + ".db");
  fs::remove(db);
  const auto now = std::chrono::system_clock::now();
  pipeline::Accounting acct(sqlite_at(db), 200ms);
  acct.record({"chat", "local", "acme", 1, 1, 0, 0.25, now}, cost::day_key(now), cost::month_key(now));
  CHECK(acct.store()->spend("acme", cost::day_key(now)) == 0);  // batched, not written per request
  std::this_thread::sleep_for(600ms);
  CHECK(acct.store()->spend("acme", cost::day_key(now)) == Approx(0.25));  // at most one interval later
  fs::remove(db);
  fs::remove(db.string() + "-wal");
  fs::remove(db.string() + "-shm");
}
