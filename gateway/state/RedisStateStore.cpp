#include "gateway/state/RedisStateStore.hpp"

#include <hiredis/hiredis.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gateway/state/MemoryStateStore.hpp"

namespace hgw::state {

namespace {
constexpr long kDayTtl = 3 * 86400;
constexpr long kMonthTtl = 62 * 86400;
constexpr long kUsageTtl = 40 * 86400;
constexpr char kSep = '\x1f';

struct ReplyGuard {
  redisReply* r = nullptr;
  ~ReplyGuard() {
    if (r) freeReplyObject(r);
  }
};

double reply_number(const redisReply* r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_STRING) return std::strtod(std::string(r->str, r->len).c_str(), nullptr);
  if (r->type == REDIS_REPLY_INTEGER) return static_cast<double>(r->integer);
  return 0;
}

// redis://host[:port][/db] or unix:///path/to/redis.sock
bool parse_url(const std::string& url, std::string& host, int& port, std::string& socket_path, int& db,
               std::string* error) {
  std::string_view u = url;
  constexpr std::string_view tcp_scheme = "redis://", unix_scheme = "unix://";
  const bool is_unix = u.substr(0, unix_scheme.size()) == unix_scheme;
  if (!is_unix && u.substr(0, tcp_scheme.size()) != tcp_scheme) {
    if (error)
      *error = "state.redis_url must look like redis://host:port[/db] or unix:///path/to/redis.sock, got '" +
               url + "'";
    return false;
  }
  u.remove_prefix(is_unix ? unix_scheme.size() : tcp_scheme.size());
  if (u.find('@') != std::string_view::npos) {
    if (error) *error = "state.redis_url must not contain credentials";
    return false;
  }
  if (is_unix) {
    socket_path = std::string(u);
    if (socket_path.empty() || socket_path[0] != '/') {
      if (error) *error = "state.redis_url: a unix socket needs an absolute path (unix:///path), got '" + url + "'";
      return false;
    }
    return true;
  }
  std::string_view hostport = u.substr(0, u.find('/'));
  if (u.find('/') != std::string_view::npos) {
    const std::string dbs(u.substr(u.find('/') + 1));
    if (!dbs.empty()) db = std::atoi(dbs.c_str());
  }
  const auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos) {
    host = std::string(hostport.substr(0, colon));
    port = std::atoi(std::string(hostport.substr(colon + 1)).c_str());
  } else {
    host = std::string(hostport);
  }
  if (host.empty()) host = "127.0.0.1";
  if (port <= 0 || port > 65535) {
    if (error) *error = "state.redis_url has a bad port: '" + url + "'";
    return false;
  }
  return true;
}
}  // namespace

std::unique_ptr<RedisStateStore> RedisStateStore::open(const std::string& url, const std::string& key_prefix,
                                                       const std::string& password, std::string* error) {
  std::unique_ptr<RedisStateStore> s(new RedisStateStore());
  s->prefix_ = key_prefix;
  s->password_ = password;
  if (!parse_url(url, s->host_, s->port_, s->socket_path_, s->db_, error)) return nullptr;
  std::string err;
  if (!s->connect_locked(&err)) {
    if (error) *error = "state store " + url + ": " + err;
    return nullptr;
  }
  return s;
}

RedisStateStore::~RedisStateStore() {
  if (ctx_) redisFree(ctx_);
}

bool RedisStateStore::connect_locked(std::string* error) {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  const timeval tv{1, 0};
  ctx_ = socket_path_.empty() ? redisConnectWithTimeout(host_.c_str(), port_, tv)
                              : redisConnectUnixWithTimeout(socket_path_.c_str(), tv);
  if (!ctx_ || ctx_->err) {
    if (error) *error = ctx_ ? ctx_->errstr : "cannot allocate redis context";
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
    return false;
  }
  redisSetTimeout(ctx_, tv);
  // A command refused here closes the connection: the message says which and
  // why (Redis's own words; the password itself is never part of them).
  auto refused = [&](const std::string& what, const redisReply* r) {
    if (error)
      *error = what + " failed: " +
               (r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                                  : std::string(ctx_->err ? ctx_->errstr : "no reply"));
    redisFree(ctx_);
    ctx_ = nullptr;
    return false;
  };
  if (!password_.empty()) {
    ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx_, "AUTH %b", password_.data(), password_.size()))};
    if (!g.r || g.r->type == REDIS_REPLY_ERROR)
      return refused("AUTH (password from state.redis_password_env)", g.r);
  }
  if (db_ != 0) {
    ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx_, "SELECT %d", db_))};
    if (!g.r || g.r->type == REDIS_REPLY_ERROR) return refused("SELECT " + std::to_string(db_), g.r);
  }
  // A server that wants a password we did not send answers NOAUTH only to the
  // first command: ask now, so that start-up fails with the reason.
  ReplyGuard ping{static_cast<redisReply*>(redisCommand(ctx_, "PING"))};
  if (!ping.r || ping.r->type == REDIS_REPLY_ERROR)
    return refused(password_.empty() ? "PING (no password set: state.redis_password_env)" : "PING", ping.r);
  return true;
}

