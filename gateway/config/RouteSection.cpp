// routes[]: client-facing model names -> an ordered set of backend targets.
#include <algorithm>
#include <cctype>
#include <set>

#include "gateway/config/KnownNames.hpp"
#include "gateway/config/Sections.hpp"

namespace hgw::config {

namespace {

// `[a, b]` or `[{backend: a, weight: 3}, ...]` (the two forms may be mixed).
std::vector<Target> parse_targets(Diagnostics& diag, const Value& v) {
  std::vector<Target> out;
  for (const auto& item : read_sequence(diag, v)) {
    Target t;
    if (item.node.IsScalar()) {
      t.backend = item.node.Scalar();
    } else if (item.node.IsMap()) {
      MapReader m(diag, item.path, {item});
      m.read("backend", t.backend, true);
      m.read("weight", t.weight, 1);
      m.finish();
    } else {
      diag.error(item.where, item.path,
                 "expected a backend name or {backend: NAME, weight: N}, got " + describe(item.node));
      continue;
    }
    if (t.backend.empty()) continue;
    out.push_back(std::move(t));
  }
  return out;
}

void parse_when_rule(Diagnostics& diag, const Value& v, WhenRule& w) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("name", w.name);
  check_name(diag, child_path(m->path(), "name"), w.name);
  m->read("tenants", w.tenants);
  if (auto h = m->get("headers")) {
    if (auto hm = MapReader::open(diag, *h)) {
      if (h->node.IsMap()) {
        std::set<std::string> seen;  // get() already reports a repeated key once
        for (auto it = h->node.begin(); it != h->node.end(); ++it) {
          // finish() reports a non-string key
          if (!it->first.IsScalar() || !seen.insert(it->first.Scalar()).second) continue;
          auto value = hm->get(it->first.Scalar());
          auto s = value ? read_string(diag, *value) : std::nullopt;
          if (!s) continue;
          // Header names are case-insensitive: the policies compare lowercase names.
          std::string lower = it->first.Scalar();
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          w.headers.emplace(lower, *s);
        }
      }
      hm->finish();
    }
  }
  m->read("min_prompt_tokens", w.min_prompt_tokens);
  m->read("max_prompt_tokens", w.max_prompt_tokens);
  m->read("has_tools", w.has_tools);
  m->read("has_images", w.has_images);
  m->read("json_mode", w.json_mode);
  if (auto t = m->get("targets")) w.targets = parse_targets(diag, *t);
  {
    Strategy s{};
    if (m->read_enum("strategy", s, known::strategies, strategy_from_string)) w.strategy = s;
  }
  m->finish();
  if (w.min_prompt_tokens && w.max_prompt_tokens && *w.min_prompt_tokens > *w.max_prompt_tokens)
    diag.error(m->where(), m->path(), "min_prompt_tokens is larger than max_prompt_tokens: the rule never matches");
}

void parse_retry(Diagnostics& diag, const Value& v, RetryConfig& r) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("attempts", r.attempts, 1);
  m->read("backoff_ms", r.backoff_ms);
  m->read("max_backoff_ms", r.max_backoff_ms);
  m->read("budget_ratio", r.budget_ratio, 0.0, 1.0);
  m->read("budget_window_ms", r.budget_window_ms, 1);
  m->read("budget_min_retries", r.budget_min_retries);
  if (r.max_backoff_ms < r.backoff_ms)
    diag.error(m->where(), m->path(), "max_backoff_ms (" + std::to_string(r.max_backoff_ms) +
                                          ") is smaller than backoff_ms (" + std::to_string(r.backoff_ms) + ")");
  m->finish();
}

void parse_failover(Diagnostics& diag, const Value& v, FailoverConfig& f) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  if (auto on = m->get("on")) {
    std::vector<std::string> triggers;
    for (const auto& item : read_sequence(diag, *on))
      if (auto s = read_enum(diag, item, known::failover_triggers)) triggers.push_back(*s);
    if (on->node.IsSequence() || on->node.IsNull()) f.on = std::move(triggers);
  }
  std::string mid_stream;
  if (m->read_enum("mid_stream", mid_stream, known::mid_stream_policies)) f.mid_stream_continue = mid_stream == "continue";
  m->finish();
}

void parse_shadow(Diagnostics& diag, const Value& v, ShadowConfig& s) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("backend", s.backend, true);
  // A probability from 0 to 1, asked for explicitly: nothing is mirrored by default.
  if (auto sample = m->get_required("sample"))
    if (auto x = read_number(diag, *sample, 0.0, 1.0)) s.sample = *x;
  m->read("max_inflight", s.max_inflight, 1);
  m->finish();
}

void parse_judge(Diagnostics& diag, const Value& v, JudgeConfig& j) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("backend", j.backend, true);
  if (auto sample = m->get_required("sample"))
    if (auto x = read_number(diag, *sample, 0.0, 1.0)) j.sample = *x;
  m->finish();
}

}  // namespace

void parse_route(Diagnostics& diag, const Value& v, RouteConfig& r) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  if (m->read("name", r.name, true)) check_name(diag, child_path(m->path(), "name"), r.name);
  if (auto models = m->get_required("models")) {
    if (auto list = read_string_list(diag, *models)) {
      r.models = std::move(*list);
      if (r.models.empty() && (models->node.IsSequence() || models->node.IsNull()))
        diag.error(models->where, models->path, "a route needs at least one model name");
      for (std::size_t i = 0; i < r.models.size(); ++i)
        if (r.models[i].empty()) diag.error_at(index_path(models->path, i), "model name must not be empty");
    }
  }
  m->read_enum("strategy", r.strategy, known::strategies, strategy_from_string);
  if (auto t = m->get_required("targets")) {
    r.targets = parse_targets(diag, *t);
    if (r.targets.empty() && (t->node.IsSequence() || t->node.IsNull()))
      diag.error(t->where, t->path, "a route needs at least one target backend");
  }
  if (auto w = m->get("when")) {
    auto items = read_sequence(diag, *w);
    r.when.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) parse_when_rule(diag, items[i], r.when[i]);
  }
  if (auto rt = m->get("retry")) parse_retry(diag, *rt, r.retry);
  if (auto f = m->get("failover")) parse_failover(diag, *f, r.failover);
  m->read("deadline_ms", r.deadline_ms);
  if (auto sh = m->get("shadow")) parse_shadow(diag, *sh, r.shadow.emplace());
  if (auto j = m->get("judge")) parse_judge(diag, *j, r.judge.emplace());
  m->finish();

  // A when-rule without targets uses the route's, so that nothing downstream
  // ever sees a rule with no target; rules default to the route's strategy too.
  for (std::size_t i = 0; i < r.when.size(); ++i) {
    auto& w = r.when[i];
    if (w.name.empty()) w.name = "when" + std::to_string(i + 1);
    if (w.targets.empty()) w.targets = r.targets;
    if (!w.strategy) w.strategy = r.strategy;
  }
}

}  // namespace hgw::config
