// Mid-stream continuation (routes[].failover.mid_stream: continue; README
// "Failover and resilience"): a committed text stream that breaks stays open
// while the next target of the plan that takes a prefill goes on from the
// partial answer. This holds the open stream between attempts and decides
// which targets may continue it.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/protocol/StreamPipeline.hpp"
#include "gateway/protocol/TextFilter.hpp"

#include <memory>
#include <string>

namespace hgw::pipeline {

struct StreamContinuation {
  std::unique_ptr<protocol::TextFilter> filter;      // the client stream's, kept across attempts
  std::unique_ptr<protocol::StreamPipeline> pipeline;
  int from = -1;                                      // the backend whose stream broke last
  failover::Outcome reason = failover::Outcome::reset;
  std::string message;                                // why, for the SSE error when nothing continues it
};

// The usage of the attempts a continued stream has had so far (call.earlier_usage).
protocol::TokenUsage carried_usage(const Call& call);

// Whether the route continues broken streams and this one can be continued
// from its text (a single text answer: no tool calls, refusals, n > 1).
bool continuation_wanted(const Call& call, const protocol::StreamPipeline& pipeline);

// The first position after `after` in the plan whose backend may continue
// the stream, or -1: it takes a prefill, serves the endpoint, is not the one
// that broke, and — when a detector finds something in the partial answer
// (scanned once, when a remote backend is next in line) — is local: a remote
// backend is not sent text that compliance would have to look at again.
int next_continuation(const Call& call, std::size_t after, int broken, const std::string& partial_answer);

// The plan position of backend b (its first), or the plan's size.
std::size_t plan_position(const Call& call, int b);

}  // namespace hgw::pipeline
