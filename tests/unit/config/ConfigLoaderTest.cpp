// Each kind of configuration error, reported with its file, line, column and path.
#include "tests/unit/config/ConfigTestHelpers.hpp"
#include "policies/failover/Outcome.hpp"

using namespace hgw::config;
using hgw::config::test::kValidBase;

TEST_CASE("a valid configuration loads with defaults and parsed urls", "[config]") {
  auto r = load_config_string(kValidBase, "base.yaml");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& c = *r.config;
  REQUIRE(c.backends.size() == 2);
  CHECK(c.backends[0].locality == Locality::local);
  CHECK_FALSE(c.backends[0].https);
  CHECK(c.backends[0].host == "127.0.0.1");
  CHECK(c.backends[0].port == "8000");
  CHECK(c.backends[0].base_path == "/v1");
  CHECK(c.backends[1].https);
  CHECK(c.backends[1].port == "443");
  CHECK(c.routes[0].targets.size() == 2);
  CHECK(c.routes[0].targets[1].weight == 1);
  CHECK(c.server.port == 8080);
  CHECK(summarize(c) == "ok: 2 backends, 1 route, 0 tenants, 0 compliance rules");
  // No tenants: legal, but the operator must hear that the gateway is open.
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "no tenants: the gateway accepts requests without an API key");
}

TEST_CASE("error text is FILE:LINE:COL: $.path: message", "[config]") {
  ConfigError e{"gw.yaml", 3, 7, "$.backends[1].timeouts.connect_ms", "must not be negative"};
  CHECK(e.to_string() == "gw.yaml:3:7: $.backends[1].timeouts.connect_ms: must not be negative");
}

TEST_CASE("unknown keys are errors with a did-you-mean", "[config]") {
  auto r = load_config_string(R"(backends:
  - name: local
    url: http://127.0.0.1:8000/v1
    modle: qwen
    model: qwen
    locality: local
routes:
  - name: chat
    models: [a]
    targets: [local]
    stratgy: cheapest
serverr: {}
)", "t.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE_ERROR(r, 4, 5, "$.backends[0].modle", "unknown key 'modle'; did you mean 'model'?");
  REQUIRE_ERROR(r, 11, 5, "$.routes[0].stratgy", "did you mean 'strategy'?");
  REQUIRE_ERROR(r, 12, 1, "$.serverr", "did you mean 'server'?");
  CHECK(r.errors[0].to_string() == "t.yaml:4:5: $.backends[0].modle: unknown key 'modle'; did you mean 'model'?");
}

TEST_CASE("a literal secret is an unknown key pointing at api_key_env", "[config]") {
  auto r = load_config_string(std::string(kValidBase) + R"(admin:
  api_key: hunter2
)");
  REQUIRE_ERROR(r, 15, 3, "$.admin.api_key", "unknown key 'api_key'; did you mean 'api_key_env'?");
  auto r2 = load_config_string(R"(backends:
  - {name: x, url: "http://h", model: m, locality: remote, api_key: sk-123}
routes: [{name: r, models: [m], targets: [x]}]
)");
  REQUIRE_ERROR(r2, 2, 60, "$.backends[0].api_key", "did you mean 'api_key_env'?");
  // The secret itself is never echoed.
  CHECK(test::all_errors(r2).find("sk-123") == std::string::npos);
}

TEST_CASE("redis_url: only what the store can reach, never credentials", "[config]") {
  auto tls = load_config_string(std::string(kValidBase) + R"(state:
  store: redis
  redis_url: rediss://cache.internal:6380
)");
  REQUIRE_ERROR(tls, 16, 14, "$.state.redis_url", "rediss:// (TLS) is not supported");
  auto creds = load_config_string(std::string(kValidBase) + R"(state:
  store: redis
  redis_url: redis://user:hunter2@cache.internal:6379
)");
  REQUIRE_ERROR(creds, 16, 14, "$.state.redis_url", "name the environment variable holding the password in redis_password_env");
  CHECK(test::all_errors(creds).find("hunter2") == std::string::npos);
  auto unix_socket = load_config_string(std::string(kValidBase) + R"(state:
  store: redis
  redis_url: unix:///run/redis/redis.sock
  redis_password_env: REDIS_PASSWORD
)");
  INFO(test::all_errors(unix_socket));
  CHECK(unix_socket.errors.empty());
}

