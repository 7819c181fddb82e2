// compliance: data classes, detectors, classification, routing rules, output
// filter and audit log. Split across files is allowed: `rules` and
// `custom_detectors` are concatenated, every other key comes from one file.
#include <algorithm>
#include <cctype>
#include <set>

#include <re2/re2.h>

#include "gateway/config/KnownNames.hpp"
#include "gateway/config/Sections.hpp"

namespace hgw::config {

namespace {

// Detector names become placeholders ([EMAIL_1]) and metric labels.
bool is_valid_detector_name(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
}

void parse_custom_detector(Diagnostics& diag, const Value& v, CustomDetectorConfig& d) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  d.source_line = v.where.line;
  if (m->read("name", d.name, true)) {
    if (!is_valid_detector_name(d.name))
      diag.error_at(child_path(m->path(), "name"),
                    "invalid detector name '" + d.name + "': use letters, digits and '_'");
    else if (std::find(known::builtin_detectors.begin(), known::builtin_detectors.end(), d.name) !=
             known::builtin_detectors.end())
      diag.error_at(child_path(m->path(), "name"),
                    "'" + d.name + "' is a built-in detector; give the custom one another name");
  }
  m->read("case_sensitive", d.case_sensitive);
  auto regex = m->get("regex");
  auto keywords = m->get("keywords");
  if (regex && keywords)
    diag.error(keywords->where, keywords->path, "a custom detector takes either regex or keywords, not both");
  else if (!regex && !keywords)
    diag.error(m->where(), m->path(), "a custom detector needs either regex or keywords");
  if (regex) {
    if (auto pattern = read_string(diag, *regex)) {
      if (pattern->empty()) {
        diag.error(regex->where, regex->path, "regex must not be empty");
      } else {
        // Patterns come from users: RE2 (linear time) decides what is valid.
        RE2::Options options(RE2::Quiet);
        options.set_case_sensitive(d.case_sensitive);
        RE2 re(*pattern, options);
        if (!re.ok())
          diag.error(regex->where, regex->path, "invalid regex: " + re.error());
        else
          d.regex = *pattern;
      }
    }
  }
  if (keywords) {
    if (auto list = read_string_list(diag, *keywords)) {
      if (list->empty() && (keywords->node.IsSequence() || keywords->node.IsNull()))
        diag.error(keywords->where, keywords->path, "keywords must not be empty");
      for (std::size_t i = 0; i < list->size(); ++i) {
        if ((*list)[i].empty())
          diag.error_at(index_path(keywords->path, i), "a keyword must not be empty");
        else
          d.keywords.push_back((*list)[i]);
      }
    }
  }
  m->finish();
}

// Rule conditions, from `when:` or (DESIGN.md §3 shorthand) the rule itself.
void read_rule_conditions(MapReader& m, ComplianceRuleConfig& r) {
  m.read("class", r.when_class);
  m.read("detected", r.when_detected);
  m.read("tenant_region", r.when_tenant_region);
  m.read("tenants", r.when_tenants);
}

void parse_rule(Diagnostics& diag, const Value& v, std::size_t index, ComplianceRuleConfig& r) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("name", r.name);
  check_name(diag, child_path(m->path(), "name"), r.name);
  if (r.name.empty()) r.name = "rule" + std::to_string(index + 1);

  auto when = m->get("when");
  if (when) {
    if (auto w = MapReader::open(diag, *when)) {
      read_rule_conditions(*w, r);
      w->finish();
    }
  }
  const bool flat = m->has("class") || m->has("detected") || m->has("tenant_region") || m->has("tenants");
  if (flat && when)
    diag.error(m->where(), m->path(), "give the conditions either under when: or on the rule itself, not both");
  if (flat && !when) {
    read_rule_conditions(*m, r);
  } else {
    // Known keys all the same: a typo in them still gets its did-you-mean.
    for (const char* key : {"class", "detected", "tenant_region", "tenants"}) m->get(key);
  }

  if (auto a = m->get("allow")) {
    if (auto am = MapReader::open(diag, *a)) {
      if (auto loc = am->get("locality")) {
        for (const auto& item : read_sequence(diag, *loc))
          if (auto s = read_enum(diag, item, known::localities)) r.allow_locality.push_back(*s);
      }
      am->read("regions", r.allow_regions);
      am->read("providers", r.allow_providers);
      am->read("backends", r.allow_backends);
      am->finish();
    }
  }
  if (auto d = m->get("deny")) {
    if (auto dm = MapReader::open(diag, *d)) {
      dm->read("backends", r.deny_backends);
      dm->finish();
    }
  }
  m->read_enum("action", r.action, known::rule_actions, rule_action_from_string);
  m->finish();
}

