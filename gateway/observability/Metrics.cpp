#include "gateway/observability/Metrics.hpp"

#include <prometheus/text_serializer.h>

#include <atomic>
#include <sstream>

namespace hgw::obs {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Latency buckets from 1 ms to 5 min cover short calls and long generations;
// the overhead histogram needs sub-millisecond resolution instead.
const Histogram::BucketBoundaries kLatencyBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                  1,     2.5,    5,     10,   30,    60,   120, 300};
const Histogram::BucketBoundaries kOverheadBuckets{0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                   0.0025,  0.005,  0.01,    0.025,  0.1};
const std::string kNone = "none";
// The judge scores answers from 1 to 10, in whole points.
const Histogram::BucketBoundaries kScoreBuckets{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

template <class Builder>
auto& in(Builder&& b, prometheus::Registry& r, const char* name, const char* help) {
  return b.Name(name).Help(help).Register(r);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_total(in(BuildCounter(), *registry_, "hybridgw_requests_total",
                        "Requests by route, answering backend, tenant and HTTP status")),
      request_duration(in(BuildHistogram(), *registry_, "hybridgw_request_duration_seconds",
                          "Time from request received to last response byte")),
      time_to_first_token(in(BuildHistogram(), *registry_, "hybridgw_time_to_first_token_seconds",
                             "Time from request received to the first token sent to the client")),
      gateway_overhead(in(BuildHistogram(), *registry_, "hybridgw_gateway_overhead_seconds",
                          "Time spent inside the gateway, excluding waiting for upstreams")),
      tokens_total(in(BuildCounter(), *registry_, "hybridgw_tokens_total",
                      "Tokens from upstream usage, by kind (input, output, cached)")),
      cost_usd_total(in(BuildCounter(), *registry_, "hybridgw_cost_usd_total",
                        "Cost in USD computed from actual usage and backend prices")),
      attempts_total(in(BuildCounter(), *registry_, "hybridgw_attempts_total",
                        "Upstream attempts by backend and outcome")),
      failovers_total(in(BuildCounter(), *registry_, "hybridgw_failovers_total",
                         "Moves from one backend to another within a request")),
      backend_healthy(
          in(BuildGauge(), *registry_, "hybridgw_backend_healthy", "1 when the backend is considered up")),
      circuit_state(in(BuildGauge(), *registry_, "hybridgw_circuit_state",
                       "Circuit breaker state: 0 closed, 1 open, 2 half-open")),
      backend_inflight(in(BuildGauge(), *registry_, "hybridgw_backend_inflight",
                          "Requests currently in flight to the backend")),
      budget_spent(
          in(BuildGauge(), *registry_, "hybridgw_budget_spent_usd", "Spend in the current budget window")),
      budget_limit(in(BuildGauge(), *registry_, "hybridgw_budget_limit_usd", "Budget limit of the window")),
      rate_limited_total(
          in(BuildCounter(), *registry_, "hybridgw_rate_limited_total", "Requests refused by a rate limit")),
      pii_detections_total(in(BuildCounter(), *registry_, "hybridgw_pii_detections_total",
                              "Sensitive-data detections by type and action")),
      compliance_decisions_total(in(BuildCounter(), *registry_, "hybridgw_compliance_decisions_total",
                                    "Compliance rule evaluations by rule and outcome")),
      shadow_requests_total(in(BuildCounter(), *registry_, "hybridgw_shadow_requests_total",
                               "Requests mirrored to a route's shadow backend, by outcome")),
      shadow_cost_usd_total(in(BuildCounter(), *registry_, "hybridgw_shadow_cost_usd_total",
                               "Cost in USD of shadow and judge calls, by the backend that answered them")),
      judge_score(in(BuildHistogram(), *registry_, "hybridgw_judge_score",
                     "Judge scores (1-10) of primary and shadow answers, by the backend that answered")),
      judge_wins_total(in(BuildCounter(), *registry_, "hybridgw_judge_wins_total",
                          "Pairwise judgements (both orders) by winner: a backend name or tie")),
      judgements_total(in(BuildCounter(), *registry_, "hybridgw_judgements_total",
                          "Judgements of shadow answers by judge backend and outcome")),
      config_reloads_total(
          in(BuildCounter(), *registry_, "hybridgw_config_reloads_total", "Configuration reloads by result")),
      stream_errors_total(in(BuildCounter(), *registry_, "hybridgw_stream_errors_total",
                             "Streams that broke after bytes reached the client")),
      stream_continuations_total(in(BuildCounter(), *registry_, "hybridgw_stream_continuations_total",
                                    "Broken streams continued on another backend from their partial answer")),
      state_store_degraded(in(BuildGauge(), *registry_, "hybridgw_state_store_degraded",
                              "1 while the shared state store cannot decide budgets and rate limits")) {}

std::string Metrics::serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, registry_->Collect());
  return out.str();
}

