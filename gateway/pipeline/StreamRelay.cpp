#include "gateway/pipeline/StreamRelay.hpp"

#include "gateway/pipeline/AnswerFilter.hpp"
#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/Conversation.hpp"
#include "gateway/pipeline/Services.hpp"
#include "gateway/pipeline/StreamContinuation.hpp"
#include "gateway/pipeline/TransportOutcome.hpp"
#include "gateway/protocol/StreamPipeline.hpp"
#include "policies/cost/Pricing.hpp"

namespace hgw::pipeline {

using failover::Outcome;
using State = protocol::StreamPipeline::State;

namespace {

Outcome outcome_of_state(State s) {
  switch (s) {
    case State::upstream_error: return Outcome::http_5xx;
    case State::stopped: return Outcome::content_policy;
    case State::malformed:
    case State::ok: break;
  }
  return Outcome::malformed;
}

class Relay {
 public:
  Relay(Call& call, int b, upstream::Exchange& ex, AttemptResult& r)
      : call_(call), b_(b), ex_(ex), r_(r), backend_(call.config().backends[b]) {
    const auto& codec = protocol::backend_codec(backend_.protocol);
    if (call.continuation) {
      // The client's stream is open (committed): this attempt goes on from
      // what it has, behind the same encoder and filter.
      pipeline_ = call.continuation->pipeline.get();
      pipeline_->continue_with(codec, call.request_id, carried_usage(call));
      committed_ = true;
      continuing_ = true;
      return;
    }
    own_filter_ = make_answer_filter(call);
    own_pipeline_ = std::make_unique<protocol::StreamPipeline>(codec, *call.client, call.client_context(),
                                                               call.client_wants_usage, own_filter_.get());
    pipeline_ = own_pipeline_.get();
    if (call.route && call.route->failover.mid_stream_continue) pipeline_->record_text();
  }

  awaitable<void> run() {
    for (;;) {
      in_.clear();
      const auto failure = co_await ex_.read_some(in_, !pipeline_->attempt_has_content());
      if (failure != upstream::TransportFailure::none) {
        if (failure == upstream::TransportFailure::cancelled) co_return cancelled();
        if (!committed_) co_return fail_before_commit(outcome_of(failure), "stream failed before any content: " +
                                                                               std::string(upstream::to_string(failure)));
        co_await break_stream(outcome_of(failure), std::string("upstream stream failed: ") + upstream::to_string(failure));
        break;
      }
      out_.clear();
      const State state = pipeline_->feed(in_, out_);
      if (state != State::ok && !committed_ && state != State::stopped)
        co_return fail_before_commit(outcome_of_state(state), pipeline_->error_message());
      if (state == State::stopped) pipeline_->commit(out_);  // the filter's verdict is final: no other backend
      if (!committed_ && pipeline_->committed()) {
        if (!co_await commit()) co_return cancelled();
      }
      if (!out_.empty()) {
        const bool sent = co_await call_.channel.send_chunk(out_);
        if (!sent) {
          cancelled_after_bytes();
          break;
        }
      }
      if (committed_) call_.services.fault_point("stream");
      if (state != State::ok) {
        co_await break_stream(outcome_of_state(state), pipeline_->error_message());
        break;
      }
      if (ex_.done()) {
        out_.clear();
        const bool complete = pipeline_->finish(out_);
        if (!committed_) {
          // Nothing was sent: an answer that ended without content fails over.
          if (!complete)
            co_return fail_before_commit(pipeline_->events() == 0 ? Outcome::malformed : Outcome::reset,
                                         pipeline_->events() == 0 ? "ended the stream without any event"
                                                                  : "ended the stream before any content");
          if (!co_await commit()) co_return cancelled();
        }
        if (!complete) {
          // Built before the co_await (gateway/Asio.hpp).
          const std::string why = pipeline_->error_message().empty()
                                      ? std::string("upstream stream ended before the answer was complete")
                                      : pipeline_->error_message();
          co_await break_stream(Outcome::reset, why);
          break;
        }
        if (call_.responses) {
          // Kept for previous_response_id before the client sees the end.
          call_.responses->response = pipeline_->client_result();
          co_await keep_turn(call_.services, call_);
        }
        bool sent = true;
        if (!out_.empty()) sent = co_await call_.channel.send_chunk(out_);
        if (sent) co_await call_.channel.finish_stream();
        r_.outcome = Outcome::success;
        r_.bytes_sent = true;
        break;
      }
    }
    if (!r_.continuable) account_usage();
  }