TEST_CASE("every error is collected, not only the first", "[config]") {
  auto r = load_config_string(R"(server:
  listen: "0.0.0.0:99999"
  threads: -1
backends:
  - name: a
    url: ftp://x
    model: m
    locality: nearby
    timeouts: {connect_ms: fast, total_ms: 1000}
    tls: {verify: maybe}
routes:
  - name: r
    models: [m]
    targets: [a, b]
)", "many.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.config == nullptr);
  REQUIRE_ERROR(r, 2, 11, "$.server.listen", "port must be a number from 1 to 65535");
  REQUIRE_ERROR(r, 3, 12, "$.server.threads", "must not be negative");
  REQUIRE_ERROR(r, 6, 10, "$.backends[0].url", "must start with http:// or https://");
  REQUIRE_ERROR(r, 8, 15, "$.backends[0].locality", "invalid value 'nearby'; allowed: local, remote");
  REQUIRE_ERROR(r, 9, 28, "$.backends[0].timeouts.connect_ms", "expected a non-negative integer, got 'fast'");
  REQUIRE_ERROR(r, 10, 19, "$.backends[0].tls.verify", "expected true or false");
  REQUIRE_ERROR(r, 14, 18, "$.routes[0].targets[1]", "unknown backend 'b'");
  CHECK(r.errors.size() == 7);
  // Sorted by position.
  for (std::size_t i = 1; i < r.errors.size(); ++i) CHECK(r.errors[i - 1].line <= r.errors[i].line);
}

TEST_CASE("wrong types", "[config]") {
  auto r = load_config_string(std::string(kValidBase) + R"(server:
  limits: {max_body_bytes: "1000", max_connections: [1]}
  tls: on
tenants:
  - name: t
    budget: {daily_usd: -5}
    routes: chat
)");
  REQUIRE_ERROR(r, 15, 28, "$.server.limits.max_body_bytes", "expected a non-negative integer, got the string '1000'");
  REQUIRE_ERROR(r, 15, 53, "$.server.limits.max_connections", "got a list");
  REQUIRE_ERROR(r, 16, 8, "$.server.tls", "expected a mapping");
  REQUIRE_ERROR(r, 19, 25, "$.tenants[0].budget.daily_usd", "must not be negative");
  REQUIRE_ERROR(r, 20, 13, "$.tenants[0].routes", "expected a list of strings");
}

TEST_CASE("missing required keys name the key, at the mapping", "[config]") {
  auto r = load_config_string(R"(backends:
  - name: a
    url: http://h
routes:
  - targets: [a]
tenants:
  - keys: []
)");
  REQUIRE_ERROR(r, 2, 5, "$.backends[0]", "missing required key 'model'");
  REQUIRE_ERROR(r, 2, 5, "$.backends[0]", "missing required key 'locality'");
  REQUIRE_ERROR(r, 5, 5, "$.routes[0]", "missing required key 'name'");
  REQUIRE_ERROR(r, 5, 5, "$.routes[0]", "missing required key 'models'");
  REQUIRE_ERROR(r, 7, 5, "$.tenants[0]", "missing required key 'name'");
}

TEST_CASE("invalid enum values list the allowed ones", "[config]") {
  auto r = load_config_string(R"(backends:
  - {name: a, url: "http://h", model: m, locality: local, protocol: opena1}
routes:
  - name: r
    models: [m]
    targets: [a]
    strategy: random
    failover: {on: [connect, http_500]}
tenants:
  - {name: t, budget: {on_exhausted: throttle}}
state: {store: postgres}
)");
  REQUIRE_ERROR(r, 2, 69, "$.backends[0].protocol",
                "invalid value 'opena1'; allowed: openai, anthropic, azure-openai, openai-responses; did you mean 'openai'?");
  REQUIRE_ERROR(r, 7, 15, "$.routes[0].strategy",
                "allowed: priority, cheapest, weighted, least_loaded, fastest");
  REQUIRE_ERROR(r, 8, 30, "$.routes[0].failover.on[1]", "invalid value 'http_500'");
  REQUIRE_ERROR(r, 10, 38, "$.tenants[0].budget.on_exhausted", "allowed: reject, downgrade");
  REQUIRE_ERROR(r, 11, 16, "$.state.store", "allowed: sqlite, redis, memory");
}

TEST_CASE("duplicate names and a model claimed twice", "[config]") {
  auto r = load_config_string(R"(backends:
  - {name: a, url: "http://h", model: m, locality: local}
  - {name: a, url: "http://h2", model: m, locality: local}
routes:
  - {name: r, models: [m, n], targets: [a]}
  - {name: r, models: [n], targets: [a]}
tenants:
  - {name: t}
  - {name: t}
)", "dup.yaml");
  REQUIRE_ERROR(r, 3, 12, "$.backends[1].name", "duplicate backend name 'a' (first defined at dup.yaml:2)");
  REQUIRE_ERROR(r, 6, 12, "$.routes[1].name", "duplicate route name 'r'");
  REQUIRE_ERROR(r, 6, 24, "$.routes[1].models[0]", "model 'n' is already claimed by route 'r' (dup.yaml:5)");
  REQUIRE_ERROR(r, 9, 12, "$.tenants[1].name", "duplicate tenant name 't'");
}

