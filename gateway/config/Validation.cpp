#include "gateway/config/Validation.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "gateway/config/DidYouMean.hpp"
#include "gateway/config/KnownNames.hpp"
#include "policies/compliance/DetectorSet.hpp"

namespace hgw::config {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Reports the second and later uses of a name that must be unique.
class UniqueNames {
 public:
  UniqueNames(Diagnostics& diag, std::string what) : diag_(diag), what_(std::move(what)) {}
  void add(const std::string& name, const std::string& path) {
    if (name.empty()) return;
    auto [it, fresh] = first_.emplace(name, path);
    if (!fresh)
      diag_.error_at(path, "duplicate " + what_ + " '" + name + "' (first defined at " +
                               diag_.describe_location(it->second) + ")");
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [n, _] : first_) out.push_back(n);
    return out;
  }

 private:
  Diagnostics& diag_;
  std::string what_;
  std::map<std::string, std::string> first_;
};

class Checker {
 public:
  Checker(const Config& c, Diagnostics& d) : cfg_(c), diag_(d) {
    for (const auto& b : c.backends) backends_.push_back(b.name);
    for (const auto& r : c.routes) routes_.push_back(r.name);
    for (const auto& t : c.tenants) tenants_.push_back(t.name);
    detectors_ = known::builtin_detectors;
    for (const auto& d : c.compliance.custom_detectors) detectors_.push_back(d.name);
  }

  void run() {
    check_presence();
    check_listeners();
    check_backends();
    check_routes();
    check_tenants();
    check_compliance();
  }

 private:
  void check_presence() {
    if (cfg_.backends.empty()) diag_.error_at("$", "no backends configured: add at least one under backends:");
    if (cfg_.routes.empty()) diag_.error_at("$", "no routes configured: add at least one under routes:");
    if (cfg_.tenants.empty()) diag_.warning("no tenants: the gateway accepts requests without an API key");
  }

  void check_listeners() {
    const auto& s = cfg_.server;
    const auto& a = cfg_.admin;
    const bool overlap = s.host == a.host || s.host == "0.0.0.0" || a.host == "0.0.0.0" ||
                         s.host == "::" || a.host == "::";
    if (s.port == a.port && overlap)
      diag_.error_at("$.admin.listen", "admin listener " + a.listen + " collides with server listener " + s.listen);
  }

  void check_backends() {
    UniqueNames names(diag_, "backend name");
    for (std::size_t i = 0; i < cfg_.backends.size(); ++i)
      names.add(cfg_.backends[i].name, index_path("$.backends", i) + ".name");
  }

  // The path of target k: "...targets[k].backend" for the mapping form.
  std::string target_path(const std::string& list, std::size_t k) const {
    const auto p = index_path(list, k);
    return diag_.knows(p + ".backend") ? p + ".backend" : p;
  }

  void check_targets(const std::vector<Target>& targets, const std::string& list) {
    std::set<std::string> seen;
    for (std::size_t k = 0; k < targets.size(); ++k) {
      const auto& name = targets[k].backend;
      const auto path = target_path(list, k);
      if (!contains(backends_, name))
        diag_.error_at(path, "unknown backend '" + name + "'" + did_you_mean_suffix(name, backends_));
      else if (!seen.insert(name).second)
        diag_.error_at(path, "backend '" + name + "' is listed twice in the same targets");
    }
  }

  void check_tenant_refs(const std::vector<std::string>& names, const std::string& list) {
    for (std::size_t k = 0; k < names.size(); ++k)
      if (!contains(tenants_, names[k]))
        diag_.error_at(index_path(list, k),
                       "unknown tenant '" + names[k] + "'" + did_you_mean_suffix(names[k], tenants_));
  }

  void check_routes() {
    UniqueNames names(diag_, "route name");
    std::map<std::string, std::pair<std::string, std::string>> model_owner;  // model -> (route, path)
    for (std::size_t i = 0; i < cfg_.routes.size(); ++i) {
      const auto& r = cfg_.routes[i];
      const auto base = index_path("$.routes", i);
      names.add(r.name, base + ".name");
      for (std::size_t k = 0; k < r.models.size(); ++k) {
        const auto path = index_path(base + ".models", k);
        auto [it, fresh] = model_owner.emplace(r.models[k], std::make_pair(r.name, path));
        if (!fresh)
          diag_.error_at(path, "model '" + r.models[k] + "' is already claimed by route '" + it->second.first +
                                   "' (" + diag_.describe_location(it->second.second) + ")");
      }
      check_targets(r.targets, base + ".targets");
      for (std::size_t w = 0; w < r.when.size(); ++w) {
        const auto wbase = index_path(base + ".when", w);
        // Targets copied from the route were checked above.
        if (diag_.knows(wbase + ".targets")) check_targets(r.when[w].targets, wbase + ".targets");
        check_tenant_refs(r.when[w].tenants, wbase + ".tenants");
      }
      check_shadow(r, base);
    }
  }

  void check_backend_ref(const std::string& name, const std::string& path) {
    if (!name.empty() && !contains(backends_, name))
      diag_.error_at(path, "unknown backend '" + name + "'" + did_you_mean_suffix(name, backends_));
  }

  void check_shadow(const RouteConfig& r, const std::string& base) {
    if (r.shadow) check_backend_ref(r.shadow->backend, base + ".shadow.backend");
    if (!r.judge) return;
    check_backend_ref(r.judge->backend, base + ".judge.backend");
    if (!r.shadow)
      diag_.error_at(base + ".judge",
                     "a judge compares the route's answers with its shadow backend's: add "
                     "shadow: { backend: NAME, sample: P } to this route");
  }