// A list of detector names, where `all` (alone, or as an item) stands for
// every built-in detector (DetectorSet expands it; Validation accepts it).
std::vector<std::string> read_detector_list(Diagnostics& diag, const Value& v) {
  if (v.node.IsScalar()) {
    auto s = read_string(diag, v);
    if (s && *s != "all") diag.error(v.where, v.path, "expected a list of detector names, or all");
    return s && *s == "all" ? std::vector<std::string>{"all"} : std::vector<std::string>{};
  }
  auto list = read_string_list(diag, v);
  return list ? std::move(*list) : std::vector<std::string>{};
}

// context: { window: N, words: { detector: { lower: [...], raise: [...] } } }.
// Which detectors may take context words is checked by Validation (it knows
// the custom detectors of every included file).
void parse_context(Diagnostics& diag, const Value& v, ContextConfig& c) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("window", c.window, 1);
  if (auto words = m->get("words")) {
    if (auto wm = MapReader::open(diag, *words); wm && words->node.IsMap()) {
      std::set<std::string> seen;
      for (auto it = words->node.begin(); it != words->node.end(); ++it) {
        if (!it->first.IsScalar() || !seen.insert(it->first.Scalar()).second) continue;
        auto entry = wm->get(it->first.Scalar());
        if (!entry) continue;
        auto em = MapReader::open(diag, *entry);
        if (!em) continue;
        ContextWordsConfig cw;
        em->read("lower", cw.lower);
        em->read("raise", cw.raise);
        for (const auto* list : {&cw.lower, &cw.raise})
          for (std::size_t i = 0; i < list->size(); ++i)
            if ((*list)[i].empty())
              diag.error_at(index_path(child_path(entry->path, list == &cw.lower ? "lower" : "raise"), i),
                            "a context word must not be empty");
        em->finish();
        c.words[it->first.Scalar()] = std::move(cw);
      }
      wm->finish();
    }
  }
  m->finish();
}

void parse_output_filter(Diagnostics& diag, const Value& v, OutputFilterConfig& f) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("enabled", f.enabled);
  m->read("terms", f.terms);
  if (auto detectors = m->get("detectors")) f.detectors = read_detector_list(diag, *detectors);
  m->read_enum("action", f.action, known::output_filter_actions, filter_action_from_string);
  m->finish();
}

void parse_audit_log(Diagnostics& diag, const Value& v, AuditLogConfig& a) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("path", a.path);
  m->read_enum("fsync", a.fsync, known::fsync_policies, fsync_from_string);
  m->read("fsync_interval_ms", a.fsync_interval_ms, 1);
  m->read("max_bytes", a.max_bytes, 1024);
  m->read("max_files", a.max_files, 1);
  m->finish();
}

}  // namespace

void parse_compliance(Diagnostics& diag, std::vector<Value> parts, ComplianceConfig& c) {
  std::vector<Value> maps;
  for (auto& p : parts) {
    if (!p.node.IsNull() && !p.node.IsMap()) {
      diag.error(p.where, p.path, "expected a mapping, got " + describe(p.node));
      continue;
    }
    maps.push_back(std::move(p));
  }
  if (maps.empty()) return;
  MapReader m(diag, "$.compliance", std::move(maps));

  if (auto classes = m.get("classes")) {
    if (auto list = read_string_list(diag, *classes)) {
      if (list->empty())
        diag.error(classes->where, classes->path, "at least one data class is needed");
      else
        c.classes = std::move(*list);
    }
  }
  if (auto detectors = m.get("detectors")) c.detectors = read_detector_list(diag, *detectors);
  if (auto context = m.get("context")) parse_context(diag, *context, c.context);
  m.read("max_scan_bytes", c.max_scan_bytes, 1024);

  // Paths index the merged lists, whichever file an item came from.
  for (const auto& part : m.get_all("custom_detectors")) {
    for (const auto& item : read_sequence(diag, part, c.custom_detectors.size())) {
      c.custom_detectors.emplace_back();
      parse_custom_detector(diag, item, c.custom_detectors.back());
    }
  }

  if (auto classify = m.get("classify")) {
    if (auto cm = MapReader::open(diag, *classify)) {
      if (classify->node.IsMap()) {
        std::set<std::string> seen;  // get() already reports a repeated key once
        for (auto it = classify->node.begin(); it != classify->node.end(); ++it) {
          if (!it->first.IsScalar() || !seen.insert(it->first.Scalar()).second) continue;
          auto v = cm->get(it->first.Scalar());
          if (!v) continue;
          if (auto cls = read_string(diag, *v)) c.classify[it->first.Scalar()] = *cls;
        }
      }
      cm->finish();
    }
  }

  for (const auto& part : m.get_all("rules")) {
    for (const auto& item : read_sequence(diag, part, c.rules.size())) {
      c.rules.emplace_back();
      parse_rule(diag, item, c.rules.size() - 1, c.rules.back());
    }
  }

  m.read("restore_in_response", c.restore_in_response);
  if (auto f = m.get("output_filter")) parse_output_filter(diag, *f, c.output_filter);
  if (auto a = m.get("audit_log")) parse_audit_log(diag, *a, c.audit_log);
  m.finish();
}

}  // namespace hgw::config
