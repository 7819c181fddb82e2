#include <catch2/catch.hpp>

#include "policies/auth/ApiKey.hpp"
#include "policies/cost/BreakEven.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/cost/CostReport.hpp"
#include "policies/cost/Pricing.hpp"
#include "policies/cost/RateLimiter.hpp"
#include "tests/unit/routing/RoutingFixtures.hpp"

using namespace hgw;
using namespace std::chrono;

TEST_CASE("pricing_of: explicit prices win, local amortised otherwise", "[cost]") {
  auto remote = test::remote_backend("r", 2.50, 10.00, 1.25);
  auto p = cost::pricing_of(remote);
  CHECK(p.known);
  CHECK_FALSE(p.amortised);
  CHECK(p.input_per_token == 2.50 / 1e6);
  CHECK(p.output_per_token == 10.00 / 1e6);
  CHECK(p.cached_input_per_token == 1.25 / 1e6);

  auto local = test::local_backend("l");  // 2 USD/h, 1 gpu, 2500 tok/s
  p = cost::pricing_of(local);
  CHECK(p.known);
  CHECK(p.amortised);
  CHECK(p.input_per_token == Approx(2.0 / (2500.0 * 3600)).epsilon(1e-15));
  CHECK(p.output_per_token == p.input_per_token);
  local.cost.gpus = 4;
  CHECK(cost::pricing_of(local).input_per_token == Approx(8.0 / (2500.0 * 3600)).epsilon(1e-15));

  local.cost.input_per_mtok = 0.1;  // explicit wins
  p = cost::pricing_of(local);
  CHECK_FALSE(p.amortised);
  CHECK(p.input_per_token == 0.1 / 1e6);
  CHECK(p.output_per_token == 0.0);

  config::BackendConfig none;
  CHECK_FALSE(cost::pricing_of(none).known);
  CHECK(cost::cost_usd(cost::pricing_of(none), {1000, 1000, 0}) == 0.0);
}

TEST_CASE("cost_usd is exact for known prices, cached included", "[cost]") {
  const auto p = cost::pricing_of(test::remote_backend("r", 2.50, 10.00, 1.25));
  // 1000 prompt of which 200 cached, 500 output:
  // 800 × 2.5e-6 + 200 × 1.25e-6 + 500 × 10e-6 = 0.002 + 0.00025 + 0.005
  const double c = cost::cost_usd(p, {1000, 500, 200});
  CHECK(c == 800 * (2.50 / 1e6) + 200 * (1.25 / 1e6) + 500 * (10.00 / 1e6));
  CHECK(c == Approx(0.00725).epsilon(1e-12));
  // No cached price: cached tokens cost the input price.
  const auto q = cost::pricing_of(test::remote_backend("r", 2.50, 10.00));
  CHECK(cost::cost_usd(q, {1000, 500, 200}) == Approx(0.0075).epsilon(1e-12));
  // cached can never exceed input
  CHECK(cost::cost_usd(p, {100, 0, 500}) == Approx(100 * 1.25e-6).epsilon(1e-12));
  // Attempt without tokens costs nothing.
  CHECK(cost::cost_usd(p, {}) == 0.0);
  CHECK(cost::estimate_cost_usd(p, 1000, 500) == Approx(0.0075).epsilon(1e-12));
}

TEST_CASE("day and month keys, UTC resets", "[cost][budget]") {
  const auto t = sys_days{2026y / November / 30} + 23h + 59min + 59s;
  CHECK(cost::day_key(t) == "2026-11-30");
  CHECK(cost::month_key(t) == "2026-11");
  CHECK(cost::day_key(t + 1s) == "2026-12-01");
  CHECK(cost::month_key(t + 1s) == "2026-12");
  CHECK(cost::iso8601(cost::next_day_start(t)) == "2026-12-01T00:00:00Z");
  CHECK(cost::iso8601(cost::next_month_start(t)) == "2026-12-01T00:00:00Z");
  const auto dec = sys_days{2026y / December / 31} + 12h;
  CHECK(cost::iso8601(cost::next_month_start(dec)) == "2027-01-01T00:00:00Z");
  CHECK(cost::month_key(dec) == "2026-12");
}

