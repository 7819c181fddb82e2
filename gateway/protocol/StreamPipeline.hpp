// The pure stream pipeline of one attempt: upstream bytes → the backend's
// StreamDecoder (its dialect → OpenAI chunks) → StreamTransformer (usage
// meter, [DONE] and finish tracking, output filter and placeholder
// restoration) → the client's StreamEncoder (OpenAI chunks → its dialect) →
// client bytes. feed(bytes) → {bytes, state}: no I/O, so every byte split of a
// recorded stream can be tested; the relay that drives it only reads, writes
// and times.
#pragma once

#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/SseParser.hpp"
#include "gateway/protocol/StreamTransformer.hpp"

#include <memory>
#include <string>

namespace hgw::protocol {

class StreamPipeline {
 public:
  using State = StreamTransformer::State;

  StreamPipeline(const BackendCodec& backend, const ClientCodec& client, const ClientContext& context,
                 bool forward_usage, TextFilter* filter);

  // Appends the client bytes for these upstream bytes. Once the state is not
  // ok the stream is broken (error_message() says why); what was appended
  // before is still valid.
  State feed(std::string_view upstream_bytes, std::string& client_out);

  // The upstream ended its body. True when the answer was complete (its end
  // event seen, or only [DONE] missing after a finish_reason): the closing
  // bytes are appended. False: it ended early — break the stream.
  bool finish(std::string& client_out);

  // The client bytes that end a stream broken now: an SSE error event in the
  // client's format, never a [DONE].
  std::string error_event(std::string_view message) const;
  // The whole answer in the client's format once finished (Responses: the
  // response object, stored for previous_response_id); null otherwise.
  boost::json::value client_result() const;

  int events() const { return transformer_.events(); }
  int content_chunks() const { return transformer_.content_chunks(); }
  // As the upstream reported it (known=false when it never did).
  TokenUsage usage() const;
  const std::string& error_message() const { return error_; }

 private:
  State fail(State s, std::string message);
  bool encode(std::string& openai_sse, std::string& client_out);

  const ClientCodec& client_;
  std::unique_ptr<StreamDecoder> decoder_;
  StreamTransformer transformer_;
  std::unique_ptr<StreamEncoder> encoder_;
  SseParser encoded_events_;
  std::vector<SseEvent> events_;
  std::string openai_in_, openai_out_;
  std::string error_;
};

}  // namespace hgw::protocol
