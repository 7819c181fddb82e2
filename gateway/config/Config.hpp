// The whole configuration of a gateway, as loaded and validated from YAML
// (see DESIGN.md §3 and README.md "Configuration reference"). Plain data: the
// loader (ConfigLoader) fills it and reports every error; the data plane and the
// policies only read it. Every optional key has its default here, so a reader
// never needs to ask whether a value was given.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::config {

struct Limits {
  std::uint64_t max_body_bytes = 8 * 1024 * 1024;
  std::uint32_t max_header_bytes = 64 * 1024;
  std::uint32_t header_timeout_ms = 10'000;
  std::uint32_t idle_timeout_ms = 75'000;
  std::uint32_t max_connections = 10'000;
  std::uint32_t max_inflight = 0;          // gateway-wide in-flight requests; 0 = unlimited
  std::uint32_t drain_timeout_ms = 30'000; // SIGTERM: how long in-flight requests may finish
};

struct ServerTls {
  std::string cert_file;
  std::string key_file;
  bool enabled() const { return !cert_file.empty(); }
};

struct AccessLogConfig {
  std::string path = "-";  // "-" = stdout; "" or "off" disables
  std::uint32_t buffer_bytes = 64 * 1024;  // per io thread; a full buffer is written at once
  std::uint32_t flush_ms = 1'000;          // buffered lines are written at least this often
};

struct ServerConfig {
  std::string listen = "0.0.0.0:8080";
  std::string host = "0.0.0.0";   // parsed from listen
  unsigned short port = 8080;     // parsed from listen
  unsigned threads = 0;           // 0 = one per core
  ServerTls tls;
  Limits limits;
  AccessLogConfig access_log;
};

struct AdminConfig {
  std::string listen = "127.0.0.1:9090";
  std::string host = "127.0.0.1";
  unsigned short port = 9090;
  std::string api_key_env;  // empty = admin endpoints that change or reveal state need no key
};

enum class Protocol { openai, anthropic, azure_openai, openai_responses };
enum class Locality { local, remote };
// Parsed once at load (the loader reports unknown names), never compared as
// strings per request; to_string gives the configuration's own names.
enum class Strategy { priority, cheapest, weighted, least_loaded, fastest };
enum class BudgetAction { reject, downgrade };
enum class RuleAction { route, redact, block };
enum class FilterAction { mask, stop };
enum class FsyncPolicy { none, every, interval };
enum class StoreErrorPolicy { serve_local, reject };

struct Timeouts {
  std::uint32_t connect_ms = 1'000;
  std::uint32_t first_token_ms = 15'000;
  std::uint32_t idle_ms = 30'000;
  std::uint32_t total_ms = 300'000;
};

struct UpstreamTls {
  bool verify = true;
  std::string ca_file;  // empty = system bundle
};

// Prices in USD. Remote backends: list prices per million tokens. Local ones:
// amortised hardware (gpu_hour_usd × gpus ÷ tokens_per_second), unless explicit
// per-token prices are given, which then win.
struct CostConfig {
  std::optional<double> input_per_mtok;
  std::optional<double> output_per_mtok;
  std::optional<double> cached_input_per_mtok;
  std::optional<double> gpu_hour_usd;
  std::uint32_t gpus = 1;
  std::optional<double> tokens_per_second;
};

struct HealthCheckConfig {
  bool enabled = true;
  std::string path = "/models";    // appended to the backend url
  std::uint32_t interval_ms = 10'000;
  std::uint32_t timeout_ms = 2'000;
  std::uint32_t unhealthy_threshold = 2;  // consecutive failed checks → down
  std::uint32_t healthy_threshold = 1;    // consecutive good checks → up
  bool operator==(const HealthCheckConfig&) const = default;
};

struct CircuitBreakerConfig {
  std::uint32_t consecutive_failures = 5;
  double error_rate = 0.5;              // opens when over this rate ...
  std::uint32_t min_requests = 20;      // ... with at least this many requests in the window
  std::uint32_t window_ms = 30'000;
  std::uint32_t cooldown_ms = 5'000;    // first open period
  std::uint32_t max_cooldown_ms = 60'000;  // doubled on each failed probe, up to this
  bool operator==(const CircuitBreakerConfig&) const = default;
};

