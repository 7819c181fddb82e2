#include "gateway/state/RedisStateStore.hpp"

#include "gateway/state/RedisConnection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
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

}  // namespace

std::unique_ptr<RedisStateStore> RedisStateStore::open(const std::string& url, const std::string& key_prefix,
                                                       const std::string& password, std::string* error) {
  std::unique_ptr<RedisStateStore> s(new RedisStateStore());
  s->prefix_ = key_prefix;
  if (!parse_redis_url(url, s->endpoint_, error)) return nullptr;
  s->endpoint_.password = password;
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
  ctx_ = connect_redis(endpoint_, std::chrono::seconds(1), error);
  return ctx_ != nullptr;
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

int RedisStateStore::append_spend_locked(const std::string& tenant, const std::string& day_key,
                                         const std::string& month_key, double usd) {
  const std::string dk = prefix_ + "spend:" + tenant + ":" + day_key;
  const std::string mk = prefix_ + "spend:" + tenant + ":" + month_key;
  char amt[64];
  std::snprintf(amt, sizeof amt, "%.17g", usd);
  redisAppendCommand(ctx_, "INCRBYFLOAT %b %s", dk.data(), dk.size(), amt);
  redisAppendCommand(ctx_, "EXPIRE %b %ld", dk.data(), dk.size(), kDayTtl);
  redisAppendCommand(ctx_, "INCRBYFLOAT %b %s", mk.data(), mk.size(), amt);
  redisAppendCommand(ctx_, "EXPIRE %b %ld", mk.data(), mk.size(), kMonthTtl);
  return 4;
}

bool RedisStateStore::read_replies_locked(int n, const char* what) {
  for (int i = 0; i < n; ++i) {
    ReplyGuard g;
    if (redisGetReply(ctx_, reinterpret_cast<void**>(&g.r)) != REDIS_OK) {
      drop_locked(what);
      return false;
    }
    if (g.r && g.r->type == REDIS_REPLY_ERROR) last_error_ = std::string(what) + ": " + g.r->str;
  }
  return true;
}

void RedisStateStore::add_spend(const std::string& tenant, const std::string& day_key,
                                const std::string& month_key, double usd) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return;
  read_replies_locked(append_spend_locked(tenant, day_key, month_key, usd), "add_spend");
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

int RedisStateStore::append_usage_locked(const UsageRecord& r) {
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
  return 8;
}

void RedisStateStore::record_usage(const UsageRecord& r) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return;
  read_replies_locked(append_usage_locked(r), "record_usage");
}

