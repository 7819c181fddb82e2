#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "gateway/state/MemoryStateStore.hpp"
#include "gateway/state/RedisStateStore.hpp"
#include "gateway/state/SqliteStateStore.hpp"
#include "policies/cost/Budget.hpp"

using namespace hgw;
using namespace std::chrono;

namespace {

std::filesystem::path temp_db(const std::string& tag) {
  auto dir = std::filesystem::temp_directory_path() /
             ("hgw-routing-test-" + std::to_string(::getpid()) + "-" + tag);
  std::filesystem::remove_all(dir);
  return dir / "sub" / "state.db";  // the directory does not exist yet
}

// The same behaviour for every implementation.
void exercise(state::StateStore& s) {
  const auto t = sys_days{2026y / November / 30} + 10h + 5min;
  s.add_spend("finance", cost::day_key(t), cost::month_key(t), 1.25);
  s.add_spend("finance", cost::day_key(t), cost::month_key(t), 0.5);
  s.add_spend("finance", cost::day_key(t + 14h), cost::month_key(t + 14h), 2.0);  // next day, next month
  s.add_spend("ops", cost::day_key(t), cost::month_key(t), 9.0);
  CHECK(s.spend("finance", "2026-11-30") == Approx(1.75));
  CHECK(s.spend("finance", "2026-11") == Approx(1.75));
  CHECK(s.spend("finance", "2026-12-01") == Approx(2.0));
  CHECK(s.spend("finance", "2026-12") == Approx(2.0));
  CHECK(s.spend("ops", "2026-11-30") == Approx(9.0));
  CHECK(s.spend("nobody", "2026-11-30") == 0.0);

  s.record_usage({"chat", "local-qwen", "finance", 1000, 200, 100, 0.001, t});
  s.record_usage({"chat", "local-qwen", "ops", 3000, 300, 0, 0.002, t + 10min});   // same hour
  s.record_usage({"chat", "local-qwen", "ops", 500, 500, 0, 0.0005, t + 1h});      // next hour
  s.record_usage({"chat", "openai-gpt4o", "ops", 10, 20, 0, 0.5, t + 2h});
  s.record_usage({"chat", "openai-gpt4o", "ops", 99, 99, 0, 9.9, t - 48h});        // too old
  auto rows = s.usage_since(t - 1h);
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.backend < b.backend; });
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].route == "chat");
  CHECK(rows[0].backend == "local-qwen");
  CHECK(rows[0].input == 4500);
  CHECK(rows[0].output == 1000);
  CHECK(rows[0].cached == 100);
  CHECK(rows[0].requests == 3);
  CHECK(rows[0].cost_usd == Approx(0.0035));
  CHECK(rows[0].peak_tokens_per_hour == 4500);  // 1200 + 3300 in the 10:00 hour
  CHECK(rows[1].backend == "openai-gpt4o");
  CHECK(rows[1].requests == 1);
  CHECK(rows[1].cost_usd == Approx(0.5));
  CHECK(s.usage_since(t - 72h).size() == 2);
  CHECK(s.usage_since(t + 3h).empty());

  // Shadow judgements: summed per (route, backend) over the hours asked for.
  CHECK(s.write_judgements({{"chat", "local-qwen", 1, 1, 0, 8, t},
                            {"chat", "openai-gpt4o", 1, 0, 0, 6, t},
                            {"chat", "local-qwen", 2, 0, 1, 13.5, t + 1h},
                            {"chat", "local-qwen", 5, 5, 0, 50, t - 48h}}));  // too old
  CHECK(s.write_judgements({{"chat", "local-qwen", 1, 0, 1, 7, t + 10min}}));  // adds to the same hour
  auto quality = s.judgements_since(t - 1h);
  std::sort(quality.begin(), quality.end(), [](auto& a, auto& b) { return a.backend < b.backend; });
  REQUIRE(quality.size() == 2);
  CHECK(quality[0].route == "chat");
  CHECK(quality[0].backend == "local-qwen");
  CHECK(quality[0].judged == 4);
  CHECK(quality[0].wins == 1);
  CHECK(quality[0].ties == 2);
  CHECK(quality[0].score_sum == Approx(28.5));
  CHECK(quality[1].backend == "openai-gpt4o");
  CHECK(quality[1].judged == 1);
  CHECK(quality[1].score_sum == Approx(6));
  CHECK(s.judgements_since(t + 3h).empty());
  CHECK(s.judgements_since(t - 72h).size() == 2);
  CHECK(s.last_error().empty());
}

