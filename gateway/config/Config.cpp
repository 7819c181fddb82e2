#include "gateway/config/Config.hpp"

#include "gateway/config/ModelPattern.hpp"

#include <algorithm>

namespace hgw::config {

const BackendConfig* Config::find_backend(std::string_view name) const {
  for (const auto& b : backends)
    if (b.name == name) return &b;
  return nullptr;
}

int Config::backend_index(std::string_view name) const {
  for (size_t i = 0; i < backends.size(); ++i)
    if (backends[i].name == name) return static_cast<int>(i);
  return -1;
}

const RouteConfig* Config::find_route_by_model(std::string_view model) const {
  const RouteConfig* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& r : routes)
    for (const auto& name : r.models) {
      if (!is_model_pattern(name)) {
        if (name == model) return &r;  // an exact name wins over every pattern
      } else if (name.size() > best_length && model_matches(name, model)) {
        best = &r;
        best_length = name.size();
      }
    }
  return best;
}

const TenantConfig* Config::find_tenant(std::string_view name) const {
  for (const auto& t : tenants)
    if (t.name == name) return &t;
  return nullptr;
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::openai: return "openai";
    case Protocol::anthropic: return "anthropic";
    case Protocol::azure_openai: return "azure-openai";
    case Protocol::openai_responses: return "openai-responses";
  }
  return "openai";
}

const char* to_string(Locality l) { return l == Locality::local ? "local" : "remote"; }

namespace {
template <class E, std::size_t N>
const char* name_of(E e, const std::pair<E, const char*> (&names)[N]) {
  for (const auto& [v, n] : names)
    if (v == e) return n;
  return names[0].second;
}
template <class E, std::size_t N>
std::optional<E> value_of(std::string_view s, const std::pair<E, const char*> (&names)[N]) {
  for (const auto& [v, n] : names)
    if (s == n) return v;
  return std::nullopt;
}
constexpr std::pair<Strategy, const char*> kStrategies[] = {{Strategy::priority, "priority"},
                                                            {Strategy::cheapest, "cheapest"},
                                                            {Strategy::weighted, "weighted"},
                                                            {Strategy::least_loaded, "least_loaded"},
                                                            {Strategy::fastest, "fastest"}};
constexpr std::pair<BudgetAction, const char*> kBudgetActions[] = {{BudgetAction::reject, "reject"},
                                                                   {BudgetAction::downgrade, "downgrade"}};
constexpr std::pair<RuleAction, const char*> kRuleActions[] = {
    {RuleAction::route, "route"}, {RuleAction::redact, "redact"}, {RuleAction::block, "block"}};
constexpr std::pair<FilterAction, const char*> kFilterActions[] = {{FilterAction::mask, "mask"},
                                                                   {FilterAction::stop, "stop"}};
constexpr std::pair<StoreErrorPolicy, const char*> kStoreError[] = {{StoreErrorPolicy::serve_local, "serve_local"},
                                                                   {StoreErrorPolicy::reject, "reject"}};
constexpr std::pair<FsyncPolicy, const char*> kFsync[] = {
    {FsyncPolicy::none, "none"}, {FsyncPolicy::every, "every"}, {FsyncPolicy::interval, "interval"}};
}  // namespace

const char* to_string(Strategy e) { return name_of(e, kStrategies); }
const char* to_string(BudgetAction e) { return name_of(e, kBudgetActions); }
const char* to_string(RuleAction e) { return name_of(e, kRuleActions); }
const char* to_string(FilterAction e) { return name_of(e, kFilterActions); }
const char* to_string(FsyncPolicy e) { return name_of(e, kFsync); }
const char* to_string(StoreErrorPolicy e) { return name_of(e, kStoreError); }
std::optional<StoreErrorPolicy> store_error_policy_from_string(std::string_view s) { return value_of(s, kStoreError); }
std::optional<Strategy> strategy_from_string(std::string_view s) { return value_of(s, kStrategies); }
std::optional<BudgetAction> budget_action_from_string(std::string_view s) { return value_of(s, kBudgetActions); }
std::optional<RuleAction> rule_action_from_string(std::string_view s) { return value_of(s, kRuleActions); }
std::optional<FilterAction> filter_action_from_string(std::string_view s) { return value_of(s, kFilterActions); }
std::optional<FsyncPolicy> fsync_from_string(std::string_view s) { return value_of(s, kFsync); }

}  // namespace hgw::config
