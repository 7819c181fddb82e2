// One attempt of a request on one backend: the backend's codec encodes the
// request, an Exchange sends it on a pooled connection within the backend's
// timeouts, an error reply is classified, an answer is relayed (StreamRelay or
// AnswerRelay). A client that leaves cancels the upstream call.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Services.hpp"
#include "gateway/upstream/PoolSet.hpp"

namespace hgw::pipeline {

awaitable<void> run_attempt(Services& services, upstream::PoolSet& pools, Call& call, int backend,
                            Clock::time_point deadline, AttemptResult& result);

}  // namespace hgw::pipeline