namespace {
std::atomic<std::uint64_t> next_handles_id{1};

struct SeriesKey {
  std::uint64_t handles, a, b;
  int tag;
  bool operator==(const SeriesKey&) const = default;
};
struct SeriesKeyHash {
  std::size_t operator()(const SeriesKey& k) const {
    std::size_t h = k.handles * 0x9E3779B97F4A7C15ull;
    h ^= k.a + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= k.b + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h ^ static_cast<std::size_t>(k.tag);
  }
};
}  // namespace

template <class T, class Make>
T& MetricHandles::per_thread(int tag, std::uint64_t a, std::uint64_t b, Make make) {
  thread_local boost::unordered_flat_map<SeriesKey, T*, SeriesKeyHash> table;
  const SeriesKey key{id_, a, b, tag};
  if (auto it = table.find(key); it != table.end()) return *it->second;
  T& series = make();
  table.emplace(key, &series);
  return series;
}

MetricHandles::MetricHandles(Metrics& metrics, const config::Config& config)
    : metrics_(metrics), id_(next_handles_id.fetch_add(1)) {
  for (const auto& r : config.routes) routes_.push_back(r.name);
  for (const auto& b : config.backends) {
    backends_.push_back(b.name);
    localities_.push_back(config::to_string(b.locality));
  }
  for (const auto& t : config.tenants) tenants_.push_back(t.name);

  const size_t stride = backends_.size() + 1;
  duration_.resize((routes_.size() + 1) * stride);
  ttft_.resize(duration_.size());
  for (int r = -1; r < static_cast<int>(routes_.size()); ++r) {
    for (int b = -1; b < static_cast<int>(backends_.size()); ++b) {
      const size_t i = (r + 1) * stride + (b + 1);
      prometheus::Labels labels{{"route", route_name(r)}, {"backend", backend_name(b)}};
      duration_[i] = &metrics.request_duration.Add(labels, kLatencyBuckets);
      ttft_[i] = &metrics.time_to_first_token.Add(labels, kLatencyBuckets);
    }
    overhead_.push_back(&metrics.gateway_overhead.Add({{"route", route_name(r)}}, kOverheadBuckets));
  }
  for (const auto& name : backends_) {
    inflight_.push_back(&metrics.backend_inflight.Add({{"backend", name}}));
    healthy_.push_back(&metrics.backend_healthy.Add({{"backend", name}}));
    circuit_.push_back(&metrics.circuit_state.Add({{"backend", name}}));
  }
}

const std::string& MetricHandles::route_name(int r) const { return r < 0 ? kNone : routes_[r]; }
const std::string& MetricHandles::backend_name(int b) const { return b < 0 ? kNone : backends_[b]; }
const std::string& MetricHandles::tenant_name(int t) const {
  static const std::string anonymous = "anonymous";
  return t < 0 ? anonymous : tenants_[t];
}

