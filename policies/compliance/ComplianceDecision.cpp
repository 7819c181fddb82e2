#include "policies/compliance/ComplianceDecision.hpp"

#include <algorithm>

namespace hgw::compliance {

bool ComplianceDecision::any_eligible() const {
  if (action == Action::block) return false;
  return std::any_of(backends.begin(), backends.end(),
                     [](const BackendVerdict& v) { return v.eligible; });
}

const char* to_string(ComplianceDecision::Action a) {
  switch (a) {
    case ComplianceDecision::Action::route: return "route";
    case ComplianceDecision::Action::redact: return "redact";
    case ComplianceDecision::Action::block: return "block";
  }
  return "route";
}

int class_rank(const std::vector<std::string>& classes, std::string_view name) {
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (classes[i] == name) return static_cast<int>(i);
  return -1;
}

bool glob_match(std::string_view p, std::string_view t, char any_one) {
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] != '*' && ((any_one != '\0' && p[pi] == any_one) || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

namespace {

std::string list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool any_glob(const std::vector<std::string>& globs, std::string_view x) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return glob_match(g, x); });
}

std::string safe_label(std::string_view s) {  // header values echoed in notes: short, printable
  std::string out;
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

ComplianceDecision decide(const config::ComplianceConfig& cfg,
                          const std::vector<config::BackendConfig>& backends,
                          const config::TenantConfig* tenant, std::string_view header_class,
                          const std::vector<Finding>& findings, std::string_view scan_failure,
                          std::string_view conversation_class) {
  ComplianceDecision d;
  const auto& classes = cfg.classes;
  const int top = classes.empty() ? 0 : static_cast<int>(classes.size()) - 1;
  auto rank_of = [&](std::string_view name) { return class_rank(classes, name); };
  auto raise = [&](int r) { d.class_rank = std::max(d.class_rank, r); };

  if (tenant && !tenant->data_class.empty()) {
    int r = rank_of(tenant->data_class);
    if (r < 0) {
      d.notes.push_back("tenant data class '" + tenant->data_class + "' is unknown: treated as the highest class");
      r = top;
    }
    raise(r);
  }
  if (!conversation_class.empty()) {
    int r = rank_of(conversation_class);
    if (r < 0) {
      d.notes.push_back("the conversation's data class '" + safe_label(conversation_class) +
                        "' is unknown (the classes changed since): treated as the highest class");
      r = top;
    } else if (r > d.class_rank) {
      d.notes.push_back("raised to '" + std::string(conversation_class) +
                        "' by an earlier turn of the conversation (previous_response_id)");
    }
    raise(r);
  }
  if (!header_class.empty()) {
    int r = rank_of(header_class);
    if (r < 0) {
      d.notes.push_back("x-hybridgw-data-class '" + safe_label(header_class) +
                        "' is not a known class: treated as the highest class");
      r = top;
    } else if (r < d.class_rank) {
      d.notes.push_back("x-hybridgw-data-class '" + safe_label(header_class) +
                        "' cannot lower the class");
    }
    raise(r);
  }
  for (const auto& f : findings) ++d.detected[f.type];
  for (const auto& [type, count] : d.detected) {
    auto it = cfg.classify.find(type);
    if (it == cfg.classify.end()) continue;
    int r = rank_of(it->second);
    raise(r < 0 ? top : r);
  }
  if (!scan_failure.empty()) {
    d.notes.push_back("not scanned completely (" + std::string(scan_failure) + "): treated as the highest class");
    raise(top);
  }
  if (!classes.empty()) d.data_class = classes[static_cast<std::size_t>(d.class_rank)];

  d.backends.resize(backends.size());
  auto remove = [&](std::size_t i, const std::string& rule, std::string reason) {
    if (!d.backends[i].eligible) return;  // the first rule that removed it is reported
    d.backends[i].eligible = false;
    d.backends[i].rule = rule;
    d.backends[i].reason = std::move(reason);
  };

  std::string block_rule;
  for (std::size_t ri = 0; ri < cfg.rules.size(); ++ri) {
    const auto& rule = cfg.rules[ri];
    const std::string name = rule.name.empty() ? "rule" + std::to_string(ri + 1) : rule.name;
    bool holds = true;
    if (!rule.when_class.empty()) {
      int r = rank_of(rule.when_class);
      holds &= d.class_rank >= (r < 0 ? top : r);
    }
    if (!rule.when_detected.empty())
      holds &= std::any_of(rule.when_detected.begin(), rule.when_detected.end(),
                           [&](const std::string& t) { return d.detected.count(t) > 0; });
    if (!rule.when_tenant_region.empty())
      holds &= tenant != nullptr && glob_match(rule.when_tenant_region, tenant->region);
    if (!rule.when_tenants.empty()) holds &= tenant != nullptr && contains(rule.when_tenants, tenant->name);
    if (!holds) continue;
    d.rules_matched.push_back(name);

    if (rule.action == config::RuleAction::block) {
      if (d.action != ComplianceDecision::Action::block) block_rule = name;
      d.action = ComplianceDecision::Action::block;
    } else if (rule.action == config::RuleAction::redact) {
      if (d.action == ComplianceDecision::Action::route) d.action = ComplianceDecision::Action::redact;
      for (const auto& [type, count] : d.detected)
        if ((rule.when_detected.empty() || contains(rule.when_detected, type)) &&
            !contains(d.redact_types, type))
          d.redact_types.push_back(type);
    }

    const std::string prefix = "rule " + name + ": ";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const auto& b = backends[i];
      const std::string loc = config::to_string(b.locality);
      if (!rule.allow_locality.empty() && !contains(rule.allow_locality, loc)) {
        remove(i, name, prefix + "locality " + loc + " not in " + list(rule.allow_locality));
      } else if (!rule.allow_regions.empty() && !any_glob(rule.allow_regions, b.region) &&
                 !(!rule.when_tenant_region.empty() && tenant && any_glob(tenant->export_basis, b.region))) {
        remove(i, name, prefix + "region " + (b.region.empty() ? "(none)" : b.region) + " not in " +
                            list(rule.allow_regions));
      } else if (!rule.allow_providers.empty() && !contains(rule.allow_providers, b.provider)) {
        remove(i, name, prefix + "provider " + (b.provider.empty() ? "(none)" : b.provider) +
                            " not in " + list(rule.allow_providers));
      } else if (!rule.allow_backends.empty() && !contains(rule.allow_backends, b.name)) {
        remove(i, name, prefix + "backend " + b.name + " not in " + list(rule.allow_backends));
      } else if (contains(rule.deny_backends, b.name)) {
        remove(i, name, prefix + "backend " + b.name + " is denied");
      }
    }
  }

  // Residency by tenant region.
  if (tenant && !tenant->region.empty()) {
    const std::string& tr = tenant->region;
    const std::string sub = tr + "-*";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const auto& b = backends[i];
      if (b.region == tr || glob_match(sub, b.region) || any_glob(tenant->export_basis, b.region))
        continue;
      remove(i, "residency",
             "residency: tenant " + tenant->name + " (region " + tr + ") may not send data to region " +
                 (b.region.empty() ? "(none)" : b.region) + " (allowed: " + tr + ", " + sub +
                 (tenant->export_basis.empty() ? "" : ", export basis " + list(tenant->export_basis)) +
                 ")");
    }
  }

  if (d.action == ComplianceDecision::Action::block) {
    std::string what;
    for (const auto& [type, count] : d.detected)
      what += (what.empty() ? "" : ", ") + type + " (" + std::to_string(count) + ")";
    d.block_message = "request blocked by compliance rule '" + block_rule + "': " +
                      (what.empty() ? "data class " + d.data_class + " may not be sent to any backend"
                                    : "it contains " + what + " (data class " + d.data_class + ")");
    for (std::size_t i = 0; i < backends.size(); ++i)
      remove(i, block_rule, "rule " + block_rule + ": action block");
    d.redact_types.clear();
  } else if (d.action == ComplianceDecision::Action::redact) {
    if (d.redact_types.empty()) {
      d.action = ComplianceDecision::Action::route;  // nothing to mask
    } else {
      for (std::size_t i = 0; i < backends.size(); ++i)
        d.backends[i].redact = d.backends[i].eligible && backends[i].locality == config::Locality::remote;
    }
  }
  return d;
}

}  // namespace hgw::compliance
