// The compliance section: classes, detectors, custom detectors (RE2), rules.
#include "tests/unit/config/ConfigTestHelpers.hpp"
#include "policies/compliance/DetectorSet.hpp"

using namespace hgw::config;
using hgw::config::test::kValidBase;

TEST_CASE("a full compliance section loads", "[config][compliance]") {
  auto r = load_config_string(std::string(kValidBase) + R"(tenants:
  - {name: finance, region: cn, data_class: confidential, export_basis: ["eu-*"]}
compliance:
  classes: [public, internal, confidential, restricted]
  detectors: [email, cn_mobile, cn_resident_id, secrets]
  custom_detectors:
    - {name: project_codename, keywords: ["蓝鲸计划", "Project Bluewhale"], case_sensitive: false}
    - {name: employee_id, regex: "EMP-[0-9]{6}"}
  classify: {cn_resident_id: restricted, email: confidential, employee_id: internal}
  rules:
    - {name: restricted-stays-local, when: {class: restricted}, allow: {locality: [local]}}
    - {name: cn-residency, when: {tenant_region: cn}, allow: {regions: ["cn-*"]}}
    - {name: redact-confidential, when: {class: confidential}, action: redact}
    - {when: {detected: [secrets]}, action: block}
    - {class: internal, deny: {backends: [remote]}}
  restore_in_response: true
  output_filter: {enabled: true, terms: [bluewhale], detectors: [email], action: mask}
  audit_log: {path: /tmp/audit.log, fsync: interval, fsync_interval_ms: 500}
)");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& c = r.config->compliance;
  REQUIRE(c.custom_detectors.size() == 2);
  CHECK(c.custom_detectors[0].keywords.size() == 2);
  CHECK(c.custom_detectors[0].source_line == 20);
  CHECK(c.custom_detectors[1].regex == "EMP-[0-9]{6}");
  REQUIRE(c.rules.size() == 5);
  CHECK(c.rules[0].allow_locality == std::vector<std::string>{"local"});
  CHECK(c.rules[1].when_tenant_region == "cn");
  CHECK(c.rules[2].action == RuleAction::redact);
  CHECK(c.rules[3].name == "rule4");
  CHECK(c.rules[3].when_detected == std::vector<std::string>{"secrets"});
  CHECK(c.rules[4].when_class == "internal");  // the DESIGN.md §3 shorthand
  CHECK(c.rules[4].deny_backends == std::vector<std::string>{"remote"});
  CHECK(c.classify.at("employee_id") == "internal");
  CHECK(c.audit_log.fsync == FsyncPolicy::interval);
  CHECK(summarize(*r.config) == "ok: 2 backends, 1 route, 1 tenant, 5 compliance rules");
}

TEST_CASE("an invalid custom regex is an error at its line with RE2's message", "[config][compliance]") {
  auto r = load_config_string(std::string(kValidBase) + R"(compliance:
  custom_detectors:
    - name: broken
      regex: "EMP-([0-9]{6}"
    - {name: both, regex: "x", keywords: [y]}
    - {name: neither}
)");
  REQUIRE_ERROR(r, 17, 14, "$.compliance.custom_detectors[0].regex", "invalid regex: missing )");
  REQUIRE_ERROR(r, 18, 42, "$.compliance.custom_detectors[1].keywords", "either regex or keywords, not both");
  REQUIRE_ERROR(r, 19, 7, "$.compliance.custom_detectors[2]", "needs either regex or keywords");
}