bool RedisStateStore::ensure_locked() {
  if (ctx_ && !ctx_->err) return true;
  std::string err;
  if (!connect_locked(&err)) {
    last_error_ = "redis connect: " + err;
    return false;
  }
  return true;
}

void RedisStateStore::drop_locked(const char* what) {
  last_error_ = std::string(what) + ": " + (ctx_ && ctx_->err ? ctx_->errstr : "unexpected reply");
  if (ctx_ && ctx_->err) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

std::string RedisStateStore::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void RedisStateStore::add_spend(const std::string& tenant, const std::string& day_key,
                                const std::string& month_key, double usd) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return;
  const std::string dk = prefix_ + "spend:" + tenant + ":" + day_key;
  const std::string mk = prefix_ + "spend:" + tenant + ":" + month_key;
  char amt[64];
  std::snprintf(amt, sizeof amt, "%.17g", usd);
  redisAppendCommand(ctx_, "INCRBYFLOAT %b %s", dk.data(), dk.size(), amt);
  redisAppendCommand(ctx_, "EXPIRE %b %ld", dk.data(), dk.size(), kDayTtl);
  redisAppendCommand(ctx_, "INCRBYFLOAT %b %s", mk.data(), mk.size(), amt);
  redisAppendCommand(ctx_, "EXPIRE %b %ld", mk.data(), mk.size(), kMonthTtl);
  for (int i = 0; i < 4; ++i) {
    ReplyGuard g;
    if (redisGetReply(ctx_, reinterpret_cast<void**>(&g.r)) != REDIS_OK) {
      drop_locked("add_spend");
      return;
    }
    if (g.r && g.r->type == REDIS_REPLY_ERROR) last_error_ = std::string("add_spend: ") + g.r->str;
  }
}

double RedisStateStore::spend(const std::string& tenant, const std::string& window_key) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return 0;
  const std::string k = prefix_ + "spend:" + tenant + ":" + window_key;
  ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx_, "GET %b", k.data(), k.size()))};
  if (!g.r) {
    drop_locked("spend");
    return 0;
  }
  return reply_number(g.r);
}

void RedisStateStore::record_usage(const UsageRecord& r) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return;
  const std::int64_t hour = hour_bucket(r.at);
  const std::string k = prefix_ + "usage:" + std::to_string(hour) + ":" + r.route + kSep + r.backend + kSep + r.tenant;
  const std::string idx = prefix_ + "usage:index";
  char cost[64];
  std::snprintf(cost, sizeof cost, "%.17g", r.cost_usd);
  redisAppendCommand(ctx_, "HINCRBY %b input %llu", k.data(), k.size(), static_cast<unsigned long long>(r.input));
  redisAppendCommand(ctx_, "HINCRBY %b output %llu", k.data(), k.size(), static_cast<unsigned long long>(r.output));
  redisAppendCommand(ctx_, "HINCRBY %b cached %llu", k.data(), k.size(), static_cast<unsigned long long>(r.cached));
  redisAppendCommand(ctx_, "HINCRBY %b requests %llu", k.data(), k.size(), static_cast<unsigned long long>(r.requests));
  redisAppendCommand(ctx_, "HINCRBYFLOAT %b cost_usd %s", k.data(), k.size(), cost);
  redisAppendCommand(ctx_, "EXPIRE %b %ld", k.data(), k.size(), kUsageTtl);
  redisAppendCommand(ctx_, "ZADD %b %lld %b", idx.data(), idx.size(), static_cast<long long>(hour), k.data(), k.size());
  const std::string cutoff = "(" + std::to_string(hour - kUsageTtl);
  redisAppendCommand(ctx_, "ZREMRANGEBYSCORE %b -inf %s", idx.data(), idx.size(), cutoff.c_str());
  for (int i = 0; i < 8; ++i) {
    ReplyGuard g;
    if (redisGetReply(ctx_, reinterpret_cast<void**>(&g.r)) != REDIS_OK) {
      drop_locked("record_usage");
      return;
    }
    if (g.r && g.r->type == REDIS_REPLY_ERROR) last_error_ = std::string("record_usage: ") + g.r->str;
  }
}

