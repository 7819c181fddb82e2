#include "gateway/config/IncludeResolver.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace hgw::config {

namespace fs = std::filesystem;

namespace {

fs::path identity_of(const fs::path& p) {
  std::error_code ec;
  auto canonical = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : canonical;
}

// Configuration files are small; a larger "file" is a mistake such as
// include: /dev/zero, which would otherwise be read until memory runs out.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

// `regular_only`: included files must be regular files. A FIFO or a device
// (include: /dev/stdin) would block the load — and a reload — forever. The
// top-level file may be a pipe: `hybridgw check --config <(envsubst < t.yaml)`.
bool read_whole_file(const fs::path& p, std::string& out, std::string& error, bool regular_only) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    error = "is a directory";
    return false;
  }
  const auto status = fs::status(p, ec);
  if (regular_only && !ec && !fs::is_regular_file(status)) {
    error = "is not a regular file";
    return false;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  out.clear();
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > kMaxConfigBytes) {
      error = "is larger than 16 MiB";
      return false;
    }
  }
  return true;
}

}  // namespace

void IncludeResolver::load_file(const std::string& path) {
  const auto* file = diag_.intern_file(path);
  std::string text, error;
  if (!read_whole_file(path, text, error, false)) {
    diag_.error(SourceLocation{file, 0, 0}, "$", "cannot read the configuration file: " + error);
    return;
  }
  load_text(text, path, identity_of(path));
}

void IncludeResolver::load_string(const std::string& yaml, const std::string& virtual_name) {
  load_text(yaml, virtual_name, identity_of(virtual_name));
}

void IncludeResolver::load_text(const std::string& text, const std::string& display_name,
                                const fs::path& identity) {
  const auto* file = diag_.intern_file(display_name);
  Value doc;
  doc.file = file;
  doc.path = "$";
  doc.where = SourceLocation{file, 1, 1};
  try {
    doc.node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diag_.error(location(file, e.mark), "$", "YAML syntax error: " + e.msg);
    return;
  } catch (const std::exception& e) {
    diag_.error(doc.where, "$", std::string("cannot parse: ") + e.what());
    return;
  }
  diag_.remember("$", doc.where);
  if (!doc.node.IsNull() && !doc.node.IsMap()) {
    diag_.error(location(file, doc.node.Mark()), "$",
                "the top level must be a mapping of sections (server, backends, routes, ...), got " +
                    describe(doc.node));
    return;
  }
  loaded_.push_back(identity);
  chain_.push_back(identity);
  documents_.push_back(doc);
  follow_includes(doc, identity.parent_path());
  chain_.pop_back();
}

void IncludeResolver::follow_includes(const Value& document, const fs::path& dir) {
  if (!document.node.IsMap()) return;
  for (auto it = document.node.begin(); it != document.node.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "include") continue;
    Value inc;
    inc.file = document.file;
    inc.node = it->second;
    inc.path = "$.include";
    inc.where = location(document.file, it->second.IsNull() ? it->first.Mark() : it->second.Mark());
    if (inc.node.IsScalar()) {
      include_one(inc, dir);
    } else if (inc.node.IsSequence()) {
      for (const auto& entry : read_sequence(diag_, inc)) include_one(entry, dir);
    } else {
      diag_.error(inc.where, inc.path, "expected a file path or a list of paths, got " + describe(inc.node));
    }
  }
}

void IncludeResolver::include_one(const Value& entry, const fs::path& dir) {
  auto name = read_string(diag_, entry);
  if (!name) return;
  if (name->empty()) {
    diag_.error(entry.where, entry.path, "empty include path");
    return;
  }
  fs::path target = *name;
  if (target.is_relative()) target = dir / target;
  target = target.lexically_normal();
  const auto identity = identity_of(target);
  if (std::find(chain_.begin(), chain_.end(), identity) != chain_.end()) {
    std::string cycle;
    for (const auto& f : chain_) cycle += f.filename().string() + " -> ";
    diag_.error(entry.where, entry.path, "include cycle: " + cycle + identity.filename().string());
    return;
  }
  if (std::find(loaded_.begin(), loaded_.end(), identity) != loaded_.end()) {
    diag_.error(entry.where, entry.path, "'" + target.string() + "' is already included");
    return;
  }
  std::string text, error;
  if (!read_whole_file(target, text, error, true)) {
    diag_.error(entry.where, entry.path, "cannot read included file '" + target.string() + "': " + error);
    return;
  }
  load_text(text, target.string(), identity);
}

}  // namespace hgw::config
