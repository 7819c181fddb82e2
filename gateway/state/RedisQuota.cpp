#include "gateway/state/RedisQuota.hpp"

#include <hiredis/hiredis.h>

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
)";

// Drops expired reservations of the tenant from its window sums.
constexpr const char* kPurge = R"(
local function release(id, hash, zset, sums)
  local v = redis.call('HGET', hash, id)
  if v then
    local amount, day, month = string.match(v, '^(%S+) (%S+) (%S+)$')
    redis.call('INCRBYFLOAT', sums .. day, -tonumber(amount))
    redis.call('INCRBYFLOAT', sums .. month, -tonumber(amount))
    redis.call('HDEL', hash, id)
  end
  redis.call('ZREM', zset, id)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  release(id, KEYS[3], KEYS[4], ARGV[13])
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

// KEYS: spend day, spend month, reservations, expiries, reserved day, reserved month, rate
// ARGV: 1 -, 2 id, 3 estimate, 4 daily limit, 5 monthly limit, 6 downgrade, 7 ttl ms,
//       8 rpm, 9 tpm, 10 tokens, 11 day key, 12 month key, 13 reserved-sum key prefix
// Reply: {code, committed day, committed month, exhausted window, limit, wait ms}
//   code 1 reserved, 2 budget exhausted, 3 rate limited, 4 downgraded, 5 admitted (no budget)
constexpr const char* kAdmitBody = R"(
local spent_d = tonumber(redis.call('GET', KEYS[1]) or '0')
local spent_m = tonumber(redis.call('GET', KEYS[2]) or '0')
local used_d = spent_d + tonumber(redis.call('GET', KEYS[5]) or '0')
local used_m = spent_m + tonumber(redis.call('GET', KEYS[6]) or '0')
local est = tonumber(ARGV[3])
local exhausted = ''
if ARGV[5] ~= '' and used_m + est > tonumber(ARGV[5]) then exhausted = 'monthly'
elseif ARGV[4] ~= '' and used_d + est > tonumber(ARGV[4]) then exhausted = 'daily' end
if exhausted ~= '' and ARGV[6] ~= '1' then
  return {2, tostring(used_d), tostring(used_m), exhausted, '', '0'}
end
local rpm = tonumber(ARGV[8])
local tpm = tonumber(ARGV[9])
if rpm or tpm then
  local r, t = refill(KEYS[7], rpm, tpm)
  local tokens = tonumber(ARGV[10])
  if r and r < 1 then
    return {3, tostring(used_d), tostring(used_m), '', 'requests_per_minute', tostring((1 - r) * 60000 / rpm)}
  end
  if t and t < tokens then
    local wait = -1
    if tokens <= tpm then wait = (tokens - t) * 60000 / tpm end
    return {3, tostring(used_d), tostring(used_m), '', 'tokens_per_minute', tostring(wait)}
  end
  if r then r = r - 1 end
  if t then t = t - tokens end
  store(KEYS[7], r, t)
end
if exhausted ~= '' then return {4, tostring(used_d), tostring(used_m), exhausted, '', '0'} end
if ARGV[4] == '' and ARGV[5] == '' then return {5, '0', '0', '', '', '0'} end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3] .. ' ' .. ARGV[11] .. ' ' .. ARGV[12])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[7]), ARGV[2])
redis.call('INCRBYFLOAT', KEYS[5], ARGV[3])
redis.call('INCRBYFLOAT', KEYS[6], ARGV[3])
for _, k in ipairs({KEYS[3], KEYS[4], KEYS[5], KEYS[6]}) do redis.call('PEXPIRE', k, 5356800000) end
return {1, tostring(used_d), tostring(used_m), '', '', '0'}
)";

// KEYS: spend day, spend month, reservations, expiries, -, -, rate, this settle's marker
// ARGV: 1 -, 2 reservation id ('' none), 3 actual usd, 4 token delta, 5 rpm, 6 tpm, 7 day ttl s,
//       8 month ttl s, 9..12 -, 13 reserved-sum key prefix
// A settle is applied once: a retry of one whose answer was lost finds its marker.
constexpr const char* kSettleBody = R"(
if not redis.call('SET', KEYS[8], '1', 'NX', 'EX', 3600) then return 0 end
if ARGV[2] ~= '' then release(ARGV[2], KEYS[3], KEYS[4], ARGV[13]) end
local actual = tonumber(ARGV[3])
if actual > 0 then
  redis.call('INCRBYFLOAT', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
  redis.call('INCRBYFLOAT', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[8]))
end
local delta = tonumber(ARGV[4])
local rpm = tonumber(ARGV[5])
local tpm = tonumber(ARGV[6])
if tpm and delta ~= 0 then
  local r, t = refill(KEYS[7], rpm, tpm)
  store(KEYS[7], r, math.min(tpm, t - delta))
