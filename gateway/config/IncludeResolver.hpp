// Reads the top-level file and, recursively, the files it names under
// `include:`, into a list of parsed documents in merge order (the including
// file, then each included file in the order listed, depth first). YAML syntax
// errors, unreadable files, cycles and double inclusions become errors.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gateway/config/YamlReader.hpp"

namespace hgw::config {

class IncludeResolver {
 public:
  explicit IncludeResolver(Diagnostics& diag) : diag_(diag) {}

  void load_file(const std::string& path);
  void load_string(const std::string& yaml, const std::string& virtual_name);

  // One Value per document that parsed to a mapping (path "$").
  const std::vector<Value>& documents() const { return documents_; }

 private:
  void load_text(const std::string& text, const std::string& display_name,
                 const std::filesystem::path& identity);
  void follow_includes(const Value& document, const std::filesystem::path& dir);
  void include_one(const Value& entry, const std::filesystem::path& dir);

  Diagnostics& diag_;
  std::vector<Value> documents_;
  std::vector<std::filesystem::path> chain_;   // files being loaded: cycle detection
  std::vector<std::filesystem::path> loaded_;  // every file loaded: double inclusion
};

}  // namespace hgw::config
