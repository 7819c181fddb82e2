// Where a retry happens: the attempts of one request over its ordered
// candidates — retries on one backend with backoff, failover to the next —
// as the failover policy decides (policies/failover/RetryPolicy.hpp), each
// attempt under a BackendLease, all under one deadline. Nothing is retried
// after the first byte reached the client.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Services.hpp"
#include "gateway/upstream/PoolSet.hpp"

namespace hgw::pipeline {

awaitable<void> run_attempts(Services& services, upstream::PoolSet& pools, Call& call);

}  // namespace hgw::pipeline