bool redis_reachable() {
  const timeval tv{0, 300000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", 6379, tv);
  const bool ok = c && !c->err;
  if (c) redisFree(c);
  return ok;
}

}  // namespace

TEST_CASE("memory state store", "[state]") {
  state::MemoryStateStore s;
  exercise(s);
}

TEST_CASE("sqlite state store: spend survives a restart", "[state][sqlite]") {
  const auto path = temp_db("restart");
  {
    std::string err;
    auto s = state::SqliteStateStore::open(path.string(), &err);
    REQUIRE(s);
    INFO(err);
    exercise(*s);
  }  // destroyed: the "gateway" stops
  REQUIRE(std::filesystem::exists(path));
  {
    config::StateConfig cfg;
    cfg.store = "sqlite";
    cfg.path = path.string();
    std::string err;
    auto s = state::open_state_store(cfg, &err);
    REQUIRE(s);
    CHECK(std::string(s->kind()) == "sqlite");
    CHECK(s->spend("finance", "2026-11-30") == Approx(1.75));
    CHECK(s->spend("finance", "2026-12") == Approx(2.0));
    CHECK(s->spend("ops", "2026-11") == Approx(9.0));
    s->add_spend("finance", "2026-11-30", "2026-11", 0.25);
    CHECK(s->spend("finance", "2026-11-30") == Approx(2.0));
    CHECK(s->usage_since(sys_days{2026y / November / 30}).size() == 2);
    CHECK(s->judgements_since(sys_days{2026y / November / 30}).size() == 2);
  }
  // WAL mode is on.
  {
    std::string err;
    auto s = state::SqliteStateStore::open(path.string(), &err);
    REQUIRE(s);
  }
  std::filesystem::remove_all(path.parent_path().parent_path());
}

TEST_CASE("sqlite state store: concurrent writers", "[state][sqlite]") {
  const auto path = temp_db("threads");
  std::string err;
  auto s = state::SqliteStateStore::open(path.string(), &err);
  REQUIRE(s);
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < 100; ++k) s->add_spend("t", "2026-11-30", "2026-11", 0.01);
    });
  for (auto& t : ts) t.join();
  CHECK(s->spend("t", "2026-11-30") == Approx(4.0));
  s.reset();
  std::filesystem::remove_all(path.parent_path().parent_path());
}

TEST_CASE("open_state_store errors never throw", "[state]") {
  config::StateConfig cfg;
  std::string err;
  cfg.store = "mongo";
  CHECK_FALSE(state::open_state_store(cfg, &err));
  CHECK(err.find("sqlite, redis or memory") != std::string::npos);
  cfg.store = "sqlite";
  cfg.path = "/proc/definitely/not/writable/state.db";
  err.clear();
  CHECK_FALSE(state::open_state_store(cfg, &err));
  CHECK_FALSE(err.empty());
  cfg.store = "redis";
  cfg.redis_url = "http://localhost";
  err.clear();
  CHECK_FALSE(state::open_state_store(cfg, &err));
  CHECK(err.find("redis://") != std::string::npos);
  cfg.store = "memory";
  CHECK(state::open_state_store(cfg, &err));
}

TEST_CASE("redis state store (needs redis-server on 127.0.0.1:6379)", "[state][redis]") {
  // scripts/test.sh starts one: a test that skipped itself would prove nothing.
  INFO("redis-server not reachable on 127.0.0.1:6379 (scripts/test.sh starts one)");
  REQUIRE(redis_reachable());
  const std::string prefix = "hgw-test-" + std::to_string(::getpid()) + ":";
  std::string err;
  auto s = state::RedisStateStore::open("redis://127.0.0.1:6379", prefix, "", &err);
  REQUIRE(s);
  s->clear_all_for_tests();
  exercise(*s);
  // A second replica sees the same spend.
  auto other = state::RedisStateStore::open("redis://127.0.0.1:6379/0", prefix, "", &err);
  REQUIRE(other);
  CHECK(other->spend("finance", "2026-11-30") == Approx(1.75));
  s->clear_all_for_tests();
}

