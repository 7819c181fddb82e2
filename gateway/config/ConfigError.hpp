// One problem found in a configuration, located precisely enough that a person
// can jump to it: the file it is in (an included file names itself, not the
// file that included it), the 1-based line and column of the offending YAML
// node, and the JSONPath-like path of the value in the merged configuration.
#pragma once

#include <string>

namespace hgw::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
  std::string path;  // e.g. "$.backends[1].timeouts.connect_ms"
  std::string message;

  // "FILE:LINE:COL: $.path: message"
  std::string to_string() const;
};

}  // namespace hgw::config
