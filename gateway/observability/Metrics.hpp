// Prometheus metrics of DESIGN.md §5. The registry and the metric families live
// as long as the process (so counters survive a config reload); MetricHandles
// resolves, once per loaded config, the time series every request touches, so
// the hot path indexes arrays instead of hashing label sets.
#pragma once

#include "gateway/config/Config.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <boost/unordered/unordered_flat_map.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hgw::obs {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

class Metrics {
 public:
  Metrics();
  std::string serialize() const;  // Prometheus text format 0.0.4

  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;  // first: the families below live in it

 public:
  Family<Counter>& requests_total;
  Family<Histogram>& request_duration;
  Family<Histogram>& time_to_first_token;
  Family<Histogram>& gateway_overhead;
  Family<Counter>& tokens_total;
  Family<Counter>& cost_usd_total;
  Family<Counter>& attempts_total;
  Family<Counter>& failovers_total;
  Family<Gauge>& backend_healthy;
  Family<Gauge>& circuit_state;
  Family<Gauge>& backend_inflight;
  Family<Gauge>& budget_spent;
  Family<Gauge>& budget_limit;
  Family<Counter>& rate_limited_total;
  Family<Counter>& pii_detections_total;
  Family<Counter>& compliance_decisions_total;
  // Shadow traffic and its judge (gateway/shadow/).
  Family<Counter>& shadow_requests_total;
  Family<Counter>& shadow_cost_usd_total;
  Family<Histogram>& judge_score;
  Family<Counter>& judge_wins_total;
  Family<Counter>& judgements_total;
  Family<Counter>& config_reloads_total;
  Family<Counter>& stream_errors_total;
  Family<Counter>& stream_continuations_total;
  Family<Gauge>& state_store_degraded;
};

// Handles for one config snapshot. Route, backend and tenant are indices into
// the config's vectors; -1 means "none" (e.g. a request rejected before routing).
class MetricHandles {
 public:
  MetricHandles(Metrics& metrics, const config::Config& config);

  Counter& requests(int route, int backend, int tenant, unsigned code);
  Histogram& duration(int route, int backend);
  Histogram& ttft(int route, int backend);
  Histogram& overhead(int route);
  Counter& tokens(int route, int backend, int tenant, int kind);  // 0 input, 1 output, 2 cached
  Counter& cost(int route, int backend, int tenant);
  Counter& attempts(int backend, const char* outcome);
  Counter& failovers(int route, int from, int to, const char* reason);
  Gauge& inflight(int backend) { return *inflight_[backend]; }
  Gauge& healthy(int backend) { return *healthy_[backend]; }
  Gauge& circuit(int backend) { return *circuit_[backend]; }
  Counter& rate_limited(int tenant, const char* kind);
  Counter& pii(const std::string& type, const char* action);
  Counter& compliance(const std::string& rule, const char* outcome);
  // Shadow traffic: a mirrored request's outcome, what shadow and judge calls
  // cost, the judge's scores and pairwise winners (a backend name or "tie"),
  // and each judgement's outcome (backend = the judge).
  Counter& shadow(int route, int backend, const char* outcome);
  Counter& shadow_cost(int route, int backend);
  Histogram& judge_score(int route, int backend);
  Counter& judge_wins(int route, const std::string& winner);
  Counter& judgements(int route, int judge, const char* outcome);
  Gauge& budget_spent(int tenant, const char* window);
  Gauge& budget_limit(int tenant, const char* window);
  Counter& stream_errors(int route, int backend, const char* reason);
  Counter& stream_continuations(int route, int from, int to, const char* reason);

  const std::string& route_name(int route) const;
  const std::string& backend_name(int backend) const;
  const std::string& tenant_name(int tenant) const;

 private:
  // Series with a label from a small open set (code, outcome, reason) are
  // created on first use and then found by an integer key.
  template <class T>
  T& cached(boost::unordered_flat_map<std::string, T*>& cache, const std::string& key,
            Family<T>& family, const prometheus::Labels& labels);
  // The hot series (per request) are found again through a per-thread table
  // keyed by integers: no string building and no lock after the first use.
  template <class T, class Make>
  T& per_thread(int tag, std::uint64_t a, std::uint64_t b, Make make);

  std::uint64_t id_;  // distinguishes the handles of successive configs

  Metrics& metrics_;
  std::vector<std::string> routes_, backends_, localities_, tenants_;
  std::vector<Histogram*> duration_, ttft_;  // [route * (B+1) + backend + 1]
  std::vector<Histogram*> overhead_;         // [route + 1]
  std::vector<Gauge*> inflight_, healthy_, circuit_;
  std::mutex mutex_;
  boost::unordered_flat_map<std::string, Counter*> counters_;
  boost::unordered_flat_map<std::string, Gauge*> gauges_;
  boost::unordered_flat_map<std::string, Histogram*> histograms_;
};

}  // namespace hgw::obs
