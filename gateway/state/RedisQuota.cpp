#include "gateway/state/RedisQuota.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>

namespace hgw::state {

namespace {

// Redis' own clock, so that every replica measures buckets and expiries alike.
constexpr const char* kNow = R"(
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
-- Amounts of money travel as text with every digit a double holds.
local function num(x) return string.format('%.17g', x) end
)";

// Reservations are made per group of asks (one script call admits every ask
// of a batch for one tenant): resv:<tenant> maps a group's id to
// "amount count day month"; each settle takes its own estimate and one off
// the count, and the last one releases what is left (rounding).
constexpr const char* kReservations = R"(
local function forget(hash, zset, id)
  redis.call('HDEL', hash, id)
  redis.call('ZREM', zset, id)
end
local function release_all(hash, zset, sums, id)
  local v = redis.call('HGET', hash, id)
  if v then
    local amount, _, day, month = string.match(v, '^(%S+) (%S+) (%S+) (%S+)$')
    if amount then
      redis.call('INCRBYFLOAT', sums .. day, -tonumber(amount))
      redis.call('INCRBYFLOAT', sums .. month, -tonumber(amount))
    end
  end
  forget(hash, zset, id)
end
-- Drops the tenant's expired reservations (a replica died) from its window sums.
local function purge(hash, zset, sums)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', now)) do release_all(hash, zset, sums, id) end
end
-- Takes `amount` and `count` settles off a group reservation.
local function release_part(hash, zset, sums, id, amount, count)
  local v = redis.call('HGET', hash, id)
  if not v then return end
  local held, left, day, month = string.match(v, '^(%S+) (%S+) (%S+) (%S+)$')
  if not held then return forget(hash, zset, id) end
  held = tonumber(held) - amount
  left = tonumber(left) - count
  local released = amount
  if left <= 0 then
    released = released + held
    forget(hash, zset, id)
  else
    redis.call('HSET', hash, id, num(held) .. ' ' .. left .. ' ' .. day .. ' ' .. month)
  end
  redis.call('INCRBYFLOAT', sums .. day, -released)
  redis.call('INCRBYFLOAT', sums .. month, -released)
end
)";

// Refills the tenant's buckets to now: r (requests), t (tokens).
constexpr const char* kRefill = R"(
local function refill(rate_key, rpm, tpm)
  local b = redis.call('HMGET', rate_key, 'r', 't', 'ts')
  local ts = tonumber(b[3]) or now
  local elapsed = math.max(0, now - ts)
  local r, t = nil, nil
  if rpm then r = math.min(rpm, (tonumber(b[1]) or rpm) + elapsed * rpm / 60000) end
  if tpm then t = math.min(tpm, (tonumber(b[2]) or tpm) + elapsed * tpm / 60000) end
  return r, t
end
local function store(rate_key, r, t)
  redis.call('HSET', rate_key, 'r', tostring(r or 0), 't', tostring(t or 0), 'ts', now)
  redis.call('PEXPIRE', rate_key, 120000)
end
)";

