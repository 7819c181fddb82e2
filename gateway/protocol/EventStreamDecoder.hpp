// A backend's SSE dialect → OpenAI chunks, event by event, for any
// translator of the shape the Anthropic and Responses ones have:
// feed(event, payloads) → bool, finished(), usage(), error_message(),
// is_upstream_error(). The SSE framing and the error bookkeeping are here once.
#pragma once

#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/SseParser.hpp"

#include <string>
#include <vector>

namespace hgw::protocol {

template <class Translator>
class EventStreamDecoder final : public StreamDecoder {
 public:
  explicit EventStreamDecoder(const std::string& request_id) : translator_(request_id) {}

  bool feed(std::string_view bytes, std::string& openai_sse) override {
    events_.clear();
    if (!parser_.feed(bytes, events_)) {
      error_ = "upstream SSE event exceeds the size limit";
      return false;
    }
    for (const auto& e : events_) {
      payloads_.clear();
      const bool ok = translator_.feed(e, payloads_);
      for (const auto& p : payloads_) openai_sse += format_sse(p);
      if (!ok) {
        error_ = translator_.error_message();
        upstream_error_ = translator_.is_upstream_error();
        return false;
      }
    }
    return true;
  }
  bool finished() const override { return translator_.finished(); }
  TokenUsage usage() const override { return translator_.usage(); }
  const std::string& error_message() const override { return error_; }
  bool is_upstream_error() const override { return upstream_error_; }

 private:
  Translator translator_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  std::vector<std::string> payloads_;
  std::string error_;
  bool upstream_error_ = false;
};

}  // namespace hgw::protocol
