#include "gateway/pipeline/StreamRelay.hpp"

#include "gateway/pipeline/AnswerFilter.hpp"
#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/Services.hpp"
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
      : call_(call),
        b_(b),
        ex_(ex),
        r_(r),
        backend_(call.config().backends[b]),
        filter_(make_answer_filter(call)),
        pipeline_(protocol::backend_codec(backend_.protocol), *call.client, call.client_context(),
                  call.client_wants_usage, filter_.get()) {}

  awaitable<void> run() {
    for (;;) {
      in_.clear();
      const auto failure = co_await ex_.read_some(in_, !committed_);
      if (failure != upstream::TransportFailure::none) {
        if (failure == upstream::TransportFailure::cancelled) co_return cancelled();
        if (!committed_) co_return fail_before_commit(outcome_of(failure), "stream failed before any content: " +
                                                                               std::string(upstream::to_string(failure)));
        co_await break_stream(outcome_of(failure), std::string("upstream stream failed: ") + upstream::to_string(failure));
        break;
      }
      out_.clear();
      const State state = pipeline_.feed(in_, out_);
      if (state != State::ok && !committed_ && state != State::stopped)
        co_return fail_before_commit(outcome_of_state(state), pipeline_.error_message());
      if (state == State::stopped) pipeline_.commit(out_);  // the filter's verdict is final: no other backend
      if (!committed_ && pipeline_.committed()) {
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
        co_await break_stream(outcome_of_state(state), pipeline_.error_message());
        break;
      }
      if (ex_.done()) {
        out_.clear();
        const bool complete = pipeline_.finish(out_);
        if (!committed_) {
          // Nothing was sent: an answer that ended without content fails over.
          if (!complete)
            co_return fail_before_commit(pipeline_.events() == 0 ? Outcome::malformed : Outcome::reset,
                                         pipeline_.events() == 0 ? "ended the stream without any event"
                                                                 : "ended the stream before any content");
          if (!co_await commit()) co_return cancelled();
        }
        if (!complete) {
          // Built before the co_await (gateway/Asio.hpp).
          const std::string why = pipeline_.error_message().empty()
                                      ? std::string("upstream stream ended before the answer was complete")
                                      : pipeline_.error_message();
          co_await break_stream(Outcome::reset, why);
          break;
        }
        bool sent = true;
        if (!out_.empty()) sent = co_await call_.channel.send_chunk(out_);
        if (sent) co_await call_.channel.finish_stream();
        if (call_.responses) call_.responses->response = pipeline_.client_result();  // kept for previous_response_id
        r_.outcome = Outcome::success;
        r_.bytes_sent = true;
        break;
      }
    }
    account_usage();
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

  // After bytes reached the client there is no retry: the stream ends with an
  // SSE error event and no [DONE], and the request counts as failed.
  awaitable<void> break_stream(Outcome outcome, const std::string& message) {
    r_.outcome = outcome;
    r_.bytes_sent = true;
    call_.status = 200;
    call_.outcome = std::string("stream_error:") + failover::to_string(outcome);
    call_.snap->metrics().stream_errors(call_.route_index, b_, failover::to_string(outcome)).Increment();
    // Built before the co_await: GCC 12 mishandles temporaries in an awaited condition.
    const std::string event = pipeline_.error_event(message);
    const bool sent = co_await call_.channel.send_chunk(event);
    if (sent) co_await call_.channel.finish_stream();
    ex_.abort();
  }

  void account_usage() {
    call_.usage = pipeline_.usage();
    if (!call_.usage.known) {
      const auto used = cost::broken_stream_usage(call_.features.estimated_prompt_tokens,
                                                  static_cast<std::uint64_t>(pipeline_.content_chunks()));
      if (used.output > 0) call_.usage = {used.input, used.output, used.cached, true};
    }
  }

  Call& call_;
  int b_;
  upstream::Exchange& ex_;
  AttemptResult& r_;
  const config::BackendConfig& backend_;
  std::unique_ptr<protocol::TextFilter> filter_;
  protocol::StreamPipeline pipeline_;
  std::string in_, out_;
  bool committed_ = false;
};

}  // namespace

awaitable<void> relay_stream(Call& call, int b, upstream::Exchange& ex, AttemptResult& r) {
  Relay relay(call, b, ex, r);
  co_await relay.run();
}

}  // namespace hgw::pipeline