// One call per tenant and pair of windows carries the settles and the asks
// of that tenant queued since the last round trip: first the settles (their
// actual cost added, their reservations released, the token bucket corrected
// by actual - estimated tokens), then the asks, in order, as if one by one.
// KEYS: 1 spend day, 2 spend month, 3 reservations, 4 expiries, 5 reserved day, 6 reserved month,
//       7 rate, 8 the settles' marker
// ARGV: 1 group reservation id, 2 daily limit, 3 monthly limit, 4 downgrade, 5 ttl ms, 6 rpm, 7 tpm,
//       8 day key, 9 month key, 10 reserved-sum key prefix, 11 day ttl s, 12 month ttl s, 13 settles,
//       then per settle: reservation id ('' none), reserved usd, actual usd, token delta,
//       then per ask: estimate usd, tokens
// Reply, six per ask: code, used day, used month (before the ask), exhausted window, limit, wait ms
//   code 1 reserved, 2 budget exhausted, 3 rate limited, 4 downgraded, 5 admitted (no budget)
// The settles are applied once: a retry of a call whose answer was lost finds their marker.
constexpr const char* kQuotaBody = R"(
local first_ask = 14 + 4 * tonumber(ARGV[13])
local rpm, tpm = tonumber(ARGV[6]), tonumber(ARGV[7])
local rated = rpm or tpm
local r, t = nil, nil
if rated then r, t = refill(KEYS[7], rpm, tpm) end
if first_ask > 14 and redis.call('SET', KEYS[8], '1', 'NX', 'EX', 3600) then
  local actual, delta, parts = 0, 0, {}
  for i = 14, first_ask - 1, 4 do
    if ARGV[i] ~= '' then
      local p = parts[ARGV[i]] or {0, 0}
      p[1], p[2] = p[1] + tonumber(ARGV[i + 1]), p[2] + 1
      parts[ARGV[i]] = p
    end
    actual = actual + tonumber(ARGV[i + 2])
    delta = delta + tonumber(ARGV[i + 3])
  end
  for id, p in pairs(parts) do release_part(KEYS[3], KEYS[4], ARGV[10], id, p[1], p[2]) end
  if actual > 0 then
    redis.call('INCRBYFLOAT', KEYS[1], num(actual))
    redis.call('EXPIRE', KEYS[1], tonumber(ARGV[11]))
    redis.call('INCRBYFLOAT', KEYS[2], num(actual))
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[12]))
  end
  if t then t = math.min(tpm, t - delta) end
end
local out = {}
if first_ask <= #ARGV then
  purge(KEYS[3], KEYS[4], ARGV[10])
  local spent_d = tonumber(redis.call('GET', KEYS[1]) or '0')
  local spent_m = tonumber(redis.call('GET', KEYS[2]) or '0')
  local resv_d = tonumber(redis.call('GET', KEYS[5]) or '0')
  local resv_m = tonumber(redis.call('GET', KEYS[6]) or '0')
  local daily, monthly = tonumber(ARGV[2]), tonumber(ARGV[3])
  local total, count = 0, 0
  for i = first_ask, #ARGV, 2 do
    local est, tokens = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local used_d, used_m = spent_d + resv_d, spent_m + resv_m
    local exhausted, limit, wait, code = '', '', 0, 0
    if monthly and used_m + est > monthly then exhausted = 'monthly'
    elseif daily and used_d + est > daily then exhausted = 'daily' end
    if exhausted ~= '' and ARGV[4] ~= '1' then
      code = 2
    elseif r and r < 1 then
      code, limit, wait = 3, 'requests_per_minute', (1 - r) * 60000 / rpm
    elseif t and t < tokens then
      code, limit, wait = 3, 'tokens_per_minute', -1
      if tokens <= tpm then wait = (tokens - t) * 60000 / tpm end
    else
      if r then r = r - 1 end
      if t then t = t - tokens end
      if exhausted ~= '' then code = 4
      elseif not daily and not monthly then code = 5
      else
        code = 1
        resv_d, resv_m, total, count = resv_d + est, resv_m + est, total + est, count + 1
      end
    end
    out[#out + 1] = code
    out[#out + 1] = num(used_d)
    out[#out + 1] = num(used_m)
    out[#out + 1] = exhausted
    out[#out + 1] = limit
    out[#out + 1] = num(wait)
  end
  if count > 0 then
    -- The hash and the sorted set empty themselves as reservations settle
    -- or expire; the window sums outlive their window by a day at most.
    redis.call('HSET', KEYS[3], ARGV[1], num(total) .. ' ' .. count .. ' ' .. ARGV[8] .. ' ' .. ARGV[9])
    redis.call('ZADD', KEYS[4], now + tonumber(ARGV[5]), ARGV[1])
    redis.call('INCRBYFLOAT', KEYS[5], num(total))
    redis.call('EXPIRE', KEYS[5], tonumber(ARGV[11]))
    redis.call('INCRBYFLOAT', KEYS[6], num(total))
    redis.call('EXPIRE', KEYS[6], tonumber(ARGV[12]))
  end
end
if rated then store(KEYS[7], r, t) end
return out
)";

constexpr long kDayTtl = 3 * 86400;     // as RedisStateStore's spend keys
constexpr long kMonthTtl = 62 * 86400;

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string reply_text(const redisReply* r) {
  if (!r) return {};
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return {};
}

std::string load_script(redisContext* ctx, const std::string& body, std::string* error) {
  ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx, "SCRIPT LOAD %b", body.data(), body.size()))};
  if (!g.r || g.r->type != REDIS_REPLY_STRING) {
    if (error) *error = "SCRIPT LOAD: " + (g.r ? reply_text(g.r) : std::string(ctx->errstr));
    return {};
  }
  return reply_text(g.r);
}

}  // namespace

RedisQuota::RedisQuota(RedisEndpoint endpoint, std::string key_prefix, Options options)
    : endpoint_(std::move(endpoint)),
      prefix_(std::move(key_prefix)),
      options_(std::move(options)),
      local_([this](const std::string& tenant, const std::string& day_key, const std::string& month_key) {
        // While degraded: the spend last read from Redis, plus what this
        // replica spent since (local_mutex_ is held by the caller).
        auto spent_in = [&](const std::string& window) {
          double v = 0;
          if (auto it = last_spent_.find({tenant, window}); it != last_spent_.end()) v = it->second;
          for (const auto& u : unreconciled_)
            for (const auto& s : u.settles)
              if (s.tenant->name == tenant && (s.day_key == window || s.month_key == window)) v += s.actual_usd;
          return v;
        };
        const double today = spent_in(day_key);
        return std::make_pair(today, month_key == day_key ? today : spent_in(month_key));
      }) {
  // Ids must never repeat across replicas or restarts (a pod restarts with its
  // name, a container with pid 1): a random part of each incarnation's own.
  std::random_device entropy;
  const std::uint64_t incarnation = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(incarnation));
  options_.replica += (options_.replica.empty() ? "" : ":") + std::string(suffix);
  thread_ = std::thread([this] { run(); });
}

