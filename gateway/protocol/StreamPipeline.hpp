// The pure stream pipeline of one attempt: upstream bytes → the backend's
// StreamDecoder (its dialect → OpenAI chunks) → StreamTransformer (usage
// meter, [DONE] and finish tracking, output filter and placeholder
// restoration) → the client's StreamEncoder (OpenAI chunks → its dialect) →
// client bytes. feed(bytes) → {bytes, state}: no I/O, so every byte split of a
// recorded stream can be tested; the relay that drives it only reads, writes
// and times.
//
// The commit point: client bytes are held back, in order, until the first
// content-bearing event (StreamTransformer::content_seen) or the end of a
// complete answer. Until then nothing the user could see has happened, so a
// failing attempt's held preamble is dropped and the next attempt sends its
// own: a backend that sends the role-only first chunk and dies still fails
// over.
#pragma once

#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "gateway/protocol/StreamSplice.hpp"
#include "gateway/protocol/StreamTransformer.hpp"

#include <memory>
#include <string>

namespace hgw::protocol {

class StreamPipeline {
 public:
  using State = StreamTransformer::State;

  StreamPipeline(const BackendCodec& backend, const ClientCodec& client, const ClientContext& context,
                 bool forward_usage, TextFilter* filter);

  // Appends the client bytes for these upstream bytes — nothing before the
  // commit point, then everything held back and what follows. Once the state
  // is not ok the stream is broken (error_message() says why); what was
  // appended before is still valid, what is held back is not sent.
  State feed(std::string_view upstream_bytes, std::string& client_out);

  // The commit point was reached: the client bytes flow.
  bool committed() const { return committed_; }
  // Commits now (the attempt will not be retried, e.g. the output filter
  // stopped the answer): appends what was held back.
  void commit(std::string& client_out);

  // The upstream ended its body. True when the answer was complete (its end
  // event seen, or only [DONE] missing after a finish_reason): the closing
  // bytes are appended, after what was held back when the answer carried no
  // content. False: it ended early — break the stream (or, uncommitted, fail
  // over).
  bool finish(std::string& client_out);

  // The client bytes that end a stream broken now: an SSE error event in the
  // client's format, never a [DONE].
  std::string error_event(std::string_view message) const;
  // The whole answer in the client's format once finished (Responses: the
  // response object, stored for previous_response_id); null otherwise.
  boost::json::value client_result() const;

  // Mid-stream continuation. record_text() before the first feed keeps what
  // continue_with needs; continue_with switches to a new attempt's upstream
  // (its backend's dialect) behind the same client stream: the encoder, the
  // filter and the commit stay, a SpliceEditor joins the two answers.
  void record_text() { transformer_.record_text(); }
  bool continuable() const { return transformer_.text_only() && !answer_text().empty(); }
  // The answer's text so far as the model(s) wrote it, across continuations.
  std::string answer_text() const;
  void continue_with(const BackendCodec& backend, std::string_view request_id, TokenUsage carried);
  // Whether the current attempt has added content (its first-token timeout has passed).
  bool attempt_has_content() const { return transformer_.content_seen(); }

  int events() const { return transformer_.events(); }
  int content_chunks() const { return transformer_.content_chunks(); }
  // As the upstream reported it (known=false when it never did); after a
  // continuation, the sum with the attempts before.
  TokenUsage usage() const;
  // The usage of the attempts before a continuation (zero without one).
  TokenUsage carried_usage() const;
  const std::string& error_message() const { return error_; }

 private:
  State fail(State s, std::string message);
  State feed_client(std::string_view upstream_bytes, std::string& client_out);
  bool encode(std::string& openai_sse, std::string& client_out);

  const ClientCodec& client_;
  std::unique_ptr<StreamDecoder> decoder_;
  StreamTransformer transformer_;
  std::unique_ptr<StreamEncoder> encoder_;
  SseParser encoded_events_;
  std::vector<SseEvent> events_;
  std::string openai_in_, openai_out_;
  std::string held_;  // client bytes before the commit point
  bool forward_usage_;
  TextFilter* filter_;
  std::string earlier_text_;               // the text of the attempts before this one
  std::unique_ptr<SpliceEditor> splice_;   // set on a continuation
  boost::json::object first_identity_;     // id / created / model of the first attempt's chunks
  std::string spliced_;
  bool committed_ = false;
  std::string error_;
};

}  // namespace hgw::protocol
