#include "gateway/config/ConfigLoader.hpp"

#include "gateway/config/IncludeResolver.hpp"
#include "gateway/config/Sections.hpp"
#include "gateway/config/Validation.hpp"

namespace hgw::config {

namespace {

// The top level of every document, merged: list sections are concatenated
// in document order, a mapping section may come from one document only.
void parse_documents(Diagnostics& diag, const std::vector<Value>& documents, Config& cfg) {
  if (documents.empty()) return;
  MapReader top(diag, "$", documents);
  top.get_all("include");  // already followed by IncludeResolver

  if (auto v = top.get("server")) parse_server(diag, *v, cfg.server);
  if (auto v = top.get("admin")) parse_admin(diag, *v, cfg.admin);
  for (const auto& part : top.get_all("backends"))
    for (const auto& item : read_sequence(diag, part, cfg.backends.size()))
      parse_backend(diag, item, cfg.backends.emplace_back());
  for (const auto& part : top.get_all("routes"))
    for (const auto& item : read_sequence(diag, part, cfg.routes.size()))
      parse_route(diag, item, cfg.routes.emplace_back());
  for (const auto& part : top.get_all("tenants"))
    for (const auto& item : read_sequence(diag, part, cfg.tenants.size()))
      parse_tenant(diag, item, cfg.tenants.emplace_back());
  if (auto v = top.get("state")) parse_state(diag, *v, cfg.state);
  parse_compliance(diag, top.get_all("compliance"), cfg.compliance);
  top.finish();
}

LoadResult finish_load(Diagnostics& diag, IncludeResolver& resolver, const std::string& source) {
  LoadResult result;
  try {
    auto cfg = std::make_shared<Config>();
    cfg->source_file = source;
    if (!diag.has_errors() || !resolver.documents().empty()) {
      parse_documents(diag, resolver.documents(), *cfg);
      // References are only meaningful once every file parsed.
      if (!resolver.documents().empty()) validate_references(*cfg, diag);
    }
    if (!diag.has_errors()) result.config = std::move(cfg);
  } catch (const std::exception& e) {
    // A bug in the loader must not take the process down: report it as an error.
    diag.error(diag.location_of("$"), "$", std::string("internal error while loading: ") + e.what());
  }
  result.errors = diag.sorted_errors();
  result.warnings = diag.warnings();
  return result;
}

}  // namespace

LoadResult load_config_file(const std::string& path) {
  Diagnostics diag;
  IncludeResolver resolver(diag);
  try {
    resolver.load_file(path);
  } catch (const std::exception& e) {
    diag.error(SourceLocation{diag.intern_file(path), 0, 0}, "$", std::string("cannot load: ") + e.what());
  }
  return finish_load(diag, resolver, path);
}

LoadResult load_config_string(const std::string& yaml, const std::string& virtual_name) {
  Diagnostics diag;
  IncludeResolver resolver(diag);
  try {
    resolver.load_string(yaml, virtual_name);
  } catch (const std::exception& e) {
    diag.error(SourceLocation{diag.intern_file(virtual_name), 0, 0}, "$",
               std::string("cannot load: ") + e.what());
  }
  return finish_load(diag, resolver, virtual_name);
}

std::string summarize(const Config& c) {
  auto count = [](std::size_t n, const char* singular, const char* plural) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural);
  };
  return "ok: " + count(c.backends.size(), "backend", "backends") + ", " +
         count(c.routes.size(), "route", "routes") + ", " + count(c.tenants.size(), "tenant", "tenants") +
         ", " + count(c.compliance.rules.size(), "compliance rule", "compliance rules");
}

}  // namespace hgw::config
