#include "gateway/config/Diagnostics.hpp"

#include <algorithm>
#include <cctype>

namespace hgw::config {

const std::string* Diagnostics::intern_file(const std::string& name) {
  for (const auto& f : files_)
    if (f == name) return &f;
  files_.push_back(name);
  return &files_.back();
}

std::size_t Diagnostics::rank_of(const std::string* file) const {
  for (std::size_t i = 0; i < files_.size(); ++i)
    if (&files_[i] == file) return i;
  return files_.size();
}

void Diagnostics::error(SourceLocation where, std::string path, std::string message) {
  ConfigError e;
  e.file = where.file ? *where.file : std::string("<unknown>");
  e.line = where.line;
  e.column = where.column;
  e.path = path.empty() ? "$" : std::move(path);
  e.message = std::move(message);
  errors_.push_back({rank_of(where.file), std::move(e)});
}

void Diagnostics::error_at(const std::string& path, std::string message) {
  error(location_of(path), path, std::move(message));
}

void Diagnostics::warning(std::string message) {
  if (std::find(warnings_.begin(), warnings_.end(), message) == warnings_.end())
    warnings_.push_back(std::move(message));
}

void Diagnostics::remember(const std::string& path, SourceLocation where) {
  locations_.try_emplace(path, where);
}

SourceLocation Diagnostics::location_of(const std::string& path) const {
  std::string p = path;
  while (!p.empty()) {
    if (auto it = locations_.find(p); it != locations_.end()) return it->second;
    const auto cut = p.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    p.resize(cut);
  }
  if (auto it = locations_.find("$"); it != locations_.end()) return it->second;
  return SourceLocation{files_.empty() ? nullptr : &files_.front(), 1, 1};
}

std::string Diagnostics::describe_location(const std::string& path) const {
  const auto where = location_of(path);
  return (where.file ? *where.file : std::string("<unknown>")) + ":" + std::to_string(where.line);
}

std::vector<ConfigError> Diagnostics::sorted_errors() const {
  std::vector<Entry> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    if (a.file_rank != b.file_rank) return a.file_rank < b.file_rank;
    if (a.error.line != b.error.line) return a.error.line < b.error.line;
    return a.error.column < b.error.column;
  });
  std::vector<ConfigError> out;
  out.reserve(sorted.size());
  for (auto& e : sorted) out.push_back(std::move(e.error));
  return out;
}

std::string child_path(const std::string& parent, std::string_view key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (plain) return parent + "." + std::string(key);
  std::string quoted;
  for (char c : key) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return parent + "['" + quoted + "']";
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace hgw::config
