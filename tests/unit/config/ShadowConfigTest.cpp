// routes[].shadow and routes[].judge: what loads, and every mistake reported
// at its file, line and column (README "Is the local model good enough?").
#include "tests/unit/config/ConfigTestHelpers.hpp"

using namespace hgw::config;

namespace {

const char* kBackends = R"(backends:
  - {name: local-qwen, url: "http://h", model: m, locality: local}
  - {name: remote-gpt, url: "http://h", model: m, locality: remote}
routes:
)";

}  // namespace

TEST_CASE("shadow and judge load, max_inflight defaults to 8", "[config][shadow]") {
  auto r = load_config_string(std::string(kBackends) + R"(  - name: chat
    models: [a]
    targets: [remote-gpt]
    shadow: { backend: local-qwen, sample: 0.05 }
    judge: { backend: remote-gpt, sample: 0.2 }
  - name: other
    models: [b]
    targets: [local-qwen]
    shadow: { backend: remote-gpt, sample: 1, max_inflight: 3 }
  - { name: plain, models: [c], targets: [local-qwen] }
)");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& routes = r.config->routes;
  REQUIRE(routes[0].shadow);
  CHECK(routes[0].shadow->backend == "local-qwen");
  CHECK(routes[0].shadow->sample == 0.05);
  CHECK(routes[0].shadow->max_inflight == 8);
  REQUIRE(routes[0].judge);
  CHECK(routes[0].judge->backend == "remote-gpt");
  CHECK(routes[0].judge->sample == 0.2);
  REQUIRE(routes[1].shadow);
  CHECK(routes[1].shadow->sample == 1.0);
  CHECK(routes[1].shadow->max_inflight == 3);
  CHECK_FALSE(routes[1].judge);
  CHECK_FALSE(routes[2].shadow);
  CHECK_FALSE(routes[2].judge);
}

TEST_CASE("shadow and judge mistakes point at file, line and column", "[config][shadow]") {
  auto r = load_config_string(std::string(kBackends) + R"(  - name: a
    models: [a]
    targets: [local-qwen]
    shadow: { backend: remote-gtp, sample: 1.5, max_inflight: 0 }
    judge: { backend: local-qwn, sample: -0.1 }
  - name: b
    models: [b]
    targets: [local-qwen]
    judge: { backend: remote-gpt, sample: 0.2, smaple: 1 }
  - name: c
    models: [c]
    targets: [local-qwen]
    shadow: { backend: remote-gpt }
  - name: d
    models: [d]
    targets: [local-qwen]
    shadow: { sample: 0.5, max_inflight: many }
)", "gw.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE_ERROR(r, 8, 24, "$.routes[0].shadow.backend", "unknown backend 'remote-gtp'; did you mean 'remote-gpt'?");
  REQUIRE_ERROR(r, 8, 44, "$.routes[0].shadow.sample", "must be at most 1");
  REQUIRE_ERROR(r, 8, 63, "$.routes[0].shadow.max_inflight", "must be at least 1");
  REQUIRE_ERROR(r, 9, 23, "$.routes[0].judge.backend", "unknown backend 'local-qwn'; did you mean 'local-qwen'?");
  REQUIRE_ERROR(r, 9, 42, "$.routes[0].judge.sample", "must not be negative (got -0.1)");
  // A judge needs answers of a shadow to compare with.
  REQUIRE_ERROR(r, 13, 12, "$.routes[1].judge", "add shadow: { backend: NAME, sample: P } to this route");
  REQUIRE_ERROR(r, 13, 48, "$.routes[1].judge.smaple", "unknown key 'smaple'; did you mean 'sample'?");
  REQUIRE_ERROR(r, 17, 13, "$.routes[2].shadow", "missing required key 'sample'");
  REQUIRE_ERROR(r, 21, 13, "$.routes[3].shadow", "missing required key 'backend'");
  REQUIRE_ERROR(r, 21, 42, "$.routes[3].shadow.max_inflight", "expected a non-negative integer, got 'many'");
  bool named_file = false;
  for (const auto& e : r.errors)
    if (e.to_string().starts_with("gw.yaml:8:24: $.routes[0].shadow.backend: unknown backend")) named_file = true;
  CHECK(named_file);
}