template <class T>
T& MetricHandles::cached(boost::unordered_flat_map<std::string, T*>& cache, const std::string& key,
                         Family<T>& family, const prometheus::Labels& labels) {
  std::lock_guard lock(mutex_);
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  T& series = family.Add(labels);
  cache.emplace(key, &series);
  return series;
}

namespace {
// A compact cache key: the family tag and the integer/label parts.
template <class... Parts>
std::string key_of(const Parts&... parts) {
  std::string k;
  ((k += parts, k += '\x1f'), ...);
  return k;
}
std::string num(long v) { return std::to_string(v); }
}  // namespace

Counter& MetricHandles::requests(int route, int backend, int tenant, unsigned code) {
  const auto a = (static_cast<std::uint64_t>(route + 1) << 32) | static_cast<std::uint32_t>(backend + 1);
  const auto b = (static_cast<std::uint64_t>(tenant + 1) << 32) | code;
  return per_thread<Counter>(0, a, b, [&]() -> Counter& {
    return cached(counters_, key_of("req", num(route), num(backend), num(tenant), num(code)),
                  metrics_.requests_total,
                  {{"route", route_name(route)},
                   {"backend", backend_name(backend)},
                   {"locality", backend < 0 ? kNone : localities_[backend]},
                   {"tenant", tenant_name(tenant)},
                   {"code", std::to_string(code)}});
  });
}

Histogram& MetricHandles::duration(int route, int backend) {
  return *duration_[(route + 1) * (backends_.size() + 1) + backend + 1];
}
Histogram& MetricHandles::ttft(int route, int backend) {
  return *ttft_[(route + 1) * (backends_.size() + 1) + backend + 1];
}
Histogram& MetricHandles::overhead(int route) { return *overhead_[route + 1]; }

Counter& MetricHandles::tokens(int route, int backend, int tenant, int kind) {
  static const char* kinds[] = {"input", "output", "cached"};
  const auto a = (static_cast<std::uint64_t>(route + 1) << 32) | static_cast<std::uint32_t>(backend + 1);
  const auto b = (static_cast<std::uint64_t>(tenant + 1) << 32) | static_cast<std::uint32_t>(kind);
  return per_thread<Counter>(1, a, b, [&]() -> Counter& {
    return cached(counters_, key_of("tok", num(route), num(backend), num(tenant), num(kind)),
                  metrics_.tokens_total,
                  {{"route", route_name(route)},
                   {"backend", backend_name(backend)},
                   {"tenant", tenant_name(tenant)},
                   {"kind", kinds[kind]}});
  });
}

Counter& MetricHandles::cost(int route, int backend, int tenant) {
  const auto a = (static_cast<std::uint64_t>(route + 1) << 32) | static_cast<std::uint32_t>(backend + 1);
  return per_thread<Counter>(2, a, static_cast<std::uint64_t>(tenant + 1), [&]() -> Counter& {
    return cached(
        counters_, key_of("cost", num(route), num(backend), num(tenant)), metrics_.cost_usd_total,
        {{"route", route_name(route)}, {"backend", backend_name(backend)}, {"tenant", tenant_name(tenant)}});
  });
}

// outcome is one of the static names of failover::to_string: its address
// identifies it.
Counter& MetricHandles::attempts(int backend, const char* outcome) {
  return per_thread<Counter>(3, static_cast<std::uint64_t>(backend + 1), reinterpret_cast<std::uintptr_t>(outcome),
                    [&]() -> Counter& {
                      return cached(counters_, key_of("att", num(backend), outcome), metrics_.attempts_total,
                                    {{"backend", backend_name(backend)}, {"outcome", outcome}});
                    });
}

Counter& MetricHandles::failovers(int route, int from, int to, const char* reason) {
  return cached(counters_, key_of("fo", num(route), num(from), num(to), reason), metrics_.failovers_total,
                {{"route", route_name(route)},
                 {"from", backend_name(from)},
                 {"to", backend_name(to)},
                 {"reason", reason}});
}