TEST_CASE("duplicate keys in one mapping", "[config]") {
  auto r = load_config_string(std::string(kValidBase) + "server: {threads: 1, threads: 2}\n");
  REQUIRE_ERROR(r, 14, 22, "$.server.threads", "duplicate key 'threads' (first given at line 14)");
}

TEST_CASE("dangling backend names in targets and when-rules", "[config]") {
  auto r = load_config_string(R"(backends:
  - {name: local-qwen, url: "http://h", model: m, locality: local}
routes:
  - name: r
    models: [m]
    targets: [{backend: local-qwn, weight: 2}]
    when:
      - {name: big, min_prompt_tokens: 8000, targets: [remote-gpt]}
      - {tenants: [nobody], has_tools: true}
)");
  REQUIRE_ERROR(r, 6, 25, "$.routes[0].targets[0].backend", "unknown backend 'local-qwn'; did you mean 'local-qwen'?");
  REQUIRE_ERROR(r, 8, 56, "$.routes[0].when[0].targets[0]", "unknown backend 'remote-gpt'");
  REQUIRE_ERROR(r, 9, 20, "$.routes[0].when[1].tenants[0]", "unknown tenant 'nobody'");
}

TEST_CASE("weights are at least 1", "[config]") {
  auto r = load_config_string(R"(backends:
  - {name: a, url: "http://h", model: m, locality: local}
routes:
  - {name: r, models: [m], strategy: weighted, targets: [{backend: a, weight: 0}]}
)");
  REQUIRE_ERROR(r, 4, 79, "$.routes[0].targets[0].weight", "must be at least 1");
}

TEST_CASE("listen addresses", "[config]") {
  SECTION("IPv6 with brackets") {
    auto r = load_config_string(std::string(kValidBase) + "server: {listen: \"[::1]:8081\"}\n");
    INFO(test::all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->server.host == "::1");
    CHECK(r.config->server.port == 8081);
  }
  SECTION("bad ones") {
    auto r = load_config_string(std::string(kValidBase) + R"(server: {listen: "localhost"}
admin: {listen: "::1:9090"}
)");
    REQUIRE_ERROR(r, 14, 18, "$.server.listen", "missing port");
    REQUIRE_ERROR(r, 15, 17, "$.admin.listen", "IPv6 addresses need brackets");
  }
  SECTION("port 0") {
    auto r = load_config_string(std::string(kValidBase) + "admin: {listen: \"127.0.0.1:0\"}\n");
    REQUIRE_ERROR(r, 14, 17, "$.admin.listen", "port must be a number from 1 to 65535");
  }
  SECTION("admin and server on the same port") {
    auto r = load_config_string(std::string(kValidBase) + "admin: {listen: \"127.0.0.1:8080\"}\n");
    REQUIRE_ERROR(r, 14, 17, "$.admin.listen", "collides with server listener");
  }
}

TEST_CASE("backend urls", "[config]") {
  auto load_url = [](const std::string& url) {
    return load_config_string("backends: [{name: a, url: \"" + url +
                              "\", model: m, locality: remote}]\nroutes: [{name: r, models: [m], targets: [a]}]\n");
  };
  auto r = load_url("https://[::1]:8443/openai/v1/");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.config->backends[0].host == "::1");
  CHECK(r.config->backends[0].port == "8443");
  CHECK(r.config->backends[0].base_path == "/openai/v1");
  auto r2 = load_url("http://example.com");
  REQUIRE(r2.ok());
  CHECK(r2.config->backends[0].port == "80");
  CHECK(r2.config->backends[0].base_path.empty());
  REQUIRE_ERROR(load_url("http://"), 1, 27, "$.backends[0].url", "missing host");
  REQUIRE_ERROR(load_url("https://user:pw@h/v1"), 1, 27, "$.backends[0].url", "credentials in the url");
  REQUIRE_ERROR(load_url("http://h:0/"), 1, 27, "$.backends[0].url", "port must be a number");
  REQUIRE_ERROR(load_url("api.openai.com"), 1, 27, "$.backends[0].url", "must start with http:// or https://");
}

TEST_CASE("tenant keys are sha256 digests", "[config]") {
  const std::string digest(64, 'a');
  auto r = load_config_string(std::string(kValidBase) + "tenants:\n  - name: t\n    keys: [\"sha256:" + digest +
                              "\", \"sk-plaintext\", \"sha256:abc\"]\n  - name: u\n    keys: [\"sha256:" + digest + "\"]\n");
  REQUIRE_ERROR(r, 16, 87, "$.tenants[0].keys[1]", "'sha256:' followed by 64 hex digits");
  REQUIRE_ERROR(r, 16, 103, "$.tenants[0].keys[2]", "64 hex digits");
  REQUIRE_ERROR(r, 18, 12, "$.tenants[1].keys[0]", "already used by tenant 't'");
  CHECK(test::all_errors(r).find("sk-plaintext") == std::string::npos);
}