bool RedisStateStore::write_batch(const std::vector<UsageRecord>& usage, const std::vector<SpendDelta>& spend) {
  // One pipelined round trip for the whole batch.
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return false;
  int n = 0;
  for (const auto& u : usage) n += append_usage_locked(u);
  for (const auto& d : spend) n += append_spend_locked(d.tenant, d.day_key, d.month_key, d.usd);
  return read_replies_locked(n, "write_batch");
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

bool RedisStateStore::write_judgements(const std::vector<JudgementRecord>& records) {
  // One pipelined round trip, as write_batch.
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return false;
  const std::string idx = prefix_ + "judge:index";
  int n = 0;
  for (const auto& r : records) {
    const std::int64_t hour = hour_bucket(r.at);
    const std::string k = prefix_ + "judge:" + std::to_string(hour) + ":" + r.route + kSep + r.backend;
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.17g", r.score_sum);
    redisAppendCommand(ctx_, "HINCRBY %b judged %llu", k.data(), k.size(), static_cast<unsigned long long>(r.judged));
    redisAppendCommand(ctx_, "HINCRBY %b wins %llu", k.data(), k.size(), static_cast<unsigned long long>(r.wins));
    redisAppendCommand(ctx_, "HINCRBY %b ties %llu", k.data(), k.size(), static_cast<unsigned long long>(r.ties));
    redisAppendCommand(ctx_, "HINCRBYFLOAT %b score_sum %s", k.data(), k.size(), sum);
    redisAppendCommand(ctx_, "EXPIRE %b %ld", k.data(), k.size(), kUsageTtl);
    redisAppendCommand(ctx_, "ZADD %b %lld %b", idx.data(), idx.size(), static_cast<long long>(hour), k.data(),
                       k.size());
    const std::string cutoff = "(" + std::to_string(hour - kUsageTtl);
    redisAppendCommand(ctx_, "ZREMRANGEBYSCORE %b -inf %s", idx.data(), idx.size(), cutoff.c_str());
    n += 7;
  }
  return read_replies_locked(n, "write_judgements");
}

std::vector<StateStore::QualityRow> RedisStateStore::judgements_since(std::chrono::system_clock::time_point since) {
  std::vector<QualityRow> rows;
  {
    std::lock_guard lock(mu_);
    if (!ensure_locked()) return {};
    const std::string idx = prefix_ + "judge:index";
    const std::string from = std::to_string(hour_bucket(since));
    ReplyGuard keys{
        static_cast<redisReply*>(redisCommand(ctx_, "ZRANGEBYSCORE %b %s +inf", idx.data(), idx.size(), from.c_str()))};
    if (!keys.r) {
      drop_locked("judgements_since");
      return {};
    }
    if (keys.r->type != REDIS_REPLY_ARRAY) return {};
    const size_t n = keys.r->elements;
    for (size_t i = 0; i < n; ++i) {
      const redisReply* k = keys.r->element[i];
      redisAppendCommand(ctx_, "HMGET %b judged wins ties score_sum", k->str, static_cast<size_t>(k->len));
    }
    const std::string head = prefix_ + "judge:";
    for (size_t i = 0; i < n; ++i) {
      ReplyGuard g;
      if (redisGetReply(ctx_, reinterpret_cast<void**>(&g.r)) != REDIS_OK) {
        drop_locked("judgements_since");
        return {};
      }
      if (!g.r || g.r->type != REDIS_REPLY_ARRAY || g.r->elements != 4 || g.r->element[0]->type == REDIS_REPLY_NIL)
        continue;  // expired meanwhile
      // <head><hour>:<route>\x1f<backend>
      std::string_view key(keys.r->element[i]->str, keys.r->element[i]->len);
      if (key.substr(0, head.size()) != head) continue;
      key.remove_prefix(head.size());
      const auto colon = key.find(':');
      if (colon == std::string_view::npos) continue;
      key.remove_prefix(colon + 1);
      const auto sep = key.find(kSep);
      if (sep == std::string_view::npos) continue;
      QualityRow q;
      q.route = std::string(key.substr(0, sep));
      q.backend = std::string(key.substr(sep + 1));
      q.judged = static_cast<std::uint64_t>(reply_number(g.r->element[0]));
      q.wins = static_cast<std::uint64_t>(reply_number(g.r->element[1]));
      q.ties = static_cast<std::uint64_t>(reply_number(g.r->element[2]));
      q.score_sum = reply_number(g.r->element[3]);
      rows.push_back(std::move(q));
    }
  }
  return aggregate_quality(rows);
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

// Conversations: resp:<tenant>:<id>, expiring by themselves.
bool RedisStateStore::put_response(const std::string& tenant, const std::string& id, const std::string& json,
                                   std::chrono::system_clock::time_point expires_at) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return false;
  const std::string k = prefix_ + "resp:" + tenant + ":" + id;
  const long long ttl_ms = std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - std::chrono::system_clock::now()).count());
  ReplyGuard g{static_cast<redisReply*>(
      redisCommand(ctx_, "SET %b %b PX %lld", k.data(), k.size(), json.data(), json.size(), ttl_ms))};
  if (!g.r) {
    drop_locked("put_response");
    return false;
  }
  if (g.r->type == REDIS_REPLY_ERROR) {
    last_error_ = std::string("put_response: ") + g.r->str;
    return false;
  }
  return true;
}

ResponseLookup RedisStateStore::get_response(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mu_);
  ResponseLookup r;
  auto failed = [&] {
    r.status = ResponseLookup::Status::failed;
    r.error = last_error_;
    return r;
  };
  if (!ensure_locked()) return failed();
  const std::string k = prefix_ + "resp:" + tenant + ":" + id;
  ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx_, "GET %b", k.data(), k.size()))};
  if (!g.r) {
    drop_locked("get_response");
    return failed();
  }
  if (g.r->type == REDIS_REPLY_STRING) {
    r.status = ResponseLookup::Status::found;
    r.json.assign(g.r->str, g.r->len);
  } else if (g.r->type == REDIS_REPLY_ERROR) {
    last_error_ = std::string("get_response: ") + g.r->str;
    return failed();
  }
  return r;
}

ResponseLookup::Status RedisStateStore::delete_response(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mu_);
  if (!ensure_locked()) return ResponseLookup::Status::failed;
  const std::string k = prefix_ + "resp:" + tenant + ":" + id;
  ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx_, "DEL %b", k.data(), k.size()))};
  if (!g.r) {
    drop_locked("delete_response");
    return ResponseLookup::Status::failed;
  }
  if (g.r->type != REDIS_REPLY_INTEGER) return ResponseLookup::Status::failed;
  return g.r->integer > 0 ? ResponseLookup::Status::found : ResponseLookup::Status::missing;
}

}  // namespace hgw::state
