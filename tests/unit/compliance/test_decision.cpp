#include <catch2/catch.hpp>

#include "policies/compliance/ComplianceDecision.hpp"

using namespace hgw::compliance;
using hgw::config::BackendConfig;
using hgw::config::ComplianceConfig;
using hgw::config::ComplianceRuleConfig;
using hgw::config::Locality;
using hgw::config::TenantConfig;

namespace {
BackendConfig backend(std::string name, Locality loc, std::string region, std::string provider = "") {
  BackendConfig b;
  b.name = std::move(name);
  b.locality = loc;
  b.region = std::move(region);
  b.provider = std::move(provider);
  return b;
}
std::vector<BackendConfig> backends() {
  return {backend("local-qwen", Locality::local, "cn-east", "vllm"),
          backend("cn-cloud", Locality::remote, "cn-north", "qwen-cloud"),
          backend("openai", Locality::remote, "us", "openai"),
          backend("eu-claude", Locality::remote, "eu-west", "anthropic")};
}
ComplianceConfig base() {
  ComplianceConfig c;
  c.classify = {{"cn_resident_id", "restricted"}, {"email", "confidential"}, {"ipv4", "internal"}};
  ComplianceRuleConfig r;
  r.name = "restricted-stays-local";
  r.when_class = "restricted";
  r.allow_locality = {"local"};
  c.rules.push_back(r);
  return c;
}
Finding f(std::string type) { return Finding{std::move(type), 0, 0, 1}; }
std::vector<bool> eligible(const ComplianceDecision& d) {
  std::vector<bool> v;
  for (const auto& b : d.backends) v.push_back(b.eligible);
  return v;
}
}  // namespace

TEST_CASE("restricted data goes only to local backends", "[compliance][decide]") {
  auto d = decide(base(), backends(), nullptr, "", {f("cn_resident_id"), f("email"), f("email")}, "");
  CHECK(d.data_class == "restricted");
  CHECK(d.class_rank == 3);
  CHECK(d.detected == std::map<std::string, int>{{"cn_resident_id", 1}, {"email", 2}});
  CHECK(d.rules_matched == std::vector<std::string>{"restricted-stays-local"});
  CHECK(eligible(d) == std::vector<bool>{true, false, false, false});
  CHECK(d.backends[2].rule == "restricted-stays-local");
  CHECK(d.backends[2].reason == "rule restricted-stays-local: locality remote not in [local]");
  CHECK(d.any_eligible());
}

TEST_CASE("class: highest of tenant floor, header (raise only), detections", "[compliance][decide]") {
  auto c = base();
  auto d = decide(c, backends(), nullptr, "", {f("ipv4")}, "");
  CHECK(d.data_class == "internal");
  CHECK(eligible(d) == std::vector<bool>{true, true, true, true});
  d = decide(c, backends(), nullptr, "restricted", {}, "");  // header raises
  CHECK(d.data_class == "restricted");
  CHECK(eligible(d) == std::vector<bool>{true, false, false, false});
  d = decide(c, backends(), nullptr, "public", {f("email")}, "");  // header cannot lower
  CHECK(d.data_class == "confidential");
  TenantConfig t;
  t.name = "finance";
  t.data_class = "confidential";
  d = decide(c, backends(), &t, "internal", {}, "");
  CHECK(d.data_class == "confidential");
  CHECK_FALSE(d.notes.empty());
  d = decide(c, backends(), nullptr, "top-secret", {}, "");  // unknown → highest, said so
  CHECK(d.data_class == "restricted");
  REQUIRE_FALSE(d.notes.empty());
  CHECK(d.notes[0].find("top-secret") != std::string::npos);
  d = decide(c, backends(), nullptr, "", {}, "the scanner failed: test");  // detector failed → highest
  CHECK(d.data_class == "restricted");
  CHECK(eligible(d) == std::vector<bool>{true, false, false, false});
}