struct BackendConfig {
  std::string name;
  Protocol protocol = Protocol::openai;
  std::string url;           // e.g. http://127.0.0.1:8000/v1
  std::string model;         // model id sent upstream
  Locality locality = Locality::remote;
  std::string region;
  std::string provider;      // e.g. openai, anthropic, vllm; used by compliance rules
  std::string api_key_env;   // name of the environment variable holding the key
  std::string api_version;   // azure-openai: api-version query parameter
  std::string deployment;    // azure-openai: deployment name (default: model)
  // Accepts a trailing assistant message as the start of its answer (mid-stream
  // continuation). Absent: the protocol's default (anthropic yes, others no).
  std::optional<bool> prefill;
  bool takes_prefill() const { return prefill.value_or(protocol == Protocol::anthropic); }
  std::uint32_t max_concurrency = 0;  // 0 = unlimited
  std::uint32_t max_queue = 0;        // requests waiting for a slot beyond max_concurrency
  std::uint32_t queue_timeout_ms = 1'000;
  std::uint32_t context_window = 0;   // 0 = unknown (never skipped for length)
  std::uint32_t max_idle_connections = 64;
  std::uint32_t pool_idle_ms = 60'000;
  Timeouts timeouts;
  UpstreamTls tls;
  CostConfig cost;
  HealthCheckConfig health_check;
  CircuitBreakerConfig circuit_breaker;

  // Parsed from url by the loader.
  bool https = false;
  std::string host;
  std::string port;
  std::string base_path;     // e.g. "/v1" (no trailing slash)
};

struct Target {
  std::string backend;
  std::uint32_t weight = 1;
};

// Failure kinds (DESIGN.md / failover issue) that may move a request on.
struct RetryConfig {
  std::uint32_t attempts = 2;          // tries per backend, the first included
  std::uint32_t backoff_ms = 100;
  std::uint32_t max_backoff_ms = 2'000;
  double budget_ratio = 0.2;           // retries ≤ this share of requests per backend ...
  std::uint32_t budget_window_ms = 10'000;  // ... over this sliding window
  std::uint32_t budget_min_retries = 3;     // always allowed per window
  bool operator==(const RetryConfig&) const = default;
};

struct FailoverConfig {
  // connect, tls, timeout, http_429, http_5xx, reset, malformed,
  // context_length, content_policy, circuit_open
  std::vector<std::string> on = {"connect", "tls",   "timeout",        "http_429",
                                 "http_5xx", "reset", "context_length", "circuit_open",
                                 "malformed"};
  // A committed stream that breaks: "continue" re-asks the next eligible
  // target that takes a prefill, with the partial answer as the assistant's
  // start, and splices its continuation into the same client stream.
  bool mid_stream_continue = false;
};

// A conditional rule: the first rule whose conditions all hold picks the targets.
struct WhenRule {
  std::string name;
  std::vector<std::string> tenants;              // any of
  std::map<std::string, std::string> headers;    // lowercase name -> exact value
  std::optional<std::uint64_t> min_prompt_tokens;
  std::optional<std::uint64_t> max_prompt_tokens;
  std::optional<bool> has_tools;
  std::optional<bool> has_images;
  std::optional<bool> json_mode;
  std::vector<Target> targets;
  std::optional<Strategy> strategy;  // absent = the route's
};

// Shadow traffic (README "Is the local model good enough?"): after the real
// answer went out, a sample of the route's requests is mirrored to a candidate
// backend, at most max_inflight at a time per replica; `judge` compares the
// two answers on a sample of those.
struct ShadowConfig {
  std::string backend;
  double sample = 0;               // probability that a request is mirrored, [0, 1]
  std::uint32_t max_inflight = 8;  // mirrored requests in flight per replica, judging included
};

struct JudgeConfig {
  std::string backend;
  double sample = 0;  // probability that an answered shadow request is judged, [0, 1]
};

struct RouteConfig {
  std::string name;
  std::vector<std::string> models;
  Strategy strategy = Strategy::priority;
  std::vector<Target> targets;
  std::vector<WhenRule> when;
  RetryConfig retry;
  FailoverConfig failover;
  std::uint32_t deadline_ms = 0;  // overall per-request deadline; 0 = largest backend total
  std::optional<ShadowConfig> shadow;
  std::optional<JudgeConfig> judge;  // needs shadow
};

struct BudgetConfig {
  std::optional<double> daily_usd;
  std::optional<double> monthly_usd;
  BudgetAction on_exhausted = BudgetAction::reject;
};

struct RateLimitConfig {
  std::optional<std::uint64_t> requests_per_minute;
  std::optional<std::uint64_t> tokens_per_minute;
};

struct TenantConfig {
  std::string name;
  std::vector<std::string> keys;        // "sha256:<64 hex>"
  std::string region;
  std::string data_class;               // floor; empty = lowest class
  std::vector<std::string> routes;      // empty = all routes
  bool may_use(std::string_view route) const {
    return routes.empty() || std::find(routes.begin(), routes.end(), route) != routes.end();
  }
  std::vector<std::string> export_basis;  // residency exceptions: regions globs allowed
  BudgetConfig budget;
  RateLimitConfig rate_limit;
  std::optional<StoreErrorPolicy> on_store_error;  // absent: state.on_store_error
};

