// load_config_string (gateway/config/ConfigLoader.hpp) on any text, as if it
// were a file in tests/fixtures/config/include/ (so that include: can reach
// real files there: parts, cycles, syntax errors). Checks: the loader never
// throws or crashes; a result is either a config or errors, never both; and
// every error is located as FILE:LINE:COL: $.path: message with a real line
// and column, so a person can jump to it.
#include "gateway/config/ConfigLoader.hpp"
#include "tests/fuzz/FuzzSupport.hpp"

#include <string>

using hgw::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string name = std::string(HGW_SOURCE_DIR) + "/tests/fixtures/config/include/fuzz.yaml";
  const auto result = hgw::config::load_config_string(std::string(hgw::fuzz::as_text(data, size)), name);
  check(result.ok() == result.errors.empty(), "a config and errors at once, or neither");
  if (result.ok()) check(!hgw::config::summarize(*result.config).empty(), "empty summary");
  for (const auto& e : result.errors) {
    const std::string line = e.to_string();
    check(!e.file.empty() && e.line >= 1 && e.column >= 1, "error without FILE:LINE:COL", line);
    check(e.path.starts_with("$"), "error path does not start at $", line);
    check(!e.message.empty(), "error without a message", line);
    check(line.starts_with(e.file + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": $"),
          "error not printed as FILE:LINE:COL: $.path: message", line);
  }
  return 0;
}
