// One codec per wire protocol (Envoy's model: the pipeline has no protocol
// branches). Inside the gateway a request and its answer are in the OpenAI
// format — chat completions, completions, embeddings; a codec translates at
// each edge:
//   ClientCodec   what the client speaks: its request → the OpenAI request,
//                 the OpenAI answer / stream / errors → what it expects.
//   BackendCodec  what a backend speaks: the OpenAI request → its request
//                 (path, credentials, body), its answer / stream / errors →
//                 the OpenAI format.
// Codecs are stateless and shared; the state of one stream lives in the
// StreamDecoder / StreamEncoder they make. All pure: bytes and JSON in, bytes
// and JSON out, errors as strings a person can act on.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/config/ModelPattern.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "policies/RequestFeatures.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hgw::protocol {

// A backend's stream → OpenAI chat.completion.chunk events (SSE bytes).
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Appends the OpenAI SSE bytes of the complete upstream events. false: a
  // malformed event or an error event (error_message(), is_upstream_error()).
  virtual bool feed(std::string_view upstream_bytes, std::string& openai_sse) = 0;
  // The upstream's own end of stream was seen (its [DONE] equivalent).
  virtual bool finished() const = 0;
  virtual TokenUsage usage() const = 0;
  virtual const std::string& error_message() const = 0;
  virtual bool is_upstream_error() const = 0;
};

// OpenAI chunk payloads (the "data:" text, or "[DONE]") → the client's stream.
class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  // false: the chunk cannot be translated (error_message()).
  virtual bool feed(std::string_view openai_chunk_data, std::string& client_bytes) = 0;
  // The closing events of a complete answer, if not already sent.
  virtual std::string finish() = 0;
  virtual const std::string& error_message() const = 0;
  // The events that end this stream broken now; "" when the client codec's
  // stream_error_event says it (encoders whose events are numbered do it here).
  virtual std::string fail(std::string_view) { return {}; }
  // The whole answer as the client's format has it, once finished (the
  // Responses API stores it); null when the format has no such object.
  virtual boost::json::value result() const { return nullptr; }
};

// What a client codec knows of the request beyond its body.
struct ClientContext {
  std::string_view model;       // the model name the client asked for
  std::string_view request_id;
  // Responses API: the id of the response being made and its creation time,
  // the client's own request (echoed in the response object), and the stored
  // conversation of previous_response_id (nullptr: none).
  std::string_view response_id;
  std::int64_t created_at = 0;
  const boost::json::object* request = nullptr;
  const boost::json::array* history = nullptr;
  // Items of other stored responses that item_reference inputs name (nullptr: none).
  const boost::json::array* referenced = nullptr;
  bool stored = true;  // the response is kept (store not false, state.responses_ttl_s > 0)
};

// The model name a backend is sent: its configured model, or the client's
// when the backend's model is "*".
inline std::string_view upstream_model(const config::BackendConfig& b, const boost::json::object& request) {
  const boost::json::value* requested = request.if_contains("model");
  return config::upstream_model(b.model, requested && requested->is_string() ? std::string_view(requested->as_string())
                                                                             : std::string_view(b.model));
}

class BackendCodec {
 public:
  virtual ~BackendCodec() = default;
  // The wire format family ("openai", "anthropic"): an upstream error reply
  // goes to a client of the same family unchanged.
  virtual std::string_view dialect() const = 0;
  virtual bool serves(policy::Endpoint) const = 0;
  // The request line's target, e.g. "/v1/chat/completions".
  virtual std::string target(const config::BackendConfig&, policy::Endpoint) const = 0;
  // The header lines of the backend's credentials and protocol ("Name: v\r\n").
  virtual void append_headers(const std::string& api_key, std::string& out) const = 0;
  // The body the backend receives from the pipeline's OpenAI request; false
  // with `error` when this backend cannot express the request. request_text:
  // the client's bytes when `request` is exactly their parse (else empty), for
  // a codec that can send them with only the model changed.
  virtual bool encode_body(const boost::json::object& request, std::string_view request_text,
                           const config::BackendConfig&, bool stream, std::string& body,
                           std::string& error) const = 0;
  // True when answers, streams and errors are already in the OpenAI format.
  virtual bool speaks_openai() const = 0;
  // A whole answer, an error body: in the OpenAI format.
  virtual boost::json::object answer_to_openai(const boost::json::object& answer) const = 0;
  virtual boost::json::object error_to_openai(const boost::json::object& error) const = 0;
  virtual std::unique_ptr<StreamDecoder> stream_decoder(const std::string& request_id) const = 0;
};

class ClientCodec {
 public:
  virtual ~ClientCodec() = default;
  virtual std::string_view dialect() const = 0;
  // The client's request → the pipeline's OpenAI request, in place: the
  // endpoint it becomes, or an error message for a 400. `body` has been
  // validated (RequestValidation) for the client's own format.
  struct Decoded {
    policy::Endpoint endpoint = policy::Endpoint::chat;
    std::string error;
    boost::json::array input_items;  // Responses: this turn's input, as stored with the answer
  };
  virtual Decoded decode(boost::json::value& body, policy::Endpoint client_endpoint,
                         const ClientContext& context) const = 0;
  // decode() leaves the body as the client sent it (the client speaks the
  // pipeline's OpenAI format): its bytes may go upstream instead.
  virtual bool keeps_body() const { return false; }
  virtual bool speaks_openai() const = 0;
  // Streams report usage to this client whether or not it asked.
  virtual bool always_streams_usage() const = 0;
  virtual std::string encode_answer(const boost::json::object& openai_answer, const ClientContext& context) const = 0;
  virtual std::unique_ptr<StreamEncoder> stream_encoder(const ClientContext& context) const = 0;
  // Errors the gateway answers, in the client's format.
  virtual std::string error_body(unsigned status, std::string_view message, std::string_view type,
                                 std::string_view code) const = 0;
  // An upstream's error reply (already in the OpenAI format) for this client.
  virtual std::string upstream_error(const boost::json::object& openai_error, unsigned status) const = 0;
  // The SSE event that ends a stream broken after bytes were sent (no [DONE]).
  virtual std::string stream_error_event(std::string_view message) const = 0;
};

const BackendCodec& backend_codec(config::Protocol);
// POST /v1/messages: Anthropic; POST /v1/responses: Responses; every other endpoint: OpenAI.
const ClientCodec& client_codec(policy::Endpoint client_endpoint);

}  // namespace hgw::protocol
