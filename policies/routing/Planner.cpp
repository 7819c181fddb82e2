#include "policies/routing/Planner.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdio>

#include "policies/cost/Pricing.hpp"

namespace hgw::routing {

namespace {

std::string usd(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "$%.6f", v);
  return buf;
}

std::string secs(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f s", v);
  return buf;
}

struct Cand {
  int idx = -1;                                // backend index
  const config::BackendConfig* b = nullptr;
  std::uint32_t weight = 1;
  double est = 0;
  size_t t = 0;                                // position in trace
  bool alive = true;                           // not rejected yet
};

void reject(Decision& d, Cand& c, const char* policy, std::string reason) {
  c.alive = false;
  auto& tr = d.trace[c.t];
  tr.verdict = Verdict::rejected;
  tr.order = -1;
  tr.policy = policy;
  tr.reason = std::move(reason);
}

template <class Cands>
size_t count_alive(const Cands& cs) {
  return static_cast<size_t>(std::count_if(cs.begin(), cs.end(), [](const Cand& c) { return c.alive; }));
}

void fail(Decision& d, int status, std::string code, std::string message) {
  d.order.clear();
  d.status = status;
  d.error_code = std::move(code);
  d.error_message = std::move(message);
}

}  // namespace

std::string rule_name(const config::RouteConfig& route, const config::WhenRule* rule) {
  if (!rule) return "default";
  if (!rule->name.empty()) return rule->name;
  for (size_t i = 0; i < route.when.size(); ++i)
    if (&route.when[i] == rule) return "when[" + std::to_string(i) + "]";
  return "when";
}

const config::WhenRule* match_rule(const config::RouteConfig& route, const config::TenantConfig* tenant,
                                   const policy::RequestFeatures& req) {
  for (const auto& w : route.when) {
    if (!w.tenants.empty()) {
      if (!tenant || std::find(w.tenants.begin(), w.tenants.end(), tenant->name) == w.tenants.end()) continue;
    }
    bool headers_ok = true;
    for (const auto& [name, value] : w.headers) {
      bool found = false;
      for (const auto& [hn, hv] : req.headers)
        if (hn == name && hv == value) {
          found = true;
          break;
        }
      if (!found) {
        headers_ok = false;
        break;
      }
    }
    if (!headers_ok) continue;
    if (w.min_prompt_tokens && req.estimated_prompt_tokens < *w.min_prompt_tokens) continue;
    if (w.max_prompt_tokens && req.estimated_prompt_tokens > *w.max_prompt_tokens) continue;
    if (w.has_tools && *w.has_tools != req.has_tools) continue;
    if (w.has_images && *w.has_images != req.has_images) continue;
    if (w.json_mode && *w.json_mode != req.json_mode) continue;
    return &w;
  }
  return nullptr;
}

double max_estimated_cost_usd(const config::Config& cfg, const config::RouteConfig& route,
                              const config::TenantConfig* tenant, const policy::RequestFeatures& req,
                              const std::vector<bool>* eligible) {
  const auto* rule = match_rule(route, tenant, req);
  const auto& targets = rule ? rule->targets : route.targets;
  double best = 0;
  for (const auto& t : targets) {
    const int i = cfg.backend_index(t.backend);
    if (i < 0) continue;
    if (eligible && (static_cast<std::size_t>(i) >= eligible->size() || !(*eligible)[static_cast<std::size_t>(i)]))
      continue;  // compliance keeps the request away from it: it cannot cost that much there
    best = std::max(best, cost::estimate_cost_usd(cost::pricing_of(cfg.backends[static_cast<std::size_t>(i)]),
                                                  req.estimated_prompt_tokens,
                                                  cost::estimated_output_tokens(req.max_tokens)));
  }
  return best;
}