TEST_CASE("budget across a day/month window boundary with an injected clock", "[cost][budget]") {
  config::BudgetConfig b;
  b.daily_usd = 10;
  b.monthly_usd = 100;
  // A tiny store of spend keyed by window, fed as the gateway would.
  std::map<std::string, double> spend;
  auto check = [&](system_clock::time_point now, double est) {
    return cost::check_budget(b, spend[cost::day_key(now)], spend[cost::month_key(now)], est, now);
  };
  auto add = [&](system_clock::time_point now, double usd) {
    spend[cost::day_key(now)] += usd;
    spend[cost::month_key(now)] += usd;
  };

  const auto late = sys_days{2026y / November / 30} + 23h + 59min;
  add(late, 9.99);
  auto s = check(late, 0.02);
  CHECK(s.exhausted);
  CHECK(s.window == "daily");
  CHECK(s.spent == Approx(9.99));
  CHECK(s.limit == 10);
  CHECK(cost::iso8601(s.resets_at) == "2026-12-01T00:00:00Z");
  CHECK(cost::seconds_until(s.resets_at, late) == 60);
  CHECK_FALSE(check(late, 0.005).exhausted);

  // Two minutes later it is a new day and a new month: both windows reset.
  const auto next = late + 2min;
  CHECK_FALSE(check(next, 0.02).exhausted);

  // Monthly exhausted mid-month: the monthly window is reported even if daily is exhausted too.
  const auto mid = sys_days{2026y / December / 15} + 10h;
  add(mid - days{1}, 95);
  add(mid, 9.5);
  s = check(mid, 1.0);
  CHECK(s.exhausted);
  CHECK(s.window == "monthly");
  CHECK(s.spent == Approx(104.5));
  CHECK(cost::iso8601(s.resets_at) == "2027-01-01T00:00:00Z");
  CHECK(s.message() == "monthly budget exhausted: spent $104.50 of $100.00; resets at 2027-01-01T00:00:00Z");
  CHECK_FALSE(check(sys_days{2027y / January / 1} + 1s, 1.0).exhausted);

  config::BudgetConfig none;
  CHECK_FALSE(cost::check_budget(none, 1e9, 1e9, 1, mid).exhausted);
}

TEST_CASE("rate limiter: requests per minute, Retry-After", "[cost][ratelimit]") {
  config::TenantConfig t;
  t.name = "acme";
  t.rate_limit.requests_per_minute = 60;  // one per second
  cost::RateLimiter rl;
  const auto t0 = steady_clock::time_point{} + hours(1);
  for (int i = 0; i < 60; ++i) REQUIRE(rl.admit(t, 10, t0).allowed);
  auto v = rl.admit(t, 10, t0);
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == cost::RateLimiter::Limit::requests_per_minute);
  CHECK(v.retry_after_s == 1);
  CHECK(v.message.find("requests_per_minute limit of 60") != std::string::npos);
  CHECK(rl.admit(t, 10, t0 + 1s).allowed);
  CHECK_FALSE(rl.admit(t, 10, t0 + 1s).allowed);
  CHECK(rl.admit(t, 10, t0 + 3s).allowed);
  CHECK(rl.admit(t, 10, t0 + 3s).allowed);

  config::TenantConfig open;
  open.name = "open";
  for (int i = 0; i < 1000; ++i) REQUIRE(rl.admit(open, 1'000'000, t0).allowed);
}

