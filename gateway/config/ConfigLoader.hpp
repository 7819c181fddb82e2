// Loading a configuration: YAML (with include:) -> a validated, immutable
// Config, or every error found, each located as FILE:LINE:COL: $.path.
// Used by `hybridgw serve`, `hybridgw check`, `explain` and POST /admin/reload.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/config/Config.hpp"
#include "gateway/config/ConfigError.hpp"

namespace hgw::config {

struct LoadResult {
  std::shared_ptr<const Config> config;  // set only when there are no errors
  std::vector<ConfigError> errors;       // sorted by file, line, column
  std::vector<std::string> warnings;     // legal but risky settings, for the start-up log
  bool ok() const { return config && errors.empty(); }
};

// Never throw. Relative include: paths are resolved against the including
// file's directory (for a string: the directory of virtual_name, else the
// current directory).
LoadResult load_config_file(const std::string& path);
LoadResult load_config_string(const std::string& yaml, const std::string& virtual_name = "<string>");

// One line for `hybridgw check`: "ok: 3 backends, 2 routes, 2 tenants, 4 compliance rules".
std::string summarize(const Config&);

}  // namespace hgw::config
