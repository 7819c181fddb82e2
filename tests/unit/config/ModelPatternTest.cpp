// Wildcard model names in routes: what a pattern matches, and which route a
// model picks when several could (exact first, then the longest pattern).
#include "tests/unit/config/ConfigTestHelpers.hpp"

#include "gateway/config/ModelPattern.hpp"

using namespace hgw::config;

TEST_CASE("model patterns: * stands for any run of characters", "[config][models]") {
  CHECK(model_matches("claude-*", "claude-sonnet-4-5"));
  CHECK(model_matches("claude-*", "claude-"));
  CHECK_FALSE(model_matches("claude-*", "claude"));
  CHECK_FALSE(model_matches("claude-*", "xclaude-1"));
  CHECK(model_matches("gpt-4o*", "gpt-4o"));
  CHECK(model_matches("gpt-4o*", "gpt-4o-mini"));
  CHECK_FALSE(model_matches("gpt-4o*", "gpt-4"));
  CHECK(model_matches("*", ""));
  CHECK(model_matches("*", "anything at all"));
  CHECK(model_matches("*-mini", "gpt-4o-mini"));
  CHECK_FALSE(model_matches("*-mini", "gpt-4o-mini-2024"));
  CHECK(model_matches("a*b*c", "aXXbYYbZc"));
  CHECK_FALSE(model_matches("a*b*c", "aXXbYY"));
  CHECK(model_matches("claude-*", "claude-*x"));  // a '*' in the name the client sent is just a character
  CHECK_FALSE(model_matches("gpt-?", "gpt-4"));     // '?' is not a wildcard in model patterns
  CHECK(model_matches("exact", "exact"));
  CHECK_FALSE(model_matches("exact", "exact-not"));
  CHECK(is_model_pattern("x*"));
  CHECK_FALSE(is_model_pattern("gpt-4o"));
  CHECK(upstream_model("*", "claude-opus-4") == "claude-opus-4");
  CHECK(upstream_model("qwen", "claude-opus-4") == "qwen");
}

TEST_CASE("model patterns: exact names win, then the longest pattern, then config order", "[config][models]") {
  auto r = load_config_string(R"(backends:
  - { name: local, url: "http://127.0.0.1:8000/v1", model: qwen, locality: local }
routes:
  - { name: anything, models: ["*"], targets: [local] }
  - { name: claude, models: ["claude-*"], targets: [local] }
  - { name: opus, models: ["claude-opus-*"], targets: [local] }
  - { name: pinned, models: [claude-opus-4-fast], targets: [local] }
  - { name: gpt, models: ["gpt-4o*", "o*"], targets: [local] }
  - { name: gpt-too, models: ["gpt-4*o"], targets: [local] }
)",
                            "patterns.yaml");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  auto route = [&](std::string_view model) {
    const auto* found = r.config->find_route_by_model(model);
    return found ? found->name : std::string("(none)");
  };
  CHECK(route("claude-opus-4-fast") == "pinned");  // exact, although listed after two patterns
  CHECK(route("claude-opus-4") == "opus");         // the longer pattern
  CHECK(route("claude-sonnet-4") == "claude");
  CHECK(route("gpt-4o-mini") == "gpt");
  CHECK(route("gpt-4o") == "gpt");                 // "gpt-4o*" and "gpt-4*o" tie: the first listed
  CHECK(route("llama3") == "anything");
  CHECK(route("") == "anything");
}

TEST_CASE("model patterns: the same pattern in two routes is an error like the same name", "[config][models]") {
  auto r = load_config_string(R"(backends:
  - { name: local, url: "http://127.0.0.1:8000/v1", model: qwen, locality: local }
routes:
  - { name: a, models: ["claude-*"], targets: [local] }
  - { name: b, models: ["claude-*"], targets: [local] }
)",
                              "dup.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(test::all_errors(r).find("model 'claude-*' is already claimed by route 'a'") != std::string::npos);
}
