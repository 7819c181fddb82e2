// Shared fixtures for the routing/cost unit tests.
#pragma once

#include <string>
#include <vector>

#include "gateway/config/Config.hpp"
#include "policies/RequestFeatures.hpp"
#include "policies/routing/Planner.hpp"

namespace hgw::test {

inline config::BackendConfig local_backend(std::string name, std::uint32_t ctx = 32768) {
  config::BackendConfig b;
  b.name = std::move(name);
  b.locality = config::Locality::local;
  b.region = "cn-east";
  b.context_window = ctx;
  b.max_concurrency = 64;
  b.cost.gpu_hour_usd = 2.0;
  b.cost.gpus = 1;
  b.cost.tokens_per_second = 2500;
  return b;
}

inline config::BackendConfig remote_backend(std::string name, double in, double out,
                                            std::optional<double> cached = std::nullopt,
                                            std::uint32_t ctx = 128000) {
  config::BackendConfig b;
  b.name = std::move(name);
  b.locality = config::Locality::remote;
  b.region = "us";
  b.context_window = ctx;
  b.cost.input_per_mtok = in;
  b.cost.output_per_mtok = out;
  b.cost.cached_input_per_mtok = cached;
  return b;
}

// backends: 0 local-qwen (ctx 8192), 1 openai-gpt4o, 2 openai-mini, 3 local-big (ctx 131072)
inline config::Config make_config() {
  config::Config c;
  c.backends.push_back(local_backend("local-qwen", 8192));
  c.backends.push_back(remote_backend("openai-gpt4o", 2.50, 10.00, 1.25));
  c.backends.push_back(remote_backend("openai-mini", 0.15, 0.60, 0.075));
  auto big = local_backend("local-big", 131072);
  big.cost.gpus = 4;
  big.cost.gpu_hour_usd = 2.5;
  big.cost.tokens_per_second = 4000;
  c.backends.push_back(big);
  config::RouteConfig r;
  r.name = "chat";
  r.models = {"gpt-4o", "auto"};
  r.strategy = hgw::config::Strategy::priority;
  r.targets = {{"local-qwen", 1}, {"openai-gpt4o", 1}, {"openai-mini", 1}};
  c.routes.push_back(r);
  config::TenantConfig t;
  t.name = "finance";
  t.budget.daily_usd = 50;
  t.budget.monthly_usd = 1000;
  t.budget.on_exhausted = hgw::config::BudgetAction::reject;
  c.tenants.push_back(t);
  return c;
}

inline policy::RequestFeatures request(std::uint64_t prompt = 1000, std::uint64_t max_tokens = 500) {
  policy::RequestFeatures f;
  f.model = "auto";
  f.estimated_prompt_tokens = prompt;
  f.max_tokens = max_tokens;
  return f;
}

inline std::vector<std::string> backend_names(const config::Config& c, const routing::Decision& d) {
  std::vector<std::string> out;
  for (int i : d.order) out.push_back(c.backends[static_cast<size_t>(i)].name);
  return out;
}

inline const routing::CandidateTrace* trace_of(const routing::Decision& d, const std::string& backend) {
  for (const auto& t : d.trace)
    if (t.backend == backend) return &t;
  return nullptr;
}

}  // namespace hgw::test