TEST_CASE("residency by tenant region and export basis", "[compliance][decide]") {
  ComplianceConfig c;
  TenantConfig t;
  t.name = "acme-cn";
  t.region = "cn";
  auto d = decide(c, backends(), &t, "", {}, "");
  CHECK(eligible(d) == std::vector<bool>{true, true, false, false});
  CHECK(d.backends[2].rule == "residency");
  CHECK(d.backends[2].reason.find("region us") != std::string::npos);
  t.export_basis = {"eu-*"};
  d = decide(c, backends(), &t, "", {}, "");
  CHECK(eligible(d) == std::vector<bool>{true, true, false, true});
  // Explicit residency rule as in DESIGN.md §3, export basis honoured too.
  ComplianceRuleConfig r;
  r.name = "cn-residency";
  r.when_tenant_region = "cn";
  r.allow_regions = {"cn-*"};
  c.rules.push_back(r);
  d = decide(c, backends(), &t, "", {}, "");
  CHECK(eligible(d) == std::vector<bool>{true, true, false, true});
  CHECK(d.rules_matched == std::vector<std::string>{"cn-residency"});
  CHECK(d.backends[2].rule == "cn-residency");
  TenantConfig us;
  us.name = "us-team";
  us.region = "us";
  d = decide(c, backends(), &us, "", {}, "");
  CHECK(d.rules_matched.empty());
  CHECK(eligible(d) == std::vector<bool>{false, false, true, false});
}

TEST_CASE("block names the detected types, never the values", "[compliance][decide]") {
  auto c = base();
  ComplianceRuleConfig r;
  r.name = "no-secrets";
  r.when_detected = {"secrets"};
  r.action = hgw::config::RuleAction::block;
  c.rules.push_back(r);
  auto d = decide(c, backends(), nullptr, "", {f("secrets"), f("email")}, "");
  CHECK(d.action == ComplianceDecision::Action::block);
  CHECK_FALSE(d.any_eligible());
  CHECK(d.block_message.find("secrets") != std::string::npos);
  CHECK(d.block_message.find("no-secrets") != std::string::npos);
  CHECK(d.block_message.find("sk-") == std::string::npos);
  d = decide(c, backends(), nullptr, "", {f("email")}, "");
  CHECK(d.action == ComplianceDecision::Action::route);
}

TEST_CASE("redact applies to remote backends only; constraints by provider and name", "[compliance][decide]") {
  ComplianceConfig c;
  c.classify = {{"email", "confidential"}};
  ComplianceRuleConfig r;
  r.name = "mask-pii";
  r.when_class = "confidential";
  r.action = hgw::config::RuleAction::redact;
  r.when_detected = {"email", "cn_mobile"};
  r.deny_backends = {"eu-claude"};
  c.rules.push_back(r);
  auto d = decide(c, backends(), nullptr, "", {f("email"), f("ipv4")}, "");
  CHECK(d.action == ComplianceDecision::Action::redact);
  CHECK(d.redact_types == std::vector<std::string>{"email"});
  CHECK(eligible(d) == std::vector<bool>{true, true, true, false});
  CHECK(d.backends[3].reason == "rule mask-pii: backend eu-claude is denied");
  CHECK_FALSE(d.backends[0].redact);
  CHECK(d.backends[1].redact);
  CHECK(d.backends[2].redact);
  ComplianceRuleConfig p;
  p.name = "providers";
  p.allow_providers = {"vllm", "openai"};
  c.rules.push_back(p);
  d = decide(c, backends(), nullptr, "", {}, "");
  CHECK(d.action == ComplianceDecision::Action::route);
  CHECK(eligible(d) == std::vector<bool>{true, false, true, false});
  CHECK(d.backends[1].reason == "rule providers: provider qwen-cloud not in [vllm, openai]");
}

TEST_CASE("no eligible backend: fail closed", "[compliance][decide]") {
  auto c = base();
  std::vector<BackendConfig> remote_only = {backend("openai", Locality::remote, "us")};
  auto d = decide(c, remote_only, nullptr, "", {f("cn_resident_id")}, "");
  CHECK_FALSE(d.any_eligible());
}
