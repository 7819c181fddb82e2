#include "gateway/config/YamlReader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "gateway/config/DidYouMean.hpp"

namespace hgw::config {

namespace {

// yaml-cpp tags an unquoted scalar "?" and a quoted one "!": a quoted "100"
// is a string, and a string is not a number.
bool is_plain_scalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() != "!"; }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

void type_error(Diagnostics& diag, const Value& v, const std::string& expected) {
  diag.error(v.where, v.path, "expected " + expected + ", got " + describe(v.node));
}

// Keys that would hold a secret literal: the YAML must name an environment
// variable instead, never contain the secret itself.
bool looks_like_secret(const std::string& key) {
  const std::string k = lower(key);
  if (k.ends_with("_env")) return false;
  for (const char* word : {"key", "token", "secret", "password", "passwd", "credential"})
    if (k.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace

SourceLocation location(const std::string* file, const YAML::Mark& mark) {
  if (mark.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: break;
  }
  if (!is_plain_scalar(node)) return "the string '" + node.Scalar() + "'";
  return "'" + node.Scalar() + "'";
}

std::optional<std::string> read_string(Diagnostics& diag, const Value& v) {
  if (!v.node.IsScalar()) {
    type_error(diag, v, "a string");
    return std::nullopt;
  }
  return v.node.Scalar();
}

std::optional<std::uint64_t> read_uint(Diagnostics& diag, const Value& v, std::uint64_t min,
                                       std::uint64_t max) {
  if (!is_plain_scalar(v.node)) {
    type_error(diag, v, "a non-negative integer");
    return std::nullopt;
  }
  std::string_view s = v.node.Scalar();
  if (s.starts_with('+')) s.remove_prefix(1);
  const bool negative = s.starts_with('-');
  if (negative) s.remove_prefix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || end != s.data() + s.size() || ec == std::errc::invalid_argument) {
    type_error(diag, v, "a non-negative integer");
    return std::nullopt;
  }
  if (negative && value != 0) {
    diag.error(v.where, v.path, "must not be negative (got " + v.node.Scalar() + ")");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value > max) {
    diag.error(v.where, v.path, "must be at most " + std::to_string(max) + " (got " + v.node.Scalar() + ")");
    return std::nullopt;
  }
  if (value < min) {
    diag.error(v.where, v.path, "must be at least " + std::to_string(min) + " (got " + v.node.Scalar() + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<double> read_number(Diagnostics& diag, const Value& v, double min, double max) {
  if (!is_plain_scalar(v.node)) {
    type_error(diag, v, "a number");
    return std::nullopt;
  }
  std::string_view s = v.node.Scalar();
  if (s.starts_with('+')) s.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || end != s.data() + s.size() || ec != std::errc() || !std::isfinite(value)) {
    type_error(diag, v, "a number");
    return std::nullopt;
  }
  auto fmt = [](double d) {
    std::string t = std::to_string(d);
    while (t.find('.') != std::string::npos && (t.back() == '0' || t.back() == '.')) {
      const bool dot = t.back() == '.';
      t.pop_back();
      if (dot) break;
    }
    return t;
  };
  if (value < min) {
    diag.error(v.where, v.path,
               (min == 0 ? std::string("must not be negative") : "must be at least " + fmt(min)) +
                   " (got " + v.node.Scalar() + ")");
    return std::nullopt;
  }
  if (value > max) {
    diag.error(v.where, v.path, "must be at most " + fmt(max) + " (got " + v.node.Scalar() + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_bool(Diagnostics& diag, const Value& v) {
  if (is_plain_scalar(v.node)) {
    const std::string s = lower(v.node.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  type_error(diag, v, "true or false");
  return std::nullopt;
}

std::optional<std::string> read_enum(Diagnostics& diag, const Value& v,
                                     const std::vector<std::string>& allowed) {
  if (!v.node.IsScalar()) {
    type_error(diag, v, "one of " + join(allowed, ", "));
    return std::nullopt;
  }
  const std::string& s = v.node.Scalar();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  diag.error(v.where, v.path,
             "invalid value '" + s + "'; allowed: " + join(allowed, ", ") + did_you_mean_suffix(s, allowed));
  return std::nullopt;
}

std::vector<Value> read_sequence(Diagnostics& diag, const Value& v, std::size_t first_index) {
  std::vector<Value> out;
  if (v.node.IsNull()) return out;  // `key:` with nothing = an empty list
  if (!v.node.IsSequence()) {
    type_error(diag, v, "a list");
    return out;
  }
  for (std::size_t i = 0; i < v.node.size(); ++i) {
    Value e;
    e.file = v.file;
    e.node = v.node[i];
    e.path = index_path(v.path, first_index + i);
    e.where = e.node.IsNull() ? v.where : location(v.file, e.node.Mark());
    if (e.where.line == 0) e.where = v.where;
    diag.remember(e.path, e.where);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<std::vector<std::string>> read_string_list(Diagnostics& diag, const Value& v) {
  if (!v.node.IsNull() && !v.node.IsSequence()) {
    type_error(diag, v, "a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& e : read_sequence(diag, v))
    if (auto s = read_string(diag, e)) out.push_back(*s);
  return out;
}

// ---- MapReader -------------------------------------------------------------

MapReader::MapReader(Diagnostics& diag, std::string path, std::vector<Value> parts)
    : diag_(diag), path_(std::move(path)), parts_(std::move(parts)) {}

std::optional<MapReader> MapReader::open(Diagnostics& diag, const Value& value) {
  if (!value.node.IsNull() && !value.node.IsMap()) {
    type_error(diag, value, "a mapping");
    return std::nullopt;
  }
  return MapReader(diag, value.path, {value});
}

SourceLocation MapReader::where() const {
  return parts_.empty() ? SourceLocation{} : parts_.front().where;
}

bool MapReader::has(std::string_view key) const { return !occurrences(key).empty(); }

std::vector<MapReader::Occurrence> MapReader::occurrences(std::string_view key) const {
  std::vector<Occurrence> out;
  for (const auto& part : parts_) {
    if (!part.node.IsMap()) continue;
    for (auto it = part.node.begin(); it != part.node.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key)
        out.push_back({&part, it->first, it->second});
  }
  return out;
}

Value MapReader::make_value(const Occurrence& o) const {
  Value v;
  v.file = o.part->file;
  v.node = o.value;
  v.path = child_path(path_, o.key.Scalar());
  v.where = location(v.file, o.value.IsNull() ? o.key.Mark() : o.value.Mark());
  if (v.where.line == 0) v.where = location(v.file, o.key.Mark());
  diag_.remember(v.path, v.where);
  return v;
}

std::optional<Value> MapReader::get(std::string_view key) {
  known_.emplace_back(key);
  const auto occ = occurrences(key);
  if (occ.empty()) return std::nullopt;
  const auto first = location(occ[0].part->file, occ[0].key.Mark());
  for (std::size_t i = 1; i < occ.size(); ++i) {
    const auto here = location(occ[i].part->file, occ[i].key.Mark());
    std::string msg;
    if (occ[i].part->file == occ[0].part->file)
      msg = "duplicate key '" + std::string(key) + "' (first given at line " + std::to_string(first.line) + ")";
    else
      msg = "'" + std::string(key) + "' is given both in " + *first.file + ":" + std::to_string(first.line) +
            " and in " + *here.file + ":" + std::to_string(here.line) +
            "; only list sections may be split across included files";
    diag_.error(here, child_path(path_, key), msg);
  }
  return make_value(occ[0]);
}

std::optional<Value> MapReader::get_required(std::string_view key) {
  auto v = get(key);
  if (!v) diag_.error(where(), path_, "missing required key '" + std::string(key) + "'");
  return v;
}

std::vector<Value> MapReader::get_all(std::string_view key) {
  known_.emplace_back(key);
  std::vector<Value> out;
  const Value* last_part = nullptr;
  int first_line = 0;
  for (const auto& o : occurrences(key)) {
    if (o.part == last_part) {
      diag_.error(location(o.part->file, o.key.Mark()), child_path(path_, key),
                  "duplicate key '" + std::string(key) + "' (first given at line " + std::to_string(first_line) + ")");
      continue;
    }
    last_part = o.part;
    first_line = location(o.part->file, o.key.Mark()).line;
    out.push_back(make_value(o));
  }
  return out;
}

bool MapReader::read(std::string_view key, std::string& out, bool required) {
  auto v = required ? get_required(key) : get(key);
  if (!v) return false;
  auto s = read_string(diag_, *v);
  if (!s) return false;
  if (required && s->empty()) {
    diag_.error(v->where, v->path, "must not be empty");
    return false;
  }
  out = *s;
  return true;
}

bool MapReader::read(std::string_view key, std::uint32_t& out, std::uint32_t min) {
  auto v = get(key);
  if (!v) return false;
  auto n = read_uint(diag_, *v, min, std::numeric_limits<std::uint32_t>::max());
  if (n) out = static_cast<std::uint32_t>(*n);
  return n.has_value();
}

bool MapReader::read(std::string_view key, std::uint64_t& out, std::uint64_t min) {
  auto v = get(key);
  if (!v) return false;
  auto n = read_uint(diag_, *v, min, std::numeric_limits<std::uint64_t>::max());
  if (n) out = *n;
  return n.has_value();
}

bool MapReader::read(std::string_view key, std::optional<std::uint64_t>& out, std::uint64_t min) {
  std::uint64_t n = 0;
  if (!read(key, n, min)) return false;
  out = n;
  return true;
}

bool MapReader::read(std::string_view key, double& out, double min, double max) {
  auto v = get(key);
  if (!v) return false;
  auto n = read_number(diag_, *v, min, max);
  if (n) out = *n;
  return n.has_value();
}

bool MapReader::read(std::string_view key, std::optional<double>& out, double min, double max) {
  double n = 0;
  if (!read(key, n, min, max)) return false;
  out = n;
  return true;
}

bool MapReader::read(std::string_view key, bool& out) {
  auto v = get(key);
  if (!v) return false;
  auto b = read_bool(diag_, *v);
  if (b) out = *b;
  return b.has_value();
}

bool MapReader::read(std::string_view key, std::optional<bool>& out) {
  bool b = false;
  if (!read(key, b)) return false;
  out = b;
  return true;
}

bool MapReader::read(std::string_view key, std::vector<std::string>& out) {
  auto v = get(key);
  if (!v) return false;
  auto list = read_string_list(diag_, *v);
  if (list) out = std::move(*list);
  return list.has_value();
}

bool MapReader::read_enum(std::string_view key, std::string& out,
                          const std::vector<std::string>& allowed) {
  auto v = get(key);
  if (!v) return false;
  auto s = hgw::config::read_enum(diag_, *v, allowed);
  if (s) out = *s;
  return s.has_value();
}

bool MapReader::read_env_name(std::string_view key, std::string& out) {
  auto v = get(key);
  if (!v) return false;
  auto s = read_string(diag_, *v);
  if (!s) return false;
  const bool valid = !s->empty() && !std::isdigit(static_cast<unsigned char>(s->front())) &&
                     std::all_of(s->begin(), s->end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
  if (!valid) {
    diag_.error(v->where, v->path,
                "must be the name of an environment variable (letters, digits, '_'), not the secret itself");
    return false;
  }
  out = *s;
  return true;
}

void MapReader::finish() {
  for (const auto& part : parts_) {
    if (!part.node.IsMap()) continue;
    for (auto it = part.node.begin(); it != part.node.end(); ++it) {
      const auto where = location(part.file, it->first.Mark());
      if (!it->first.IsScalar()) {
        diag_.error(where, path_, "keys must be plain strings, got " + describe(it->first));
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      std::string msg = "unknown key '" + key + "'";
      std::vector<std::string> env_keys;
      for (const auto& k : known_)
        if (k.ends_with("_env")) env_keys.push_back(k);
      if (!env_keys.empty() && looks_like_secret(key)) {
        const auto env = closest_match(key, env_keys).value_or(env_keys.front());
        msg += "; did you mean '" + env + "'? (secrets never go in the config: name the "
               "environment variable that holds it)";
      } else
        msg += did_you_mean_suffix(key, known_);
      diag_.error(where, child_path(path_, key), msg);
    }
  }
}

}  // namespace hgw::config