TEST_CASE("rate limiter: tokens per minute with correction", "[cost][ratelimit]") {
  config::TenantConfig t;
  t.name = "acme";
  t.rate_limit.tokens_per_minute = 6000;  // 100 per second
  t.rate_limit.requests_per_minute = 1000;
  cost::RateLimiter rl;
  const auto t0 = steady_clock::time_point{} + hours(1);
  CHECK(rl.admit(t, 5000, t0).allowed);
  auto v = rl.admit(t, 2000, t0);
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == cost::RateLimiter::Limit::tokens_per_minute);
  CHECK(v.retry_after_s == 10);  // 1000 available, 1000 more at 100/s
  CHECK(v.message.find("tokens_per_minute limit of 6000") != std::string::npos);
  // The rejected request charged nothing (requests bucket included).
  // Actual usage was 1000 below the estimate: refund.
  rl.correct(t, -1000, t0);
  CHECK(rl.admit(t, 2000, t0).allowed);
  // Actual usage above the estimate: debt must be waited out.
  rl.correct(t, 3000, t0);  // level: 0 - 3000
  v = rl.admit(t, 100, t0);
  CHECK_FALSE(v.allowed);
  CHECK(v.retry_after_s == 31);
  CHECK(rl.admit(t, 100, t0 + 31s).allowed);

  // Larger than the whole minute: never fits, clear message.
  v = rl.admit(t, 7000, t0 + 10min);
  CHECK_FALSE(v.allowed);
  CHECK(v.retry_after_s == 60);
  CHECK(v.message.find("exceed the tokens_per_minute limit of 6000") != std::string::npos);

  // Reload to a larger limit takes effect.
  t.rate_limit.tokens_per_minute = 60000;
  CHECK(rl.admit(t, 7000, t0 + 10min).allowed);
}