Counter& MetricHandles::rate_limited(int tenant, const char* kind) {
  return cached(counters_, key_of("rl", num(tenant), kind), metrics_.rate_limited_total,
                {{"tenant", tenant_name(tenant)}, {"kind", kind}});
}

Counter& MetricHandles::pii(const std::string& type, const char* action) {
  return cached(counters_, key_of("pii", type, action), metrics_.pii_detections_total,
                {{"type", type}, {"action", action}});
}

Counter& MetricHandles::compliance(const std::string& rule, const char* outcome) {
  return cached(counters_, key_of("cd", rule, outcome), metrics_.compliance_decisions_total,
                {{"rule", rule}, {"outcome", outcome}});
}

Counter& MetricHandles::shadow(int route, int backend, const char* outcome) {
  return cached(counters_, key_of("sh", num(route), num(backend), outcome), metrics_.shadow_requests_total,
                {{"route", route_name(route)}, {"backend", backend_name(backend)}, {"outcome", outcome}});
}

Counter& MetricHandles::shadow_cost(int route, int backend) {
  return cached(counters_, key_of("shc", num(route), num(backend)), metrics_.shadow_cost_usd_total,
                {{"route", route_name(route)}, {"backend", backend_name(backend)}});
}

Histogram& MetricHandles::judge_score(int route, int backend) {
  const auto key = key_of("js", num(route), num(backend));
  std::lock_guard lock(mutex_);
  if (auto it = histograms_.find(key); it != histograms_.end()) return *it->second;
  Histogram& series = metrics_.judge_score.Add({{"route", route_name(route)}, {"backend", backend_name(backend)}},
                                               kScoreBuckets);
  histograms_.emplace(key, &series);
  return series;
}

Counter& MetricHandles::judge_wins(int route, const std::string& winner) {
  return cached(counters_, key_of("jw", num(route), winner), metrics_.judge_wins_total,
                {{"route", route_name(route)}, {"winner", winner}});
}

Counter& MetricHandles::judgements(int route, int judge, const char* outcome) {
  return cached(counters_, key_of("jd", num(route), num(judge), outcome), metrics_.judgements_total,
                {{"route", route_name(route)}, {"backend", backend_name(judge)}, {"outcome", outcome}});
}

// Set on every request of a tenant with a budget: found in the thread's own
// table first (the window's text is a literal, its address a fine key).
Gauge& MetricHandles::budget_spent(int tenant, const char* window) {
  return per_thread<Gauge>(4, static_cast<std::uint64_t>(tenant + 1), reinterpret_cast<std::uintptr_t>(window),
                           [&]() -> Gauge& {
                             return cached(gauges_, key_of("bs", num(tenant), window), metrics_.budget_spent,
                                           {{"tenant", tenant_name(tenant)}, {"window", window}});
                           });
}

Gauge& MetricHandles::budget_limit(int tenant, const char* window) {
  return per_thread<Gauge>(5, static_cast<std::uint64_t>(tenant + 1), reinterpret_cast<std::uintptr_t>(window),
                           [&]() -> Gauge& {
                             return cached(gauges_, key_of("bl", num(tenant), window), metrics_.budget_limit,
                                           {{"tenant", tenant_name(tenant)}, {"window", window}});
                           });
}

Counter& MetricHandles::stream_continuations(int route, int from, int to, const char* reason) {
  return cached(counters_, key_of("sc", num(route), num(from), num(to), reason), metrics_.stream_continuations_total,
                {{"route", route_name(route)},
                 {"from", backend_name(from)},
                 {"to", backend_name(to)},
                 {"reason", reason}});
}

Counter& MetricHandles::stream_errors(int route, int backend, const char* reason) {
  return cached(counters_, key_of("se", num(route), num(backend), reason), metrics_.stream_errors_total,
                {{"route", route_name(route)}, {"backend", backend_name(backend)}, {"reason", reason}});
}

}  // namespace hgw::obs