namespace {

// A private redis-server that wants a password, on a free loopback port and a
// unix socket, stopped when the test ends. Empty port: no redis-server here.
struct PasswordRedis {
  std::filesystem::path dir;
  unsigned short port = 0;
  std::filesystem::path socket;
  PasswordRedis() {
    if (std::system("command -v redis-server >/dev/null 2>&1") != 0) return;
    dir = std::filesystem::temp_directory_path() / ("hgw-redis-auth-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    socket = dir / "redis.sock";
    for (unsigned short candidate = 26379 + ::getpid() % 1000; candidate < 28000; candidate += 97) {
      const std::string cmd = "redis-server --bind 127.0.0.1 --port " + std::to_string(candidate) +
                              " --unixsocket " + socket.string() +
                              " --requirepass s3cret-for-tests --save '' --appendonly no --daemonize yes"
                              " --pidfile " + (dir / "redis.pid").string() + " --dir " + dir.string() +
                              " --logfile " + (dir / "redis.log").string();
      if (std::system(cmd.c_str()) != 0) continue;
      for (int i = 0; i < 50; ++i) {
        if (std::filesystem::exists(socket)) {
          port = candidate;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  ~PasswordRedis() {
    if (dir.empty()) return;
    const std::string kill = "kill $(cat " + (dir / "redis.pid").string() + ") 2>/dev/null";
    [[maybe_unused]] int rc = std::system(kill.c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

}  // namespace

TEST_CASE("redis with a password: AUTH from redis_password_env, over TCP and a unix socket", "[state][redis]") {
  PasswordRedis redis;
  if (redis.port == 0) {
    FAIL("redis-server could not be started (scripts/install-deps.sh installs it)");
  }
  const std::string tcp_url = "redis://127.0.0.1:" + std::to_string(redis.port);
  const std::string unix_url = "unix://" + redis.socket.string();
  std::string err;

  // No password: start-up fails and says why.
  CHECK_FALSE(state::RedisStateStore::open(tcp_url, "hgw-auth:", "", &err));
  CHECK(err.find("NOAUTH") != std::string::npos);
  CHECK(err.find("redis_password_env") != std::string::npos);
  // A wrong one: Redis's refusal, and never the password itself.
  err.clear();
  CHECK_FALSE(state::RedisStateStore::open(tcp_url, "hgw-auth:", "not-the-password", &err));
  CHECK(err.find("AUTH") != std::string::npos);
  CHECK(err.find("not-the-password") == std::string::npos);

  // The right one, through the config path: the variable named in the config.
  config::StateConfig cfg;
  cfg.store = "redis";
  cfg.redis_url = tcp_url;
  cfg.key_prefix = "hgw-auth:";
  cfg.redis_password_env = "HGW_TEST_REDIS_PASSWORD";
  ::unsetenv("HGW_TEST_REDIS_PASSWORD");
  err.clear();
  CHECK_FALSE(state::open_state_store(cfg, &err));
  CHECK(err.find("HGW_TEST_REDIS_PASSWORD") != std::string::npos);
  ::setenv("HGW_TEST_REDIS_PASSWORD", "s3cret-for-tests", 1);
  auto store = state::open_state_store(cfg, &err);
  REQUIRE(store);
  store->add_spend("finance", "2026-11-30", "2026-11", 1.25);
  CHECK(store->spend("finance", "2026-11-30") == Approx(1.25));
  CHECK(store->last_error().empty());

  // The same server over its unix socket sees the same spend.
  auto local = state::RedisStateStore::open(unix_url, "hgw-auth:", "s3cret-for-tests", &err);
  REQUIRE(local);
  CHECK(local->spend("finance", "2026-11-30") == Approx(1.25));
  err.clear();
  CHECK_FALSE(state::RedisStateStore::open("unix://relative/redis.sock", "p:", "", &err));
  CHECK(err.find("absolute path") != std::string::npos);
  ::unsetenv("HGW_TEST_REDIS_PASSWORD");
}