RedisQuota::~RedisQuota() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (ctx_) redisFree(ctx_);
}

std::string RedisQuota::degraded() const {
  std::lock_guard lock(local_mutex_);
  return degraded_why_;
}

std::size_t RedisQuota::pending_reconciliation() const {
  std::lock_guard lock(local_mutex_);
  return unreconciled_.size();
}

QuotaGrant RedisQuota::decide_locally(const QuotaAsk& ask) {
  const auto& t = *ask.tenant;
  const bool has_budget = t.budget.daily_usd || t.budget.monthly_usd;
  std::lock_guard lock(local_mutex_);
  if (has_budget && t.on_store_error.value_or(options_.on_store_error) == config::StoreErrorPolicy::reject) {
    QuotaGrant g;
    g.result = QuotaGrant::Result::unavailable;
    g.retry_after_s = 1;
    g.message = "the shared budget store is unavailable (" + degraded_why_ +
                ") and on_store_error is reject: requests of tenants with a budget are refused until it is back";
    g.local = true;
    return g;
  }
  QuotaGrant g = local_.admit_locally(ask);
  g.local = true;
  return g;
}

QuotaGrant RedisQuota::admit_locally(const QuotaAsk& ask) { return decide_locally(ask); }

void RedisQuota::settle_locally(const QuotaSettle& s, std::uint64_t settle_id) {
  std::lock_guard lock(local_mutex_);
  if (s.local) local_.settle(s);
  // Sent to Redis when it is back (a local reservation is no reservation
  // there); counted by the local budget meanwhile.
  QuotaSettle pending = s;
  if (s.local) pending.reservation = 0;
  if (pending.actual_usd > 0 || pending.reservation != 0) unreconciled_.push_back({{pending}, settle_id});
}

