// Collects every error and warning of one configuration load, and remembers
// where each value came from (path -> file/line/column) so that checks that run
// after parsing (dangling names, duplicates) can still point at the right line.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/config/ConfigError.hpp"

namespace hgw::config {

struct SourceLocation {
  const std::string* file = nullptr;  // interned by Diagnostics::intern_file
  int line = 0;                       // 1-based, 0 = unknown
  int column = 0;
};

class Diagnostics {
 public:
  // A stable pointer for a file name; files are ordered by first interning,
  // which is also the order errors are sorted in.
  const std::string* intern_file(const std::string& name);

  void error(SourceLocation where, std::string path, std::string message);
  // For checks run after parsing: the location remembered for `path`, or for
  // its closest remembered ancestor.
  void error_at(const std::string& path, std::string message);
  void warning(std::string message);

  void remember(const std::string& path, SourceLocation where);
  SourceLocation location_of(const std::string& path) const;
  bool knows(const std::string& path) const { return locations_.count(path) != 0; }
  // "file.yaml:12" for "first defined at ..." messages.
  std::string describe_location(const std::string& path) const;

  bool has_errors() const { return !errors_.empty(); }
  std::vector<ConfigError> sorted_errors() const;  // by file, line, column
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Entry {
    std::size_t file_rank;
    ConfigError error;
  };
  std::size_t rank_of(const std::string* file) const;

  std::deque<std::string> files_;  // deque: pointers stay valid as it grows
  std::vector<Entry> errors_;
  std::vector<std::string> warnings_;
  std::unordered_map<std::string, SourceLocation> locations_;
};

// Path building: "$" + ".key" / "['odd key']" / "[3]".
std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);

}  // namespace hgw::config