  void check_class(const std::string& cls, const std::string& path) {
    const auto& classes = cfg_.compliance.classes;
    if (!cls.empty() && !contains(classes, cls))
      diag_.error_at(path, "unknown data class '" + cls + "'; classes are: " + join(classes) +
                               did_you_mean_suffix(cls, classes));
  }

  void check_detector(const std::string& name, const std::string& path) {
    if (!contains(detectors_, name))
      diag_.error_at(path, "unknown detector '" + name + "'; built-in: " + join(known::builtin_detectors) +
                               ", or define it under compliance.custom_detectors" +
                               did_you_mean_suffix(name, detectors_));
  }

  void check_tenants() {
    UniqueNames names(diag_, "tenant name");
    std::map<std::string, std::pair<std::string, std::string>> key_owner;
    for (std::size_t i = 0; i < cfg_.tenants.size(); ++i) {
      const auto& t = cfg_.tenants[i];
      const auto base = index_path("$.tenants", i);
      names.add(t.name, base + ".name");
      for (std::size_t k = 0; k < t.keys.size(); ++k) {
        const auto path = index_path(base + ".keys", k);
        auto [it, fresh] = key_owner.emplace(t.keys[k], std::make_pair(t.name, path));
        if (!fresh)
          diag_.error_at(path, "this key digest is already used by tenant '" + it->second.first + "' (" +
                                   diag_.describe_location(it->second.second) + "): a key must name one tenant");
      }
      for (std::size_t k = 0; k < t.routes.size(); ++k)
        if (!contains(routes_, t.routes[k]))
          diag_.error_at(index_path(base + ".routes", k),
                         "unknown route '" + t.routes[k] + "'" + did_you_mean_suffix(t.routes[k], routes_));
      check_class(t.data_class, base + ".data_class");
    }
  }

  void check_compliance() {
    const auto& c = cfg_.compliance;
    UniqueNames classes(diag_, "data class");
    for (std::size_t i = 0; i < c.classes.size(); ++i)
      classes.add(c.classes[i], index_path("$.compliance.classes", i));
    for (std::size_t i = 0; i < c.detectors.size(); ++i)
      if (c.detectors[i] != "all") check_detector(c.detectors[i], index_path("$.compliance.detectors", i));
    UniqueNames custom(diag_, "custom detector name");
    for (std::size_t i = 0; i < c.custom_detectors.size(); ++i)
      custom.add(c.custom_detectors[i].name, index_path("$.compliance.custom_detectors", i) + ".name");
    for (const auto& [detector, cls] : c.classify) {
      const auto path = child_path("$.compliance.classify", detector);
      check_detector(detector, path);
      check_class(cls, path);
    }
    UniqueNames rules(diag_, "rule name");
    for (std::size_t i = 0; i < c.rules.size(); ++i) check_rule(c.rules[i], i, rules);
    for (const auto& [detector, words] : c.context.words) {
      const auto path = child_path("$.compliance.context.words", detector);
      if (contains(known::builtin_detectors, detector) && !compliance::takes_context_words(detector))
        diag_.error_at(path, "'" + detector +
                                 "' is validated by its check digits or structure: context words cannot "
                                 "lower it (they apply to phone, cn_mobile, ipv4, ipv6, cn_passport and "
                                 "custom detectors)");
      else
        check_detector(detector, path);
    }
    for (std::size_t i = 0; i < c.output_filter.detectors.size(); ++i)
      if (c.output_filter.detectors[i] != "all") check_detector(c.output_filter.detectors[i], index_path("$.compliance.output_filter.detectors", i));
  }

  // The conditions may sit under when: or on the rule itself (shorthand).
  std::string condition_path(const std::string& base, const char* key) const {
    const auto under_when = base + ".when." + key;
    return diag_.knows(under_when) ? under_when : base + "." + key;
  }

  void check_rule(const ComplianceRuleConfig& r, std::size_t i, UniqueNames& names) {
    const auto base = index_path("$.compliance.rules", i);
    names.add(r.name, diag_.knows(base + ".name") ? base + ".name" : base);
    check_class(r.when_class, condition_path(base, "class"));
    for (std::size_t k = 0; k < r.when_detected.size(); ++k)
      check_detector(r.when_detected[k], index_path(condition_path(base, "detected"), k));
    check_tenant_refs(r.when_tenants, condition_path(base, "tenants"));
    for (std::size_t k = 0; k < r.allow_backends.size(); ++k)
      if (!contains(backends_, r.allow_backends[k]))
        diag_.error_at(index_path(base + ".allow.backends", k),
                       "unknown backend '" + r.allow_backends[k] + "'" +
                           did_you_mean_suffix(r.allow_backends[k], backends_));
    for (std::size_t k = 0; k < r.deny_backends.size(); ++k)
      if (!contains(backends_, r.deny_backends[k]))
        diag_.error_at(index_path(base + ".deny.backends", k),
                       "unknown backend '" + r.deny_backends[k] + "'" +
                           did_you_mean_suffix(r.deny_backends[k], backends_));
  }

  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  const Config& cfg_;
  Diagnostics& diag_;
  std::vector<std::string> backends_, routes_, tenants_, detectors_;
};

}  // namespace

void validate_references(const Config& config, Diagnostics& diag) { Checker(config, diag).run(); }

}  // namespace hgw::config