struct StateConfig {
  std::string store = "sqlite";  // sqlite | redis | memory
  std::string path = "hybridgw-state.db";
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string redis_password_env;  // environment variable holding the Redis password (AUTH)
  std::string key_prefix = "hybridgw:";
  // Usage and spend are written to the store in batches this often (a crash
  // loses at most this much accounting).
  std::uint32_t flush_ms = 1'000;
  // Redis: how long a quota decision may wait for Redis (connect and each
  // batch), what to do when it cannot answer, and when a reservation that was
  // never settled (its replica died) expires.
  std::uint32_t redis_timeout_ms = 250;
  StoreErrorPolicy on_store_error = StoreErrorPolicy::serve_local;
  std::uint32_t reservation_ttl_ms = 600'000;
  // Responses API conversations (store: true) are kept this long; 0 keeps none.
  std::uint32_t responses_ttl_s = 30 * 86'400;
};

// ---- compliance ----------------------------------------------------------

struct CustomDetectorConfig {
  std::string name;
  std::string regex;                   // RE2 syntax; or
  std::vector<std::string> keywords;   // keyword list (any script)
  bool case_sensitive = false;
  int source_line = 0;                 // for error messages
};

struct ComplianceRuleConfig {
  std::string name;                    // metric label; default "rule<N>"
  // Conditions (all given ones must hold).
  std::string when_class;              // request class at least ... (exact class name)
  std::vector<std::string> when_detected;  // any of these detector types found
  std::string when_tenant_region;      // tenant region glob
  std::vector<std::string> when_tenants;
  // Constraint on eligible backends (all given lists must match).
  std::vector<std::string> allow_locality;   // local | remote
  std::vector<std::string> allow_regions;    // globs, e.g. "cn-*"
  std::vector<std::string> allow_providers;
  std::vector<std::string> allow_backends;
  std::vector<std::string> deny_backends;
  RuleAction action = RuleAction::route;
};

struct OutputFilterConfig {
  bool enabled = false;
  std::vector<std::string> terms;
  std::vector<std::string> detectors;
  FilterAction action = FilterAction::mask;
};

struct AuditLogConfig {
  std::string path;               // empty = off
  FsyncPolicy fsync = FsyncPolicy::none;
  std::uint32_t fsync_interval_ms = 1'000;
  std::uint64_t max_bytes = 100ull * 1024 * 1024;  // rotate beyond this size
  std::uint32_t max_files = 10;
};

// Context words (Presidio-style) for detectors without a check digit: the
// nearest word before a match (else after it) lowers or raises it.
struct ContextWordsConfig {
  std::vector<std::string> lower;  // e.g. 订单号, tracking number: not a phone number
  std::vector<std::string> raise;  // e.g. 手机, tel: a phone number even next to a lowering word
};
struct ContextConfig {
  std::uint32_t window = 24;  // characters looked at before a match (after it: a third)
  // Per detector; replaces that detector's built-in lists (an empty map keeps the defaults).
  std::map<std::string, ContextWordsConfig> words;
};

struct ComplianceConfig {
  std::vector<std::string> classes = {"public", "internal", "confidential", "restricted"};
  std::vector<std::string> detectors;  // built-in detector names enabled; empty = none
  std::vector<CustomDetectorConfig> custom_detectors;
  ContextConfig context;
  // Texts of one request scanned at most; beyond, the request is treated as
  // the highest class (fail closed).
  std::uint64_t max_scan_bytes = 16ull * 1024 * 1024;
  std::map<std::string, std::string> classify;  // detector type -> class
  std::vector<ComplianceRuleConfig> rules;
  bool restore_in_response = false;
  OutputFilterConfig output_filter;
  AuditLogConfig audit_log;
};

struct Config {
  std::string source_file;  // the top-level file it was loaded from
  ServerConfig server;
  AdminConfig admin;
  std::vector<BackendConfig> backends;
  std::vector<RouteConfig> routes;
  std::vector<TenantConfig> tenants;
  StateConfig state;
  ComplianceConfig compliance;

  const BackendConfig* find_backend(std::string_view name) const;
  // Exact names first, then the longest matching pattern (ModelPattern.hpp).
  const RouteConfig* find_route_by_model(std::string_view model) const;
  const TenantConfig* find_tenant(std::string_view name) const;
  int backend_index(std::string_view name) const;  // -1 if absent
};

const char* to_string(Protocol);
const char* to_string(Locality);
const char* to_string(Strategy);
const char* to_string(BudgetAction);
const char* to_string(RuleAction);
const char* to_string(FilterAction);
const char* to_string(FsyncPolicy);
const char* to_string(StoreErrorPolicy);

// The value of a configuration name (the names of KnownNames.hpp), if any.
std::optional<Strategy> strategy_from_string(std::string_view);
std::optional<BudgetAction> budget_action_from_string(std::string_view);
std::optional<RuleAction> rule_action_from_string(std::string_view);
std::optional<FilterAction> filter_action_from_string(std::string_view);
std::optional<FsyncPolicy> fsync_from_string(std::string_view);
std::optional<StoreErrorPolicy> store_error_policy_from_string(std::string_view);

}  // namespace hgw::config
