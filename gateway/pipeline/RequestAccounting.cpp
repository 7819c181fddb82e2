#include "gateway/pipeline/RequestAccounting.hpp"

#include "gateway/pipeline/RequestRecord.hpp"
#include "gateway/pipeline/QuotaAdmission.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/cost/Pricing.hpp"

#include <algorithm>

namespace hgw::pipeline {

namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// One backend's share of the request: its tokens at its prices, in the
// metrics and the usage records. Returns its cost.
double account_part(Services& services, Call& call, int backend, const protocol::TokenUsage& u, double cost_usd) {
  auto& metrics = call.snap->metrics();
  if (cost_usd == 0) cost_usd = cost::cost_usd(call.snap->backend(backend).pricing, {u.input, u.output, u.cached});
  metrics.tokens(call.route_index, backend, call.tenant_index, 0).Increment(static_cast<double>(u.input));
  metrics.tokens(call.route_index, backend, call.tenant_index, 1).Increment(static_cast<double>(u.output));
  metrics.tokens(call.route_index, backend, call.tenant_index, 2).Increment(static_cast<double>(u.cached));
  metrics.cost(call.route_index, backend, call.tenant_index).Increment(cost_usd);
  const auto now = std::chrono::system_clock::now();
  state::UsageRecord rec;
  rec.route = call.route ? call.route->name : "";
  rec.backend = call.config().backends[backend].name;
  rec.tenant = call.tenant ? call.tenant->name : "";
  rec.input = u.input;
  rec.output = u.output;
  rec.cached = u.cached;
  rec.cost_usd = cost_usd;
  rec.at = now;
  services.accounting().record(rec, cost::day_key(now), cost::month_key(now));
  return cost_usd;
}

// call.usage is the whole request's; a continued stream's earlier attempts
// are accounted under their own backends, the rest under the last one.
void account_usage(Services& services, Call& call) {
  if (!call.usage.known || call.backend < 0) return;
  protocol::TokenUsage last = call.usage;
  double total = 0;
  for (const auto& [backend, part] : call.earlier_usage) {
    if (!part.known) continue;
    total += account_part(services, call, backend, part, 0);
    last = protocol::without(last, part);
  }
  if (call.earlier_usage.empty() || last.input + last.output > 0)
    total += account_part(services, call, call.backend, last, call.earlier_usage.empty() ? call.cost_usd : 0);
  call.cost_usd = total;
}

}  // namespace

void account_request(Services& services, Call& call) {
  auto& metrics = call.snap->metrics();
  const double total = seconds(Clock::now() - call.received_at);
  const unsigned code = call.status ? call.status : 500;
  metrics.requests(call.route_index, call.backend, call.tenant_index, code).Increment();
  metrics.duration(call.route_index, call.backend).Observe(total);
  if (call.ttft_s >= 0) metrics.ttft(call.route_index, call.backend).Observe(call.ttft_s);
  metrics.overhead(call.route_index).Observe(std::max(0.0, total - seconds(call.upstream_time)));
  account_usage(services, call);
  settle_quota(services, call);

  // Logs are formatted only when they are on: the hot path pays nothing for them otherwise.
  const auto audit = call.compliance ? services.audit_log() : nullptr;
  const bool audit_on = audit && audit->enabled();
  const bool access_on = services.access_log().enabled();
  if (access_on) services.access_log().write(access_record(call, code, total));
  if (audit_on) audit->write(audit_record(call, obs::utc_now_rfc3339(), code));
}

}  // namespace hgw::pipeline