TEST_CASE("key check: right, wrong, absent; digest line format", "[cost][keys]") {
  const std::string line = auth::sha256_digest_line("sk-test-123");
  CHECK(line.rfind("sha256:", 0) == 0);
  CHECK(line.size() == 7 + 64);
  CHECK(auth::is_digest_line(line));
  // sha256("abc")
  CHECK(auth::sha256_digest_line("abc") ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::vector<std::string> keys = {auth::sha256_digest_line("other"), line};
  CHECK(auth::key_matches("sk-test-123", keys));
  CHECK_FALSE(auth::key_matches("sk-test-124", keys));
  CHECK_FALSE(auth::key_matches("", keys));
  CHECK_FALSE(auth::key_matches("sk-test-123", {}));
  // Upper-case hex in config still matches; malformed lines never do.
  std::string upper = line;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(auth::key_matches("sk-test-123", {upper}));
  CHECK_FALSE(auth::key_matches("sk-test-123", {line.substr(7)}));
  CHECK_FALSE(auth::key_matches("sk-test-123", {"sha256:abc"}));
}

TEST_CASE("key table: owners by digest and remembered keys", "[cost][keys]") {
  const std::vector<std::string> alpha = {auth::sha256_digest_line("sk-alpha-1"), "not a digest",
                                          auth::sha256_digest_line("sk-alpha-2")};
  const std::vector<std::string> beta = {auth::sha256_digest_line("sk-beta")};
  const std::vector<std::string> none;
  const auth::KeyTable table({&alpha, &none, &beta});
  for (int round = 0; round < 2; ++round) {  // the second round answers from the memo
    CHECK(table.find("sk-alpha-1") == 0);
    CHECK(table.find("sk-alpha-2") == 0);
    CHECK(table.find("sk-beta") == 2);
    // A remembered key's prefix, the key with a byte more, or a changed byte is still unknown.
    CHECK(table.find("sk-alpha-") == -1);
    CHECK(table.find("sk-alpha-1x") == -1);
    CHECK(table.find("sk-alpha-3") == -1);
    CHECK(table.find("") == -1);
    CHECK(table.find("not a digest") == -1);
  }
  // Past kMemoKeys distinct keys the memo starts over; answers do not change.
  std::vector<std::string> many_lines;
  for (std::size_t i = 0; i < auth::KeyTable::kMemoKeys + 10; ++i)
    many_lines.push_back(auth::sha256_digest_line("k" + std::to_string(i)));
  const auth::KeyTable big({&many_lines, &beta});
  for (std::size_t i = 0; i < auth::KeyTable::kMemoKeys + 10; ++i) REQUIRE(big.find("k" + std::to_string(i)) == 0);
  CHECK(big.find("k0") == 0);
  CHECK(big.find("sk-beta") == 1);
  CHECK(big.find("k-unknown") == -1);
  // Two owners with one digest (the config check refuses it): the last wins.
  const auth::KeyTable twice({&beta, &beta});
  CHECK(twice.find("sk-beta") == 1);
}

TEST_CASE("break-even between remote prices and local hardware", "[cost][breakeven]") {
  auto remote = test::remote_backend("gpt4o", 2.50, 10.00);
  auto local = test::local_backend("qwen");  // 2 USD/h, 1 gpu, 2500 tok/s
  // Blended remote price at 75% input: 0.75×2.5e-6 + 0.25×10e-6 = 4.375e-6 per token.
  // Local: 48 USD/day → break-even 48 / 4.375e-6 ≈ 10.97 M tokens/day. Capacity 216 M/day.
  auto be = cost::break_even(remote, local, 20e6, 3000);
  CHECK(be.valid);
  CHECK(be.remote_usd_per_token == Approx(4.375e-6));
  CHECK(be.local_usd_per_day == Approx(48));
  CHECK(be.local_capacity_tokens_per_day == Approx(216e6));
  CHECK(be.break_even_tokens_per_day == Approx(48 / 4.375e-6));
  CHECK(be.local_cheaper_at_observed);
  CHECK(be.utilisation == Approx(20e6 / 216e6));
  CHECK(be.gpus_needed_for_peak == 2);  // 3000 tok/s at 2500 per gpu
  CHECK_FALSE(cost::break_even(remote, local, 1e6, 10).local_cheaper_at_observed);

  // Expensive hardware that can never beat a cheap API.
  auto mini = test::remote_backend("mini", 0.15, 0.60);  // blended 2.625e-7 per token
  auto pricey = local;
  pricey.cost.gpu_hour_usd = 10.0;  // 1.1e-6 per token even fully used
  be = cost::break_even(mini, pricey, 1e6, 10);
  CHECK(be.valid);
  CHECK(be.never_cheaper);

  // Missing hardware prices.
  config::BackendConfig bare;
  bare.name = "bare";
  be = cost::break_even(remote, bare, 1e6, 10);
  CHECK_FALSE(be.valid);
  CHECK(be.note.find("bare") != std::string::npos);
}

TEST_CASE("cost report: per route and backend, other targets, break-even", "[cost][report]") {
  auto cfg = test::make_config();
  cfg.routes[0].targets = {{"local-qwen", 1}, {"openai-gpt4o", 1}};
  std::vector<cost::UsageRow> day = {
      {"chat", "local-qwen", 3'000'000, 1'000'000, 0, 1000, 4e6 * 2.0 / (2500 * 3600.0), 400'000},
      {"chat", "openai-gpt4o", 750'000, 250'000, 100'000, 200, 0, 100'000},
  };
  const auto now = sys_days{2026y / November / 30} + 12h;
  auto rep = cost::cost_report(cfg, day, day, day, now);
  CHECK(rep.at("generated_at").as_string() == "2026-11-30T12:00:00Z");
  const auto& routes = rep.at("windows").at("day").at("routes").as_array();
  REQUIRE(routes.size() == 1);
  const auto& r = routes[0].as_object();
  CHECK(r.at("tokens").to_number<double>() == 5e6);
  const auto& backends = r.at("backends").as_array();
  REQUIRE(backends.size() == 2);
  const auto& lq = backends[0].as_object();
  CHECK(lq.at("backend").as_string() == "local-qwen");
  CHECK(lq.at("utilisation").to_number<double>() == Approx(4e6 / 216e6));
  CHECK(lq.at("gpus_needed_for_peak").to_number<double>() == 1);
  const auto& alt = lq.at("same_tokens_elsewhere").as_array()[0].as_object();
  CHECK(alt.at("backend").as_string() == "openai-gpt4o");
  CHECK(alt.at("basis").as_string() == "list price");
  CHECK(alt.at("cost_usd").to_number<double>() == Approx(3e6 * 2.5e-6 + 1e6 * 10e-6));
  const auto& be = lq.at("break_even").as_array()[0].as_object();
  CHECK(be.at("break_even_tokens_per_day").to_number<double>() == Approx(48 / 4.375e-6));
  const auto& og = backends[1].as_object();
  const auto& alt2 = og.at("same_tokens_elsewhere").as_array()[0].as_object();
  CHECK(alt2.at("basis").as_string() == "amortised");
  CHECK(alt2.at("cost_usd").to_number<double>() == Approx(1e6 * 2.0 / (2500 * 3600.0)));
  // Week window: per day volumes divided by 7.
  const auto& wk = rep.at("windows").at("week").at("routes").as_array()[0].as_object();
  CHECK(wk.at("tokens_per_day").to_number<double>() == Approx(5e6 / 7));

  const std::string table = cost::cost_report_table(rep);
  CHECK(table.find("== last day ==") != std::string::npos);
  CHECK(table.find("local-qwen") != std::string::npos);
  CHECK(table.find("break-even local-qwen vs openai-gpt4o") != std::string::npos);
}

TEST_CASE("rate limiter: a token estimate near 2^64 is refused, not wrapped", "[cost][ratelimit]") {
  cost::RateLimiter limiter;
  config::TenantConfig t;
  t.name = "huge";
  t.rate_limit.tokens_per_minute = 6000;
  const auto now = steady_clock::now();
  const auto v = limiter.admit(t, cost::saturating_add(100, UINT64_MAX - 50), now);
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == cost::RateLimiter::Limit::tokens_per_minute);
  CHECK(cost::saturating_add(UINT64_MAX - 1, 5) == UINT64_MAX);
  CHECK(cost::saturating_add(2, 3) == 5);
}

TEST_CASE("cost report: quality columns from shadow judgements, per window, shadow backend listed",
          "[cost][report][shadow]") {
  auto cfg = test::make_config();
  cfg.routes[0].targets = {{"openai-gpt4o", 1}};
  cfg.routes[0].shadow = config::ShadowConfig{"local-qwen", 0.05, 8};
  std::vector<cost::UsageRow> day = {{"chat", "openai-gpt4o", 1000, 500, 0, 10, 0.0075, 1500}};
  // 4 judgements: the remote won 2, the local 1, 1 tie; scores summed.
  std::vector<cost::QualityRow> quality = {{"chat", "openai-gpt4o", 4, 2, 1, 33},
                                           {"chat", "local-qwen", 4, 1, 1, 30}};
  const auto now = sys_days{2026y / November / 30} + 12h;
  auto rep = cost::cost_report(cfg, day, day, day, now, quality, quality, {});
  const auto& backends = rep.at("windows").at("day").at("routes").as_array()[0].at("backends").as_array();
  REQUIRE(backends.size() == 2);  // the shadow backend is listed although no client request went there
  const auto& remote = backends[0].as_object();
  CHECK(remote.at("backend").as_string() == "openai-gpt4o");
  const auto& rq = remote.at("quality").as_object();
  CHECK(rq.at("judged").to_number<double>() == 4);
  CHECK(rq.at("mean_judge_score").to_number<double>() == Approx(33.0 / 4));
  CHECK(rq.at("win_rate").to_number<double>() == Approx((2 + 0.5) / 4));
  CHECK(rq.at("losses").to_number<double>() == 1);
  const auto& local = backends[1].as_object();
  CHECK(local.at("backend").as_string() == "local-qwen");
  CHECK(local.at("requests").to_number<double>() == 0);
  CHECK(local.at("quality").at("mean_judge_score").to_number<double>() == Approx(7.5));
  CHECK(local.at("quality").at("win_rate").to_number<double>() == Approx((1 + 0.5) / 4));
  // Nothing judged in the month window: counts 0, mean and rate null.
  const auto& month = rep.at("windows").at("month").at("routes").as_array()[0].at("backends").as_array();
  CHECK(month[0].at("quality").at("judged").to_number<double>() == 0);
  CHECK(month[0].at("quality").at("mean_judge_score").is_null());
  CHECK(month[0].at("quality").at("win_rate").is_null());

  const std::string table = cost::cost_report_table(rep);
  CHECK(table.find("judged") != std::string::npos);
  CHECK(table.find("8.2") != std::string::npos);  // 33 / 4 = 8.25, one decimal
  CHECK(table.find("62%") != std::string::npos);  // (2 + 1/2) / 4
  CHECK(table.find("7.5") != std::string::npos);
}
