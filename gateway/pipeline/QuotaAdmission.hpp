// A tenant's budget and rate limits around one request (state/QuotaStore):
// before dispatch, its estimated cost is reserved and its estimated tokens
// taken — decided in the process, or in Redis with one round trip that the io
// thread awaits on a timer, never blocking; after the answer the actual cost
// and tokens are settled.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Services.hpp"

namespace hgw::pipeline {

// Waits at most state.redis_timeout_ms (and a little) for a shared store; then
// the replica decides alone (QuotaStore::admit_locally).
awaitable<state::QuotaGrant> admit_quota(Services& services, Call& call, double estimate_usd);

// An in-process store (sqlite, memory) decides on the io thread at once: the
// caller then uses admit_quota_at_once, with no coroutine and no wait.
bool quota_decides_at_once(Services& services);
state::QuotaGrant admit_quota_at_once(Services& services, Call& call, double estimate_usd);

void settle_quota(Services& services, const Call& call);

}  // namespace hgw::pipeline
