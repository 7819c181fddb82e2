// The I/O loop of a streamed answer: read upstream bytes, run them through
// the attempt's StreamPipeline (protocol/StreamPipeline.hpp: dialects, usage,
// filters), write what comes out. It commits to the backend (sends the
// response head) at the pipeline's commit point — the first content-bearing
// event, or a complete answer without content; before it a failure fails
// over, after it nothing is retried and a failure ends the stream with an
// SSE error event and no [DONE] — or, with routes[].failover.mid_stream:
// continue, stays open for a continuation (StreamContinuation.hpp).
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/protocol/StreamPipeline.hpp"
#include "gateway/upstream/Exchange.hpp"

namespace hgw::pipeline {

awaitable<void> relay_stream(Call& call, int backend, upstream::Exchange& exchange, AttemptResult& result);

// Ends a committed stream that cannot go on: the client's SSE error event, no
// [DONE]; the request counts as a stream error of backend b.
awaitable<void> end_broken_stream(Call& call, protocol::StreamPipeline& pipeline, int b, failover::Outcome outcome,
                                  const std::string& message);

}  // namespace hgw::pipeline
