// Data classification and compliance rules: from what the detectors found,
// the tenant and the x-hybridgw-data-class header, decide the request's data
// class, the action (route / redact / block) and which configured backends may
// receive the request — with a reason for every backend removed. Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/Config.hpp"
#include "policies/compliance/DetectorSet.hpp"

namespace hgw::compliance {

struct BackendVerdict {
  bool eligible = true;
  std::string rule;    // the rule that removed it ("residency" for tenant residency)
  std::string reason;  // e.g. "rule restricted-stays-local: locality remote not in [local]"
  bool redact = false; // eligible, action redact and the backend is remote: send the redacted body
};

struct ComplianceDecision {
  std::string data_class;
  int class_rank = 0;                       // index in config.classes
  std::map<std::string, int> detected;      // type -> count (never values)
  std::vector<std::string> rules_matched;   // rule names whose conditions held, in order
  enum class Action { route, redact, block } action = Action::route;
  std::vector<std::string> redact_types;    // types to mask when redacting
  std::vector<BackendVerdict> backends;     // one per config backend, same order
  std::string block_message;                // for the 403: names types, never values
  std::vector<std::string> notes;           // how the class was raised (unknown header class, detector failure)

  bool any_eligible() const;
};

const char* to_string(ComplianceDecision::Action);

// header_class: value of x-hybridgw-data-class ("" if absent); it may raise the
// class, never lower it; an unknown class name counts as the highest class.
// scan_failure: why the request could not be scanned completely ("" when it
// was) → the highest class, with the reason in the notes (fail closed).
// Class = max(tenant floor, header, classify[type] of every detected type).
// Rules (config order): a rule holds when all its given conditions hold
// (when_class = class at least; when_detected = any of; tenant region glob;
// tenant names). Every holding rule constrains the backends (locality,
// region globs, providers, allow/deny backend names); action block > redact >
// route. Residency: a tenant with a region R may only reach backends whose
// region is R or matches "R-*", unless the backend region matches one of the
// tenant's export_basis globs; the export basis also satisfies the region
// constraint of rules that are conditioned on the tenant region. Redaction
// applies to remote backends only; local ones get the original text.
// conversation_class: the class an earlier turn of the same conversation had
// (Responses API previous_response_id): a floor like the tenant's, so a
// conversation never goes below its highest class; unknown → the highest.
ComplianceDecision decide(const config::ComplianceConfig& config,
                          const std::vector<config::BackendConfig>& backends,
                          const config::TenantConfig* tenant, std::string_view header_class,
                          const std::vector<Finding>& findings, std::string_view scan_failure,
                          std::string_view conversation_class = {});

// A data class's index in the ordered classes (lowest first); -1 = unknown.
int class_rank(const std::vector<std::string>& classes, std::string_view name);

// Shell-style glob: '*' any run (also empty), `any_one` one byte ('\0': no
// such character; route model patterns have only '*'). Case-sensitive.
bool glob_match(std::string_view pattern, std::string_view text, char any_one = '?');

}  // namespace hgw::compliance