std::vector<StateStore::UsageRow> RedisStateStore::usage_since(std::chrono::system_clock::time_point since) {
  std::vector<HourlyRow> rows;
  {
    std::lock_guard lock(mu_);
    if (!ensure_locked()) return {};
    const std::string idx = prefix_ + "usage:index";
    const std::string from = std::to_string(hour_bucket(since));
    ReplyGuard keys{static_cast<redisReply*>(
        redisCommand(ctx_, "ZRANGEBYSCORE %b %s +inf WITHSCORES", idx.data(), idx.size(), from.c_str()))};
    if (!keys.r) {
      drop_locked("usage_since");
      return {};
    }
    if (keys.r->type != REDIS_REPLY_ARRAY) return {};
    const size_t n = keys.r->elements / 2;
    for (size_t i = 0; i < n; ++i) {
      const redisReply* k = keys.r->element[2 * i];
      redisAppendCommand(ctx_, "HMGET %b input output cached requests cost_usd", k->str, static_cast<size_t>(k->len));
    }
    const std::string head = prefix_ + "usage:";
    for (size_t i = 0; i < n; ++i) {
      ReplyGuard g;
      if (redisGetReply(ctx_, reinterpret_cast<void**>(&g.r)) != REDIS_OK) {
        drop_locked("usage_since");
        return {};
      }
      if (!g.r || g.r->type != REDIS_REPLY_ARRAY || g.r->elements != 5 || g.r->element[3]->type == REDIS_REPLY_NIL)
        continue;  // expired meanwhile
      std::string_view key(keys.r->element[2 * i]->str, keys.r->element[2 * i]->len);
      if (key.substr(0, head.size()) != head) continue;
      key.remove_prefix(head.size());
      const auto colon = key.find(':');
      if (colon == std::string_view::npos) continue;
      key.remove_prefix(colon + 1);
      const auto s1 = key.find(kSep);
      const auto s2 = s1 == std::string_view::npos ? s1 : key.find(kSep, s1 + 1);
      if (s2 == std::string_view::npos) continue;
      HourlyRow h;
      h.route = std::string(key.substr(0, s1));
      h.backend = std::string(key.substr(s1 + 1, s2 - s1 - 1));
      h.hour = static_cast<std::int64_t>(reply_number(keys.r->element[2 * i + 1]));
      h.input = static_cast<std::uint64_t>(reply_number(g.r->element[0]));
      h.output = static_cast<std::uint64_t>(reply_number(g.r->element[1]));
      h.cached = static_cast<std::uint64_t>(reply_number(g.r->element[2]));
      h.requests = static_cast<std::uint64_t>(reply_number(g.r->element[3]));
      h.cost_usd = reply_number(g.r->element[4]);
      rows.push_back(std::move(h));
    }
  }
  return aggregate_hourly(rows);
}

void RedisStateStore::clear_all_for_tests() {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return;
  const std::string pattern = prefix_ + "*";
  ReplyGuard keys{static_cast<redisReply*>(redisCommand(ctx_, "KEYS %b", pattern.data(), pattern.size()))};
  if (!keys.r || keys.r->type != REDIS_REPLY_ARRAY) return;
  for (size_t i = 0; i < keys.r->elements; ++i) {
    ReplyGuard g{static_cast<redisReply*>(
        redisCommand(ctx_, "DEL %b", keys.r->element[i]->str, static_cast<size_t>(keys.r->element[i]->len)))};
  }
}

}  // namespace hgw::state
