// Parsers for each section of the configuration. Each reads one YAML value into
// its struct, checking types, ranges, enums and what the section alone can
// check; references between sections are checked later (Validation).
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/config/YamlReader.hpp"

namespace hgw::config {

void parse_server(Diagnostics&, const Value&, ServerConfig&);
void parse_admin(Diagnostics&, const Value&, AdminConfig&);
void parse_state(Diagnostics&, const Value&, StateConfig&);
void parse_backend(Diagnostics&, const Value&, BackendConfig&);
void parse_route(Diagnostics&, const Value&, RouteConfig&);
void parse_tenant(Diagnostics&, const Value&, TenantConfig&);
// `compliance` may be split across files: one part per file that has it.
void parse_compliance(Diagnostics&, std::vector<Value> parts, ComplianceConfig&);

// Names that become metric labels and response headers: a small safe alphabet.
bool is_valid_name(const std::string&);
// Reports an error at `path` (a remembered value) when `name` is not valid.
void check_name(Diagnostics&, const std::string& path, const std::string& name);

}  // namespace hgw::config