TEST_CASE("detector and class names must exist", "[config][compliance]") {
  auto r = load_config_string(std::string(kValidBase) + R"(tenants:
  - {name: t, data_class: secret}
compliance:
  classes: [public, restricted]
  detectors: [email, emial, nosuch]
  custom_detectors: [{name: email, regex: "x"}]
  classify: {phone: restricted, ssn: public, email: top}
  rules:
    - when: {class: confidential, detected: [cn_mobil], tenants: [t, u]}
      allow: {locality: [onprem], backends: [local, gone]}
  output_filter: {detectors: [bank]}
)");
  REQUIRE_ERROR(r, 15, 27, "$.tenants[0].data_class", "unknown data class 'secret'; classes are: public, restricted");
  REQUIRE_ERROR(r, 18, 22, "$.compliance.detectors[1]", "unknown detector 'emial'");
  REQUIRE_ERROR(r, 18, 22, "$.compliance.detectors[1]", "did you mean 'email'?");
  REQUIRE_ERROR(r, 18, 29, "$.compliance.detectors[2]", "unknown detector 'nosuch'");
  REQUIRE_ERROR(r, 19, 29, "$.compliance.custom_detectors[0].name", "'email' is a built-in detector");
  REQUIRE_ERROR(r, 20, 38, "$.compliance.classify.ssn", "unknown detector 'ssn'");
  REQUIRE_ERROR(r, 20, 53, "$.compliance.classify.email", "unknown data class 'top'");
  REQUIRE_ERROR(r, 22, 21, "$.compliance.rules[0].when.class", "unknown data class 'confidential'");
  REQUIRE_ERROR(r, 22, 46, "$.compliance.rules[0].when.detected[0]", "did you mean 'cn_mobile'?");
  REQUIRE_ERROR(r, 22, 70, "$.compliance.rules[0].when.tenants[1]", "unknown tenant 'u'");
  REQUIRE_ERROR(r, 23, 26, "$.compliance.rules[0].allow.locality[0]", "allowed: local, remote");
  REQUIRE_ERROR(r, 23, 53, "$.compliance.rules[0].allow.backends[1]", "unknown backend 'gone'");
  REQUIRE_ERROR(r, 24, 31, "$.compliance.output_filter.detectors[0]", "unknown detector 'bank'");
}

TEST_CASE("rule actions and keys", "[config][compliance]") {
  auto r = load_config_string(std::string(kValidBase) + R"(compliance:
  rules:
    - {name: a, when: {class: restricted}, action: drop}
    - {name: a, wen: {class: restricted}}
    - {class: restricted, when: {class: restricted}}
)");
  REQUIRE_ERROR(r, 16, 52, "$.compliance.rules[0].action", "allowed: route, redact, block");
  REQUIRE_ERROR(r, 17, 14, "$.compliance.rules[1].name", "duplicate rule name 'a'");
  REQUIRE_ERROR(r, 17, 17, "$.compliance.rules[1].wen", "did you mean 'when'?");
  REQUIRE_ERROR(r, 18, 7, "$.compliance.rules[2]", "either under when: or on the rule itself");
  CHECK(r.errors.size() == 4);
}

TEST_CASE("detectors: all, as a scalar or an item, enables every built-in", "[config][compliance]") {
  for (const char* form : {"detectors: all", "detectors: [all]", "detectors: [email, all]"}) {
    auto r = load_config_string(std::string(kValidBase) + "compliance:\n  " + form + "\n  classify: {iban: restricted}\n");
    INFO(form << "\n" << test::all_errors(r));
    REQUIRE(r.ok());
    auto set = hgw::compliance::DetectorSet::build(r.config->compliance);
    CHECK(set->types() == hgw::compliance::builtin_detector_names());
  }
  auto r = load_config_string(std::string(kValidBase) + "compliance:\n  detectors: everything\n");
  REQUIRE_ERROR(r, 15, 14, "$.compliance.detectors", "expected a list of detector names, or all");
}

TEST_CASE("context words and the scan budget", "[config][compliance][context]") {
  auto r = load_config_string(std::string(kValidBase) + R"(compliance:
  detectors: [cn_mobile]
  custom_detectors: [{name: member_no, regex: "M[0-9]{8}"}]
  max_scan_bytes: 65536
  context:
    window: 16
    words:
      cn_mobile: {lower: [会员号], raise: [手机]}
      member_no: {lower: [sku]}
)");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& c = r.config->compliance;
  CHECK(c.max_scan_bytes == 65536);
  CHECK(c.context.window == 16);
  CHECK(c.context.words.at("cn_mobile").lower == std::vector<std::string>{"会员号"});
  CHECK(c.context.words.at("member_no").lower == std::vector<std::string>{"sku"});

  auto bad = load_config_string(std::string(kValidBase) + R"(compliance:
  max_scan_bytes: 10
  context:
    words:
      cn_resident_id: {lower: [订单号]}
      nosuch: {raise: [x]}
      phone: {lower: [""], rise: [tel]}
)");
  REQUIRE_ERROR(bad, 15, 19, "$.compliance.max_scan_bytes", "at least 1024");
  REQUIRE_ERROR(bad, 18, 23, "$.compliance.context.words.cn_resident_id", "context words cannot lower it");
  REQUIRE_ERROR(bad, 19, 15, "$.compliance.context.words.nosuch", "unknown detector 'nosuch'");
  REQUIRE_ERROR(bad, 20, 23, "$.compliance.context.words.phone.lower[0]", "must not be empty");
  REQUIRE_ERROR(bad, 20, 28, "$.compliance.context.words.phone.rise", "did you mean 'raise'?");
}
