// tenants[]: who may call, with which keys, limits and budgets.
#include <algorithm>
#include <cctype>

#include "gateway/config/KnownNames.hpp"
#include "gateway/config/Sections.hpp"

namespace hgw::config {

namespace {

// Keys are stored as digests so the config never holds a usable secret.
bool is_key_digest(const std::string& s) {
  constexpr std::string_view prefix = "sha256:";
  if (!s.starts_with(prefix) || s.size() != prefix.size() + 64) return false;
  return std::all_of(s.begin() + prefix.size(), s.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

void parse_budget(Diagnostics& diag, const Value& v, BudgetConfig& b) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("daily_usd", b.daily_usd, 0.0, 1e12);
  m->read("monthly_usd", b.monthly_usd, 0.0, 1e12);
  m->read_enum("on_exhausted", b.on_exhausted, known::on_exhausted, budget_action_from_string);
  m->finish();
}

void parse_rate_limit(Diagnostics& diag, const Value& v, RateLimitConfig& r) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("requests_per_minute", r.requests_per_minute, 1);
  m->read("tokens_per_minute", r.tokens_per_minute, 1);
  m->finish();
}

}  // namespace

void parse_tenant(Diagnostics& diag, const Value& v, TenantConfig& t) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  if (m->read("name", t.name, true)) check_name(diag, child_path(m->path(), "name"), t.name);
  if (auto keys = m->get("keys")) {
    for (const auto& item : read_sequence(diag, *keys)) {
      auto s = read_string(diag, item);
      if (!s) continue;
      if (!is_key_digest(*s)) {
        diag.error(item.where, item.path,
                   "a key must be 'sha256:' followed by 64 hex digits (the digest, never the key itself; "
                   "`hybridgw hash-key` prints it)");
        continue;
      }
      std::string lower = *s;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      t.keys.push_back(lower);
    }
  }
  m->read("region", t.region);
  m->read("data_class", t.data_class);
  m->read("routes", t.routes);
  m->read("export_basis", t.export_basis);
  if (auto b = m->get("budget")) parse_budget(diag, *b, t.budget);
  if (auto r = m->get("rate_limit")) parse_rate_limit(diag, *r, t.rate_limit);
  {
    config::StoreErrorPolicy policy{};
    if (m->read_enum("on_store_error", policy, known::store_error_policies, store_error_policy_from_string))
      t.on_store_error = policy;
  }
  m->finish();
  if (t.keys.empty() && !t.name.empty() && !m->has("keys"))
    diag.warning("tenant " + t.name + " has no keys: no request can authenticate as it");
}

}  // namespace hgw::config
