// Typed, located reading of yaml-cpp nodes. Every reader reports a wrong type,
// a value out of range or an unknown key to Diagnostics and carries on, so one
// load reports every problem. Nothing here throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "gateway/config/Diagnostics.hpp"

namespace hgw::config {

// A YAML node with the file it came from and its path in the merged config.
struct Value {
  const std::string* file = nullptr;
  YAML::Node node;
  std::string path;
  SourceLocation where;  // of the node; of its key when the node is null
};

SourceLocation location(const std::string* file, const YAML::Mark& mark);

// "a string", "a number", "a mapping", ... for "expected X, got Y" messages.
std::string describe(const YAML::Node& node);

std::optional<std::string> read_string(Diagnostics&, const Value&);
std::optional<std::uint64_t> read_uint(Diagnostics&, const Value&, std::uint64_t min,
                                       std::uint64_t max);
std::optional<double> read_number(Diagnostics&, const Value&, double min, double max);
std::optional<bool> read_bool(Diagnostics&, const Value&);
std::optional<std::string> read_enum(Diagnostics&, const Value&,
                                     const std::vector<std::string>& allowed);
// Elements of a sequence (each remembered at its path); empty with an error
// when the value is not a sequence. `first_index` numbers the elements of a
// list continued from another file (merged lists keep one numbering).
std::vector<Value> read_sequence(Diagnostics&, const Value&, std::size_t first_index = 0);
std::optional<std::vector<std::string>> read_string_list(Diagnostics&, const Value&);

// Reads the keys of one mapping — or of several mappings merged from several
// files (the top level, `compliance`). Every key a caller asks for becomes a
// known key; finish() reports the others as unknown, with a did-you-mean.
class MapReader {
 public:
  MapReader(Diagnostics& diag, std::string path, std::vector<Value> parts);
  // nullopt, with an error, when the value is not a mapping.
  static std::optional<MapReader> open(Diagnostics& diag, const Value& value);

  // The value of `key`; an error when it is given twice (same file or two files).
  std::optional<Value> get(std::string_view key);
  // Like get(), but an error naming the key when it is absent.
  std::optional<Value> get_required(std::string_view key);
  // One value per merged part that has `key`: list sections that several
  // files may contribute to.
  std::vector<Value> get_all(std::string_view key);
  bool has(std::string_view key) const;

  // Typed reads: `out` is written only when the value is present and valid.
  bool read(std::string_view key, std::string& out, bool required = false);
  bool read(std::string_view key, std::uint32_t& out, std::uint32_t min = 0);
  bool read(std::string_view key, std::uint64_t& out, std::uint64_t min = 0);
  bool read(std::string_view key, std::optional<std::uint64_t>& out, std::uint64_t min = 0);
  bool read(std::string_view key, double& out, double min, double max);
  bool read(std::string_view key, std::optional<double>& out, double min, double max);
  bool read(std::string_view key, bool& out);
  bool read(std::string_view key, std::optional<bool>& out);
  bool read(std::string_view key, std::vector<std::string>& out);
  bool read_enum(std::string_view key, std::string& out, const std::vector<std::string>& allowed);
  // The same, into an enum: `allowed` are its names, `parse` maps a name to it.
  template <class E, class Parse>
  bool read_enum(std::string_view key, E& out, const std::vector<std::string>& allowed, Parse parse) {
    std::string name;
    if (!read_enum(key, name, allowed)) return false;
    if (auto v = parse(name)) out = *v;
    return true;
  }
  // The name of an environment variable ([A-Za-z_][A-Za-z0-9_]*). A value that
  // is not one is most likely a pasted secret: rejected without echoing it.
  bool read_env_name(std::string_view key, std::string& out);

  // Reports every key that no get()/read() asked for.
  void finish();

  const std::string& path() const { return path_; }
  SourceLocation where() const;

 private:
  struct Occurrence {
    const Value* part;
    YAML::Node key;
    YAML::Node value;
  };
  std::vector<Occurrence> occurrences(std::string_view key) const;
  Value make_value(const Occurrence&) const;

  Diagnostics& diag_;
  std::string path_;
  std::vector<Value> parts_;
  std::vector<std::string> known_;
};

}  // namespace hgw::config
