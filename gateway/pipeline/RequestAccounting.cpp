#include "gateway/pipeline/RequestAccounting.hpp"

#include "gateway/pipeline/RequestRecord.hpp"
#include "gateway/pipeline/QuotaAdmission.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/cost/Pricing.hpp"

namespace hgw::pipeline {

namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void account_usage(Services& services, Call& call) {
  if (!call.usage.known || call.backend < 0) return;
  auto& metrics = call.snap->metrics();
  if (call.cost_usd == 0)
    call.cost_usd = cost::cost_usd(call.snap->backend(call.backend).pricing,
                                   {call.usage.input, call.usage.output, call.usage.cached});
  metrics.tokens(call.route_index, call.backend, call.tenant_index, 0).Increment(static_cast<double>(call.usage.input));
  metrics.tokens(call.route_index, call.backend, call.tenant_index, 1).Increment(static_cast<double>(call.usage.output));
  metrics.tokens(call.route_index, call.backend, call.tenant_index, 2).Increment(static_cast<double>(call.usage.cached));
  metrics.cost(call.route_index, call.backend, call.tenant_index).Increment(call.cost_usd);
  const auto now = std::chrono::system_clock::now();
  state::UsageRecord rec;
  rec.route = call.route ? call.route->name : "";
  rec.backend = call.config().backends[call.backend].name;
  rec.tenant = call.tenant ? call.tenant->name : "";
  rec.input = call.usage.input;
  rec.output = call.usage.output;
  rec.cached = call.usage.cached;
  rec.cost_usd = call.cost_usd;
  rec.at = now;
  services.accounting().record(rec, cost::day_key(now), cost::month_key(now));
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