void RedisQuota::admit(const QuotaAsk& ask, std::function<void(QuotaGrant)> done) {
  if (!degraded().empty()) return done(decide_locally(ask));
  Job job;
  job.admit = true;
  job.ask = ask;
  job.done = std::move(done);
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void RedisQuota::settle(const QuotaSettle& s) {
  const std::uint64_t id = next_id_.fetch_add(1);
  if (s.local || !degraded().empty()) return settle_locally(s, id);
  Job job;
  job.admit = false;
  job.settle = s;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

double RedisQuota::committed_spend(const std::string& tenant, const std::string& window_key) {
  // Called off the io threads (explain): one short connection of its own.
  std::string error;
  redisContext* ctx = connect_redis(endpoint_, options_.timeout, &error);
  if (!ctx) {
    std::lock_guard lock(local_mutex_);
    auto it = last_spent_.find({tenant, window_key});
    return it == last_spent_.end() ? 0.0 : it->second;
  }
  const std::string spend = key("spend", tenant) + ":" + window_key;
  const std::string reserved = key("resv_sum", tenant) + ":" + window_key;
  ReplyGuard a{static_cast<redisReply*>(redisCommand(ctx, "GET %b", spend.data(), spend.size()))};
  ReplyGuard b{static_cast<redisReply*>(redisCommand(ctx, "GET %b", reserved.data(), reserved.size()))};
  const double v = reply_number(a.r) + reply_number(b.r);
  redisFree(ctx);
  return v;
}

namespace {

// hiredis' view of a command's arguments.
struct Argv {
  explicit Argv(std::vector<std::string> a) : args(std::move(a)) {
    for (const auto& x : args) {
      ptrs.push_back(x.data());
      lens.push_back(x.size());
    }
  }
  int count() const { return static_cast<int>(ptrs.size()); }
  std::vector<std::string> args;
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
};

// An unset limit travels as '' (the script reads it as nil).
template <class T>
std::string optional_number(const std::optional<T>& v) {
  return v ? number(static_cast<double>(*v)) : std::string();
}

}  // namespace

std::vector<std::string> RedisQuota::quota_args(const Group& g) const {
  const auto& t = *g.tenant;
  std::vector<std::string> args = {"EVALSHA",
                                   quota_sha_,
                                   "8",
                                   key("spend", t.name) + ":" + g.day_key,
                                   key("spend", t.name) + ":" + g.month_key,
                                   key("resv", t.name),
                                   key("resv_exp", t.name),
                                   key("resv_sum", t.name) + ":" + g.day_key,
                                   key("resv_sum", t.name) + ":" + g.month_key,
                                   key("rate", t.name),
                                   prefix_ + "settled:" + options_.replica + "-s" + std::to_string(g.id),
                                   reservation_name(g.id),
                                   optional_number(t.budget.daily_usd),
                                   optional_number(t.budget.monthly_usd),
                                   t.budget.on_exhausted == config::BudgetAction::downgrade ? "1" : "0",
                                   std::to_string(options_.reservation_ttl.count()),
                                   optional_number(t.rate_limit.requests_per_minute),
                                   optional_number(t.rate_limit.tokens_per_minute),
                                   g.day_key,
                                   g.month_key,
                                   key("resv_sum", t.name) + ":",
                                   std::to_string(kDayTtl),
                                   std::to_string(kMonthTtl),
                                   std::to_string(g.settles.size())};
  args.reserve(args.size() + 4 * g.settles.size() + 2 * g.asks.size());
  for (const auto& s : g.settles) {
    args.push_back(s.reservation ? reservation_name(s.reservation) : std::string());
    args.push_back(number(s.reservation ? s.reserved_usd : 0.0));
    args.push_back(number(s.actual_usd));
    args.push_back(std::to_string(s.token_delta));
  }
  for (const Job* job : g.asks) {
    args.push_back(number(job->ask.estimate_usd));
    args.push_back(std::to_string(job->ask.estimate_tokens));
  }
  return args;
}

QuotaGrant RedisQuota::grant_from_reply(const Job& job, std::uint64_t group_id, const redisReply* r,
                                        std::size_t at) {
  const auto& t = *job.ask.tenant;
  auto field = [&](std::size_t i) { return reply_text(r->element[at + i]); };
  const long code = r->element[at]->type == REDIS_REPLY_INTEGER ? static_cast<long>(r->element[at]->integer) : 0;
  const double used_d = std::strtod(field(1).c_str(), nullptr);
  const double used_m = std::strtod(field(2).c_str(), nullptr);
  {
    std::lock_guard lock(local_mutex_);
    last_spent_[{t.name, job.ask.day_key}] = used_d;
    last_spent_[{t.name, job.ask.month_key}] = used_m;
  }
  // The budget's view, for messages and gauges: spent + reserved before this request.
  cost::BudgetStatus status = cost::check_budget(t.budget, used_d, used_m, job.ask.estimate_usd, job.ask.now);
  QuotaGrant g;
  g.budget = status;
  switch (code) {
    case 1:
      g.reservation = group_id;
      g.reserved_usd = job.ask.estimate_usd;
      break;
    case 2:
    case 4: {
      // Redis found the window exhausted (its numbers are the ones that count).
      const bool monthly = field(3) == "monthly" && t.budget.monthly_usd;
      status.exhausted = true;
      status.window = monthly ? "monthly" : "daily";
      status.spent = monthly ? used_m : used_d;
      status.limit = monthly ? *t.budget.monthly_usd : t.budget.daily_usd.value_or(0);
      status.resets_at = monthly ? cost::next_month_start(job.ask.now) : cost::next_day_start(job.ask.now);
      g = budget_refusal(t, status, job.ask.now);
      break;
    }
    case 3: {
      cost::RateLimiter::Verdict v;
      v.allowed = false;
      v.limit = field(4) == "tokens_per_minute" ? cost::RateLimiter::Limit::tokens_per_minute
                                                : cost::RateLimiter::Limit::requests_per_minute;
      const double wait_ms = std::strtod(field(5).c_str(), nullptr);
      v.retry_after_s = wait_ms < 0 ? 60 : static_cast<std::uint32_t>(std::max(1.0, std::ceil(wait_ms / 1000)));
      v.message = cost::rate_limit_message(t, static_cast<int>(v.limit), v.retry_after_s, job.ask.estimate_tokens,
                                           wait_ms < 0);
      g = rate_refusal(v);
      break;
    }
    default: break;  // 5: admitted, no budget
  }
  g.spent_today = used_d;
  g.spent_month = used_m;
  return g;
}

bool RedisQuota::connect() {
  std::string error;
  ctx_ = connect_redis(endpoint_, options_.timeout, &error);
  if (ctx_) {
    quota_sha_ = load_script(ctx_, std::string(kNow) + kReservations + kRefill + kQuotaBody, &error);
    if (quota_sha_.empty()) {
      redisFree(ctx_);
      ctx_ = nullptr;
    }
  }
  if (!ctx_) {
    enter_degraded("cannot reach Redis at " + endpoint_.url + ": " + error);
    return false;
  }
  return true;
}

void RedisQuota::enter_degraded(const std::string& why) {
  std::lock_guard lock(local_mutex_);
  if (degraded_why_.empty())
    std::cerr << "hybridgw: shared quota store degraded: " << why << "; deciding budgets and rate limits "
              << (options_.on_store_error == config::StoreErrorPolicy::reject ? "by refusing tenants with budgets"
                                                                              : "with this replica's own state")
              << " until Redis answers again\n";
  degraded_why_ = why;
}

// Sends the unconfirmed settles, oldest first; false when Redis failed again.
bool RedisQuota::reconcile() {
  for (;;) {
    Unconfirmed next;
    {
      std::lock_guard lock(local_mutex_);
      if (unreconciled_.empty()) break;
      next = unreconciled_.front();
    }
    Group group;
    group.tenant = next.settles.front().tenant;
    group.day_key = next.settles.front().day_key;
    group.month_key = next.settles.front().month_key;
    group.settles = next.settles;
    group.id = next.id;
    Argv argv(quota_args(group));
    ReplyGuard g{static_cast<redisReply*>(redisCommandArgv(ctx_, argv.count(), argv.ptrs.data(), argv.lens.data()))};
    if (!g.r || g.r->type == REDIS_REPLY_ERROR) return false;
    std::lock_guard lock(local_mutex_);
    unreconciled_.pop_front();
  }
  std::lock_guard lock(local_mutex_);
  if (!degraded_why_.empty()) std::cerr << "hybridgw: shared quota store is back: budgets and rate limits are shared again\n";
  degraded_why_.clear();
  last_spent_.clear();
  return true;
}

void RedisQuota::drop_connection(const std::string& why) {
  enter_degraded(why);
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

void RedisQuota::fail_batch(std::vector<Job>& batch, const std::string& why) {
  drop_connection(why);
  for (auto& job : batch) {
    if (job.admit) {
      if (job.done) job.done(decide_locally(job.ask));
    } else {
      QuotaSettle s = job.settle;
      s.local = false;
      settle_locally(s, next_id_.fetch_add(1));
    }
  }
  batch.clear();
}

void RedisQuota::process(std::vector<Job>& batch) {
  // One script call per tenant and windows: its fixed cost (and the tenant's
  // keys, read once) is shared by every request of a busy batch.
  std::vector<Group> groups;
  auto group_of = [&](const config::TenantConfig* tenant, const std::string& day, const std::string& month) -> Group& {
    for (auto& g : groups)
      if (g.tenant == tenant && g.day_key == day && g.month_key == month) return g;
    Group& g = groups.emplace_back();
    g.tenant = tenant;
    g.day_key = day;
    g.month_key = month;
    g.id = next_id_.fetch_add(1);
    return g;
  };
  for (const auto& job : batch) {
    if (job.admit)
      group_of(job.ask.tenant, job.ask.day_key, job.ask.month_key).asks.push_back(&job);
    else
      group_of(job.settle.tenant, job.settle.day_key, job.settle.month_key).settles.push_back(job.settle);
  }
  // Whatever happens to the connection, each ask is answered and each
  // group's settles wait with the group's id (applied once, however often sent).
  auto keep_settles = [this](Group& g) {
    if (g.settles.empty()) return;
    std::lock_guard lock(local_mutex_);
    unreconciled_.push_back({std::move(g.settles), g.id});
  };
  auto fail = [&](const std::string& why) {
    drop_connection(why);
    for (auto& g : groups) {
      for (const Job* job : g.asks)
        if (job->done) job->done(decide_locally(job->ask));
      keep_settles(g);
    }
  };

  for (const auto& g : groups) {
    Argv argv(quota_args(g));
    redisAppendCommandArgv(ctx_, argv.count(), argv.ptrs.data(), argv.lens.data());
  }
  std::vector<ReplyGuard> replies(groups.size());
  for (auto& reply : replies) {
    if (redisGetReply(ctx_, reinterpret_cast<void**>(&reply.r)) != REDIS_OK)
      return fail(std::string("Redis stopped answering: ") + ctx_->errstr);
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const redisReply* r = replies[i].r;
    if (r && r->type == REDIS_REPLY_ERROR && reply_text(r).rfind("NOSCRIPT", 0) == 0)
      return fail("Redis lost the quota script (restarted)");  // loaded again on reconnect
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 6 * groups[i].asks.size())
      return fail("unexpected reply to the quota script: " + reply_text(r));
  }
  for (std::size_t i = 0; i < groups.size(); ++i)
    for (std::size_t k = 0; k < groups[i].asks.size(); ++k) {
      const Job& job = *groups[i].asks[k];
      if (job.done) job.done(grant_from_reply(job, groups[i].id, replies[i].r, 6 * k));
    }
}

void RedisQuota::run() {
  auto backoff = std::chrono::milliseconds(100);
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!ctx_) {
      lock.unlock();
      const bool up = connect() && reconcile();
      lock.lock();
      if (!up) {
        // Whatever queued meanwhile is decided locally at once.
        std::vector<Job> waiting(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
        queue_.clear();
        lock.unlock();
        fail_batch(waiting, degraded());
        lock.lock();
        wake_.wait_for(lock, backoff, [&] { return stop_; });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        continue;
      }
      backoff = std::chrono::milliseconds(100);
    }
    // While settles of a degraded period wait, try to add them every second.
    wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || !queue_.empty(); });
    if (stop_ && queue_.empty()) break;
    std::vector<Job> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    lock.unlock();
    if (!batch.empty()) process(batch);
    if (ctx_ && pending_reconciliation() > 0 && !reconcile()) {
      redisFree(ctx_);
      ctx_ = nullptr;
    }
    lock.lock();
  }
}

}  // namespace hgw::state