 private:
  awaitable<bool> commit() {
    server::Response head{200};
    head.add("Content-Type", "text/event-stream");
    head.add("Cache-Control", "no-cache");
    add_gateway_headers(head, call_);
    if (!co_await call_.channel.start_stream(std::move(head))) co_return false;
    committed_ = true;
    call_.status = 200;
    call_.ttft_s = std::chrono::duration<double>(Clock::now() - call_.received_at).count();
    call_.snap->backend(b_).ttft.observe(call_.ttft_s);
    co_return true;
  }

  void fail_before_commit(Outcome o, std::string detail) {
    r_.outcome = o;
    r_.detail = "backend " + backend_.name + ": " + detail;
  }

  void cancelled() {
    r_.outcome = Outcome::cancelled;
    r_.bytes_sent = committed_;
  }

  void cancelled_after_bytes() {
    r_.outcome = Outcome::cancelled;
    r_.bytes_sent = true;
    ex_.abort();
  }

  // After the commit point there is no retry, only — when the route asks for
  // it and a target can take the partial answer — a continuation: the stream
  // stays open in call.continuation for the attempt loop. Otherwise it ends
  // with an SSE error event and no [DONE], and the request counts as failed.
  // A continuation attempt that breaks before adding anything sends nothing:
  // the loop tries the next target or ends the stream.
  awaitable<void> break_stream(Outcome outcome, const std::string& message) {
    r_.outcome = outcome;
    r_.bytes_sent = true;
    r_.detail = "backend " + backend_.name + ": " + message;
    ex_.abort();
    if (continuing_ && !pipeline_->attempt_has_content()) {
      call_.continuation->from = b_;
      call_.continuation->reason = outcome;
      call_.continuation->message = message;
      r_.continuable = true;
      co_return;
    }
    if (continuation_wanted(call_, *pipeline_) &&
        next_continuation(call_, plan_position(call_, b_), b_, pipeline_->answer_text()) >= 0) {
      keep_open(outcome, message);
      co_return;
    }
    co_await end_broken_stream(call_, *pipeline_, b_, outcome, message);
  }

  // This attempt's usage: what the backend reported, or an estimate from the
  // content it sent; after a continuation, without what came before. Of a
  // stream that broke, the reported usage may be a start (Anthropic's
  // message_start counts one output token): the content sent counts at least.
  protocol::TokenUsage own_usage() const {
    const protocol::TokenUsage carried = pipeline_->carried_usage();
    const std::uint64_t prompt = call_.features.estimated_prompt_tokens + carried.output;  // a prefill is prompt too
    const auto used = cost::broken_stream_usage(prompt, static_cast<std::uint64_t>(pipeline_->content_chunks()));
    const protocol::TokenUsage reported = pipeline_->usage();
    if (!reported.known) return {used.input, used.output, used.cached, used.output > 0};
    protocol::TokenUsage u = without(reported, carried);
    if (r_.outcome != Outcome::success) {
      u.input = std::max(u.input, used.input);
      u.output = std::max(u.output, used.output);
    }
    return u;
  }

  void keep_open(Outcome outcome, const std::string& message) {
    if (!call_.continuation) {
      call_.continuation = std::make_shared<StreamContinuation>();
      call_.continuation->filter = std::move(own_filter_);
      call_.continuation->pipeline = std::move(own_pipeline_);
    }
    auto& c = *call_.continuation;
    call_.earlier_usage.emplace_back(b_, own_usage());
    c.from = b_;
    c.reason = outcome;
    c.message = message;
    r_.continuable = true;
  }

  void account_usage() {
    call_.usage = pipeline_->carried_usage() + own_usage();
    if (!call_.usage.known) call_.usage = {};
  }

  Call& call_;
  int b_;
  upstream::Exchange& ex_;
  AttemptResult& r_;
  const config::BackendConfig& backend_;
  std::unique_ptr<protocol::TextFilter> own_filter_;
  std::unique_ptr<protocol::StreamPipeline> own_pipeline_;
  protocol::StreamPipeline* pipeline_ = nullptr;
  std::string in_, out_;
  bool committed_ = false;
  bool continuing_ = false;
};

}  // namespace

awaitable<void> end_broken_stream(Call& call, protocol::StreamPipeline& pipeline, int b, Outcome outcome,
                                  const std::string& message) {
  call.status = 200;
  call.outcome = std::string("stream_error:") + failover::to_string(outcome);
  call.snap->metrics().stream_errors(call.route_index, b, failover::to_string(outcome)).Increment();
  // Built before the co_await: GCC 12 mishandles temporaries in an awaited condition.
  const std::string event = pipeline.error_event(message);
  const bool sent = co_await call.channel.send_chunk(event);
  if (sent) co_await call.channel.finish_stream();
}

awaitable<void> relay_stream(Call& call, int b, upstream::Exchange& ex, AttemptResult& r) {
  Relay relay(call, b, ex, r);
  co_await relay.run();
}

}  // namespace hgw::pipeline
