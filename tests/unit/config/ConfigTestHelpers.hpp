// Shared helpers for the config tests: find an error by position and text.
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "gateway/config/ConfigLoader.hpp"

namespace hgw::config::test {

inline std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

// True when some error sits at line:column, has exactly `path`, and its
// message contains `text`.
inline bool has_error(const LoadResult& r, int line, int column, const std::string& path,
                      const std::string& text) {
  for (const auto& e : r.errors)
    if (e.line == line && e.column == column && e.path == path &&
        e.message.find(text) != std::string::npos)
      return true;
  return false;
}

#define REQUIRE_ERROR(result, line, column, path, text)                                  \
  do {                                                                                   \
    INFO("errors:\n" << ::hgw::config::test::all_errors(result));                        \
    REQUIRE(::hgw::config::test::has_error(result, line, column, path, text));           \
  } while (0)

// A small valid configuration the tests append to or alter.
inline const char* kValidBase = R"(backends:
  - name: local
    url: http://127.0.0.1:8000/v1
    model: qwen
    locality: local
  - name: remote
    url: https://api.openai.com/v1
    model: gpt-4o
    locality: remote
routes:
  - name: chat
    models: [gpt-4o]
    targets: [local, remote]
)";

}  // namespace hgw::config::test