TEST_CASE("YAML syntax errors carry their line and column", "[config]") {
  auto r = load_config_string("backends:\n  - name: a\n    url: [http://h\nroutes: []\n", "syntax.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == "syntax.yaml");
  CHECK(r.errors[0].line > 0);
  CHECK(r.errors[0].message.find("YAML syntax error") != std::string::npos);
  auto r2 = load_config_string("server:\n  listen: a\n    threads: 2\n");
  REQUIRE(r2.errors.size() == 1);
  CHECK(r2.errors[0].line == 3);
}

TEST_CASE("a top level that is not a mapping", "[config]") {
  auto r = load_config_string("- a\n- b\n");
  REQUIRE_ERROR(r, 1, 1, "$", "the top level must be a mapping");
}

TEST_CASE("an empty configuration needs backends and routes", "[config]") {
  auto r = load_config_string("", "empty.yaml");
  REQUIRE_ERROR(r, 1, 1, "$", "no backends configured");
  REQUIRE_ERROR(r, 1, 1, "$", "no routes configured");
}

TEST_CASE("tls.verify false is a warning, not an error", "[config]") {
  auto r = load_config_string(R"(backends:
  - {name: selfsigned, url: "https://h", model: m, locality: local, tls: {verify: false}}
routes: [{name: r, models: [m], targets: [selfsigned]}]
tenants: [{name: t, keys: []}]
)");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "upstream TLS verification disabled for backend selfsigned");
}

TEST_CASE("a missing file is an error, not an exception", "[config]") {
  auto r = load_config_file("/nonexistent/hybridgw.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == "/nonexistent/hybridgw.yaml");
  CHECK(r.errors[0].message.find("cannot read") != std::string::npos);
}

TEST_CASE("when-rules default to the route's targets and strategy", "[config]") {
  auto r = load_config_string(R"(backends:
  - {name: small, url: "http://h", model: m, locality: local}
  - {name: big, url: "https://api", model: m, locality: remote}
routes:
  - name: r
    models: [auto]
    strategy: cheapest
    targets: [small, big]
    when:
      - {name: hard, min_prompt_tokens: 8000, targets: [big], strategy: priority}
      - headers: {X-HybridGW-Tier: premium}
)");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& w = r.config->routes[0].when;
  REQUIRE(w.size() == 2);
  CHECK(w[0].min_prompt_tokens == 8000u);
  CHECK(w[0].targets.size() == 1);
  CHECK(w[1].name == "when2");
  CHECK(w[1].targets.size() == 2);
  CHECK(w[1].strategy == hgw::config::Strategy::cheapest);
  CHECK(w[1].headers.at("x-hybridgw-tier") == "premium");
}

TEST_CASE("azure-openai needs api_version; cost needs both halves", "[config]") {
  auto r = load_config_string(R"(backends:
  - name: az
    protocol: azure-openai
    url: https://x.openai.azure.com/openai
    model: gpt-4o
    locality: remote
  - name: gpu
    url: http://h
    model: m
    locality: local
    cost: {gpu_hour_usd: 2.0}
routes: [{name: r, models: [m], targets: [az, gpu]}]
)");
  REQUIRE_ERROR(r, 2, 5, "$.backends[0]", "needs api_version");
  REQUIRE_ERROR(r, 11, 11, "$.backends[1].cost", "gpu_hour_usd needs tokens_per_second");
}

TEST_CASE("api_key_env holds a variable name, never the key", "[config]") {
  auto r = load_config_string(std::string(kValidBase) + "admin: {api_key_env: \"sk-live-123\"}\n");
  REQUIRE_ERROR(r, 14, 22, "$.admin.api_key_env", "must be the name of an environment variable");
  CHECK(test::all_errors(r).find("sk-live-123") == std::string::npos);
}

TEST_CASE("failover.on accepts every category the failover policy knows, queue_full included", "[config]") {
  auto r = load_config_string(std::string(kValidBase) + R"(    failover: { on: [connect, tls, timeout, http_429, http_5xx, reset, malformed, context_length, content_policy, circuit_open, queue_full] }
)");
  INFO(test::all_errors(r));
  CHECK(r.ok());
  // Every category the policy accepts is a name the loader accepts.
  for (auto category : hgw::failover::failover_categories()) {
    auto c = load_config_string(std::string(kValidBase) + "    failover: { on: [" + std::string(category) + "] }\n");
    INFO(category);
    CHECK(c.ok());
  }
}