end
return 1
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
      local_([this](const std::string& tenant, const std::string& window) {
        // While degraded: the spend last read from Redis, plus what this
        // replica spent since (local_mutex_ is held by the caller).
        double v = 0;
        if (auto it = last_spent_.find({tenant, window}); it != last_spent_.end()) v = it->second;
        for (const auto& u : unreconciled_)
          if (u.settle.tenant->name == tenant && (u.settle.day_key == window || u.settle.month_key == window))
            v += u.settle.actual_usd;
        return v;
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
  if (pending.actual_usd > 0 || pending.reservation != 0)
    unreconciled_.push_back({pending, settle_id});
}

void RedisQuota::admit(const QuotaAsk& ask, std::function<void(QuotaGrant)> done) {
  if (!degraded().empty()) return done(decide_locally(ask));
  Job job;
  job.admit = true;
  job.ask = ask;
  job.id = next_id_.fetch_add(1);
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
  job.id = id;
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

std::vector<std::string> RedisQuota::admit_args(const Job& job) const {
  const auto& t = *job.ask.tenant;
  const std::string& tenant = t.name;
  auto opt = [](const auto& o) { return o ? number(static_cast<double>(*o)) : std::string(); };
  return {"EVALSHA",
          admit_sha_,
          "7",
          key("spend", tenant) + ":" + job.ask.day_key,
          key("spend", tenant) + ":" + job.ask.month_key,
          key("resv", tenant),
          key("resv_exp", tenant),
          key("resv_sum", tenant) + ":" + job.ask.day_key,
          key("resv_sum", tenant) + ":" + job.ask.month_key,
          key("rate", tenant),
          "",
          options_.replica + "-" + std::to_string(job.id),
          number(job.ask.estimate_usd),
          opt(t.budget.daily_usd),
          opt(t.budget.monthly_usd),
          t.budget.on_exhausted == config::BudgetAction::downgrade ? "1" : "0",
          std::to_string(options_.reservation_ttl.count()),
          opt(t.rate_limit.requests_per_minute),
          opt(t.rate_limit.tokens_per_minute),
          std::to_string(job.ask.estimate_tokens),
          job.ask.day_key,
          job.ask.month_key,
          key("resv_sum", tenant) + ":"};
}

std::vector<std::string> RedisQuota::settle_args(const Job& job) const {
  const auto& s = job.settle;
  const auto& t = *s.tenant;
  auto opt = [](const auto& o) { return o ? number(static_cast<double>(*o)) : std::string(); };
  return {"EVALSHA",
          settle_sha_,
          "8",
          key("spend", t.name) + ":" + s.day_key,
          key("spend", t.name) + ":" + s.month_key,
          key("resv", t.name),
          key("resv_exp", t.name),
          key("resv_sum", t.name) + ":" + s.day_key,
          key("resv_sum", t.name) + ":" + s.month_key,
          key("rate", t.name),
          prefix_ + "settled:" + options_.replica + "-s" + std::to_string(job.id),
          "",
          s.reservation ? options_.replica + "-" + std::to_string(s.reservation) : std::string(),
          number(s.actual_usd),
          std::to_string(s.token_delta),
          opt(t.rate_limit.requests_per_minute),
          opt(t.rate_limit.tokens_per_minute),
          std::to_string(kDayTtl),
          std::to_string(kMonthTtl),
          "",
          "",
          "",
          "",
          key("resv_sum", t.name) + ":"};
}

QuotaGrant RedisQuota::grant_from_reply(const Job& job, const redisReply* r) {
  const auto& t = *job.ask.tenant;
  const long code = r->element[0]->type == REDIS_REPLY_INTEGER ? static_cast<long>(r->element[0]->integer) : 0;
  const double used_d = std::strtod(reply_text(r->element[1]).c_str(), nullptr);
  const double used_m = std::strtod(reply_text(r->element[2]).c_str(), nullptr);
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
    case 1: g.reservation = job.id; break;
    case 2:
    case 4: {
      // Redis found the window exhausted (its numbers are the ones that count).
      const bool monthly = reply_text(r->element[3]) == "monthly" && t.budget.monthly_usd;
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
      const std::string which = reply_text(r->element[4]);
      v.limit = which == "tokens_per_minute" ? cost::RateLimiter::Limit::tokens_per_minute
                                             : cost::RateLimiter::Limit::requests_per_minute;
      const double wait_ms = std::strtod(reply_text(r->element[5]).c_str(), nullptr);
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
    const std::string prelude = std::string(kNow) + kPurge + kRefill;
    admit_sha_ = load_script(ctx_, prelude + kAdmitBody, &error);
    if (!admit_sha_.empty()) settle_sha_ = load_script(ctx_, prelude + kSettleBody, &error);
    if (admit_sha_.empty() || settle_sha_.empty()) {
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
    Job job;
    job.admit = false;
    job.settle = next.settle;
    job.id = next.settle_id;
    const auto args = settle_args(job);
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyGuard g{static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()))};
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

void RedisQuota::fail_batch(std::vector<Job>& batch, const std::string& why) {
  enter_degraded(why);
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  for (auto& job : batch) {
    if (job.admit) {
      if (job.done) job.done(decide_locally(job.ask));
    } else {
      // Sent again when Redis is back, with the same id (applied once).
      QuotaSettle s = job.settle;
      s.local = false;
      settle_locally(s, job.id);
    }
  }
  batch.clear();
}

void RedisQuota::process(std::vector<Job>& batch) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(batch.size());
  for (const auto& job : batch) commands.push_back(job.admit ? admit_args(job) : settle_args(job));
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
  }
  std::vector<ReplyGuard> replies(batch.size());
  for (auto& reply : replies) {
    if (redisGetReply(ctx_, reinterpret_cast<void**>(&reply.r)) != REDIS_OK)
      return fail_batch(batch, std::string("Redis stopped answering: ") + ctx_->errstr);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const redisReply* r = replies[i].r;
    if (r && r->type == REDIS_REPLY_ERROR && reply_text(r).rfind("NOSCRIPT", 0) == 0)
      return fail_batch(batch, "Redis lost the quota scripts (restarted)");  // reloaded on reconnect
    if (batch[i].admit) {
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 6) {
        std::vector<Job> one;
        one.push_back(std::move(batch[i]));
        fail_batch(one, "unexpected reply to the admit script: " + reply_text(r));
        continue;
      }
      if (batch[i].done) batch[i].done(grant_from_reply(batch[i], r));
    } else if (!r || r->type == REDIS_REPLY_ERROR) {
      settle_locally(batch[i].settle, batch[i].id);
    }
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
        if (ctx_) {
          redisFree(ctx_);
          ctx_ = nullptr;
        }
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
