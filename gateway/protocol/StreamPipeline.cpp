#include "gateway/protocol/StreamPipeline.hpp"

namespace hgw::protocol {

StreamPipeline::StreamPipeline(const BackendCodec& backend, const ClientCodec& client, const ClientContext& context,
                               bool forward_usage, TextFilter* filter)
    : client_(client),
      decoder_(backend.stream_decoder(std::string(context.request_id))),
      transformer_(forward_usage, filter),
      encoder_(client.stream_encoder(context)),
      forward_usage_(forward_usage),
      filter_(filter) {}

// The current transformer reads the continuation after the splice editor:
// its text is what the continuation added.
std::string StreamPipeline::answer_text() const { return earlier_text_ + transformer_.text(); }

void StreamPipeline::continue_with(const BackendCodec& backend, std::string_view request_id, TokenUsage carried) {
  earlier_text_ = answer_text();
  if (!splice_) first_identity_ = transformer_.identity();
  decoder_ = backend.stream_decoder(std::string(request_id));
  transformer_ = StreamTransformer(forward_usage_, filter_);
  transformer_.record_text();
  splice_ = std::make_unique<SpliceEditor>(make_prefill(earlier_text_), first_identity_, carried);
}

std::string StreamPipeline::error_event(std::string_view message) const {
  std::string events = encoder_ ? encoder_->fail(message) : std::string();
  return events.empty() ? client_.stream_error_event(message) : events;
}

boost::json::value StreamPipeline::client_result() const { return encoder_ ? encoder_->result() : nullptr; }

StreamPipeline::State StreamPipeline::fail(State s, std::string message) {
  error_ = std::move(message);
  return s;
}

// OpenAI SSE bytes → the client's dialect.
bool StreamPipeline::encode(std::string& openai_sse, std::string& client_out) {
  if (!encoder_) {
    client_out += openai_sse;
    openai_sse.clear();
    return true;
  }
  events_.clear();
  encoded_events_.feed(openai_sse, events_);
  openai_sse.clear();
  for (const auto& e : events_) {
    if (!encoder_->feed(e.data, client_out)) {
      error_ = "the stream could not be translated for the client: " + encoder_->error_message();
      return false;
    }
  }
  return true;
}

namespace {
// A backend that streams this much without content is committed to anyway:
// held bytes must stay bounded.
constexpr std::size_t kMaxHeldBytes = 64 * 1024;
}  // namespace

void StreamPipeline::commit(std::string& client_out) {
  if (committed_) return;
  committed_ = true;
  client_out += held_;
  held_.clear();
  held_.shrink_to_fit();
}

StreamPipeline::State StreamPipeline::feed(std::string_view upstream_bytes, std::string& client_out) {
  if (committed_) return feed_client(upstream_bytes, client_out);
  const State s = feed_client(upstream_bytes, held_);
  if (s == State::ok && (transformer_.content_seen() || transformer_.finish_seen() || transformer_.done_seen() ||
                         held_.size() > kMaxHeldBytes))
    commit(client_out);
  return s;
}

StreamPipeline::State StreamPipeline::feed_client(std::string_view upstream_bytes, std::string& client_out) {
  std::string_view openai_bytes = upstream_bytes;
  if (decoder_) {
    openai_in_.clear();
    const bool ok = decoder_->feed(upstream_bytes, openai_in_);
    if (!ok) {
      // What the decoder produced before the bad event still goes out.
      openai_out_.clear();
      transformer_.feed(openai_in_, openai_out_);
      encode(openai_out_, client_out);
      return fail(decoder_->is_upstream_error() ? State::upstream_error : State::malformed, decoder_->error_message());
    }
    openai_bytes = openai_in_;
  }
  if (splice_) {
    spliced_.clear();
    splice_->feed(openai_bytes, spliced_);
    openai_bytes = spliced_;
  }
  openai_out_.clear();
  const State s = transformer_.feed(openai_bytes, openai_out_);
  if (!encode(openai_out_, client_out)) return State::malformed;
  if (s != State::ok) return fail(s, transformer_.error_message());
  return State::ok;
}

bool StreamPipeline::finish(std::string& client_out) {
  const bool ended = decoder_ ? decoder_->finished() : transformer_.done_seen();
  if (!ended && !(transformer_.finish_seen() && !transformer_.has_partial())) return false;
  // Complete; when only [DONE] was missing (the last choice had finished),
  // end it the way clients expect.
  std::string done = transformer_.done_seen() ? std::string() : format_sse("[DONE]");
  commit(client_out);
  if (!encode(done, client_out)) return false;
  if (encoder_) client_out += encoder_->finish();
  return true;
}

TokenUsage StreamPipeline::usage() const {
  TokenUsage u = transformer_.usage();  // after a splice: the editor's sum
  if (u.known || !decoder_) return u;
  u = decoder_->usage();
  return u.known && splice_ ? splice_->carried() + u : u;
}

TokenUsage StreamPipeline::carried_usage() const { return splice_ ? splice_->carried() : TokenUsage{}; }

}  // namespace hgw::protocol
