// The fixed vocabularies of the configuration: enum values and built-in
// detector names. Kept in one place so that error messages list exactly what
// the loader accepts.
#pragma once

#include <string>
#include <vector>

namespace hgw::config::known {

inline const std::vector<std::string> protocols = {"openai", "anthropic", "azure-openai", "openai-responses"};
inline const std::vector<std::string> localities = {"local", "remote"};
inline const std::vector<std::string> strategies = {"priority", "cheapest", "weighted", "least_loaded",
                                                    "fastest"};
inline const std::vector<std::string> on_exhausted = {"reject", "downgrade"};
inline const std::vector<std::string> state_stores = {"sqlite", "redis", "memory"};
inline const std::vector<std::string> store_error_policies = {"serve_local", "reject"};
inline const std::vector<std::string> rule_actions = {"route", "redact", "block"};
inline const std::vector<std::string> output_filter_actions = {"mask", "stop"};
inline const std::vector<std::string> mid_stream_policies = {"off", "continue"};
inline const std::vector<std::string> fsync_policies = {"none", "every", "interval"};
inline const std::vector<std::string> failover_triggers = {
    "connect", "tls",       "timeout",        "http_429",       "http_5xx",
    "reset",   "malformed", "context_length", "content_policy", "circuit_open", "queue_full"};
inline const std::vector<std::string> builtin_detectors = {
    "email",     "phone",   "cn_mobile", "cn_resident_id", "bank_card", "credit_card", "cn_uscc",
    "cn_passport", "us_ssn", "iban",     "ipv4",           "ipv6",      "secrets"};

}  // namespace hgw::config::known