Decision plan(const PlanInput& in) {
  Decision d;
  const auto& cfg = in.config;
  const auto& route = in.route;
  const auto& req = in.request;
  d.route = route.name;
  const config::WhenRule* rule = match_rule(route, in.tenant, req);
  d.rule = rule_name(route, rule);
  const auto& targets = rule ? rule->targets : route.targets;
  const config::Strategy strategy = rule && rule->strategy ? *rule->strategy : route.strategy;
  d.strategy = config::to_string(strategy);

  const std::uint64_t prompt = req.estimated_prompt_tokens;
  const std::uint64_t out_est = cost::estimated_output_tokens(req.max_tokens);
  const std::uint64_t need = cost::saturating_add(prompt, req.max_tokens);

  // Routes have a handful of targets: the candidate lists stay on the stack.
  boost::container::small_vector<Cand, 8> cands;
  cands.reserve(targets.size());
  d.trace.reserve(targets.size());
  d.order.reserve(targets.size());
  for (const auto& t : targets) {
    if (std::any_of(d.trace.begin(), d.trace.end(), [&](const CandidateTrace& c) { return c.backend == t.backend; }))
      continue;  // duplicate target
    Cand c;
    c.idx = cfg.backend_index(t.backend);
    c.weight = t.weight;
    c.t = d.trace.size();
    CandidateTrace tr;
    tr.backend = t.backend;
    if (c.idx >= 0) {
      c.b = &cfg.backends[static_cast<size_t>(c.idx)];
      c.est = cost::estimate_cost_usd(cost::pricing_of(*c.b), prompt, out_est);
      tr.estimated_cost_usd = c.est;
    }
    d.trace.push_back(std::move(tr));
    cands.push_back(c);
    if (c.idx < 0) reject(d, cands.back(), "config", "unknown backend");
  }

  // Tenant limited to some routes.
  if (in.tenant && !in.tenant->may_use(route.name)) {
    for (auto& c : cands)
      if (c.alive) reject(d, c, "tenant", "tenant may not use this route");
    fail(d, 403, "route_not_allowed",
         "Tenant '" + in.tenant->name + "' is not allowed to use route '" + route.name + "'.");
    return d;
  }

  // 1. Compliance.
  for (auto& c : cands) {
    if (!c.alive || !in.compliance_eligible) continue;
    const auto i = static_cast<size_t>(c.idx);
    const bool eligible = i < in.compliance_eligible->size() ? (*in.compliance_eligible)[i] : false;
    if (!eligible) {
      std::string reason;
      if (in.compliance_reasons && i < in.compliance_reasons->size()) reason = (*in.compliance_reasons)[i];
      if (reason.empty()) reason = "excluded by compliance rules";
      reject(d, c, "compliance", std::move(reason));
    }
  }
  if (count_alive(cands) == 0) {
    fail(d, 403, "compliance_forbidden",
         "No backend of route '" + route.name +
             "' may receive this request under the compliance rules (see the decision trace for each backend's reason).");
    return d;
  }

  // 2. Context window.
  std::uint32_t largest = 0;
  for (auto& c : cands) {
    if (!c.alive) continue;
    const auto cw = c.b->context_window;
    largest = std::max(largest, cw);
    if (cw > 0 && need > cw)
      reject(d, c, "context_window",
             "context_window " + std::to_string(cw) + " < " + std::to_string(need) + " estimated tokens");
  }
  if (count_alive(cands) == 0) {
    fail(d, 400, "context_length_exceeded",
         "This request needs about " + std::to_string(need) + " tokens (prompt " + std::to_string(prompt) +
             " + max_tokens " + std::to_string(req.max_tokens) + "), more than the context window of every eligible backend of route '" +
             route.name + "' (largest: " + std::to_string(largest) + "). Shorten the prompt or lower max_tokens.");
    return d;
  }

  // 3. Budget.
  if (in.budget.exhausted) {
    if (in.tenant && in.tenant->budget.on_exhausted == config::BudgetAction::downgrade) {
      d.downgraded = true;
      const bool any_local = std::any_of(cands.begin(), cands.end(), [](const Cand& c) {
        return c.alive && c.b->locality == config::Locality::local;
      });
      if (any_local) {
        for (auto& c : cands)
          if (c.alive && c.b->locality != config::Locality::local)
            reject(d, c, "budget", "budget exhausted: downgrade to local");
      } else {
        const Cand* cheapest = nullptr;
        for (const auto& c : cands)
          if (c.alive && (!cheapest || c.est < cheapest->est)) cheapest = &c;
        const size_t keep = cheapest->t;
        for (auto& c : cands)
          if (c.alive && c.t != keep) reject(d, c, "budget", "budget exhausted: downgrade to the cheapest target");
      }
    } else {
      for (auto& c : cands)
        if (c.alive) reject(d, c, "budget", in.budget.message());
      const std::string who = in.tenant ? "Tenant '" + in.tenant->name + "': " : std::string();
      fail(d, 429, "budget_exceeded", who + in.budget.message() + ".");
      if (in.now != std::chrono::system_clock::time_point{})
        d.retry_after_s = cost::seconds_until(in.budget.resets_at, in.now);
      return d;
    }
  }

  // 4. Health and circuit breakers.
  std::string down;
  for (auto& c : cands) {
    if (!c.alive) continue;
    const auto i = static_cast<size_t>(c.idx);
    const BackendRuntime rt = i < in.runtime.size() ? in.runtime[i] : BackendRuntime{};
    if (!rt.healthy) reject(d, c, "health", "health check: down");
    else if (rt.circuit_open) reject(d, c, "circuit_breaker", "circuit_open");
    else continue;
    if (!down.empty()) down += ", ";
    down += c.b->name + ": " + d.trace[c.t].reason;
  }
  if (count_alive(cands) == 0) {
    fail(d, 503, "no_healthy_backend",
         "No usable backend for route '" + route.name + "' right now: every eligible backend is down or has its circuit open (" +
             down + "). Retry later.");
    return d;
  }

  // 5. Strategy.
  boost::container::small_vector<Cand*, 8> usable;
  usable.reserve(cands.size());
  for (auto& c : cands)
    if (c.alive) usable.push_back(&c);
  auto runtime_of = [&](const Cand* c) {
    const auto i = static_cast<size_t>(c->idx);
    return i < in.runtime.size() ? in.runtime[i] : BackendRuntime{};
  };

  size_t primary = 0;
  std::string primary_reason;
  // Why the primary was chosen is made only for explain: live traffic never shows it.
  auto reason = [&](auto make) {
    if (in.explain) primary_reason = make();
  };
  bool cost_order = false;
  switch (strategy) {
  case config::Strategy::priority:
    reason([&] { return "first usable target in config order"; });
    break;
  case config::Strategy::weighted: {
    std::uint64_t total = 0;
    for (auto* c : usable) total += c->weight;
    if (in.weighted) {
      std::vector<std::pair<std::string, std::uint32_t>> ws;
      for (auto* c : usable) ws.emplace_back(c->b->name, c->weight);
      primary = static_cast<size_t>(std::max(0, in.weighted->pick(route.name + "\x1f" + d.rule, ws)));
    } else {
      for (size_t i = 1; i < usable.size(); ++i)
        if (usable[i]->weight > usable[primary]->weight) primary = i;
    }
    reason([&] { return "smooth weighted round-robin: weight " + std::to_string(usable[primary]->weight) + " of " +
                     std::to_string(total); });
    break;
  }
  case config::Strategy::cheapest:
    cost_order = true;
    std::stable_sort(usable.begin(), usable.end(), [](const Cand* a, const Cand* b) { return a->est < b->est; });
    reason([&] { return "cheapest estimated cost " + usd(usable[0]->est); });
    break;
  case config::Strategy::least_loaded: {
    auto load = [&](const Cand* c) {
      const double cap = c->b->max_concurrency ? static_cast<double>(c->b->max_concurrency) : 1e9;
      return runtime_of(c).inflight / cap;
    };
    for (size_t i = 1; i < usable.size(); ++i)
      if (load(usable[i]) < load(usable[primary])) primary = i;
    const auto* p = usable[primary];
    reason([&] { return "least loaded: " + std::to_string(runtime_of(p).inflight) + "/" +
                     (p->b->max_concurrency ? std::to_string(p->b->max_concurrency) : std::string("unlimited")) +
                     " in flight"; });
    break;
  }
  case config::Strategy::fastest: {
    const bool ttft = req.stream;
    size_t unsampled = usable.size();
    for (size_t i = 0; i < usable.size(); ++i)
      if (!runtime_of(usable[i]).has_samples) {
        unsampled = i;
        break;
      }
    auto metric = [&](const Cand* c) { return ttft ? runtime_of(c).ewma_ttft_s : runtime_of(c).ewma_latency_s; };
    if (unsampled < usable.size()) {
      primary = unsampled;
      reason([&] { return "no latency samples yet: probed first"; });
    } else {
      for (size_t i = 1; i < usable.size(); ++i)
        if (metric(usable[i]) < metric(usable[primary])) primary = i;
      reason([&] { return std::string("fastest: EWMA ") + (ttft ? "time to first token " : "latency ") +
                       secs(metric(usable[primary])); });
    }
    break;
  }
  }

  boost::container::small_vector<Cand*, 8> ordered;
  ordered.reserve(usable.size());
  ordered.push_back(usable[primary]);
  for (size_t i = 0; i < usable.size(); ++i)
    if (i != primary) ordered.push_back(usable[i]);
  for (size_t k = 0; k < ordered.size(); ++k) {
    auto& tr = d.trace[ordered[k]->t];
    tr.order = static_cast<int>(k);
    tr.policy = d.strategy;
    if (k == 0) {
      tr.verdict = Verdict::selected;
      tr.reason = primary_reason;
    } else {
      tr.verdict = Verdict::fallback;
      if (in.explain)
        tr.reason = "fallback " + std::to_string(k) +
                    (cost_order ? " (cost order, estimated " + usd(ordered[k]->est) + ")" : std::string(" (config order)"));
    }
    d.order.push_back(ordered[k]->idx);
  }
  return d;
}

}  // namespace hgw::routing
