#include "gateway/protocol/AnthropicCodec.hpp"

#include "gateway/protocol/AnthropicTranslate.hpp"
#include "gateway/protocol/EventStreamDecoder.hpp"
#include "gateway/protocol/HttpWire.hpp"
#include "gateway/protocol/SseParser.hpp"

namespace hgw::protocol {

namespace json = boost::json;

namespace {

// OpenAI chunks → Anthropic events.
class MessagesStreamEncoder final : public StreamEncoder {
 public:
  explicit MessagesStreamEncoder(std::string model) : translator_(std::move(model)) {}
  bool feed(std::string_view data, std::string& out) override { return translator_.feed(data, out); }
  std::string finish() override { return translator_.finish(); }
  const std::string& error_message() const override { return translator_.error_message(); }

 private:
  anthropic::ChatStreamToMessages translator_;
};

}  // namespace

std::string AnthropicBackendCodec::target(const config::BackendConfig& b, policy::Endpoint) const {
  return b.base_path + "/messages";
}

void AnthropicBackendCodec::append_headers(const std::string& api_key, std::string& out) const {
  if (!api_key.empty()) append_field("x-api-key", api_key, out);
  append_field("anthropic-version", "2023-06-01", out);
}

bool AnthropicBackendCodec::encode_body(const json::object& request, std::string_view,
                                        const config::BackendConfig& b, bool stream, std::string& body,
                                        std::string& error) const {
  auto t = anthropic::chat_request_to_messages(request, upstream_model(b, request), stream);
  if (!t.error.empty()) {
    error = "cannot send this request to " + b.name + " (Anthropic Messages API): " + t.error;
    return false;
  }
  body = json::serialize(t.body);
  return true;
}

json::object AnthropicBackendCodec::answer_to_openai(const json::object& answer) const {
  return anthropic::messages_response_to_chat(answer);
}

json::object AnthropicBackendCodec::error_to_openai(const json::object& error) const {
  return anthropic::error_to_openai(error);
}

std::unique_ptr<StreamDecoder> AnthropicBackendCodec::stream_decoder(const std::string& request_id) const {
  return std::make_unique<EventStreamDecoder<anthropic::MessagesStreamToChat>>(request_id);
}

ClientCodec::Decoded AnthropicClientCodec::decode(json::value& body, policy::Endpoint, const ClientContext&) const {
  auto& request = body.as_object();
  const auto* stream = request.if_contains("stream");
  auto t = anthropic::messages_request_to_chat(request, std::string_view(request.at("model").as_string()),
                                               stream && stream->is_bool() && stream->as_bool());
  if (!t.error.empty()) return {policy::Endpoint::chat, t.error, {}};
  body = std::move(t.body);
  return {policy::Endpoint::chat, {}, {}};
}

std::string AnthropicClientCodec::encode_answer(const json::object& openai_answer, const ClientContext&) const {
  return json::serialize(anthropic::chat_response_to_messages(openai_answer));
}

std::unique_ptr<StreamEncoder> AnthropicClientCodec::stream_encoder(const ClientContext& context) const {
  return std::make_unique<MessagesStreamEncoder>(std::string(context.model));
}

std::string AnthropicClientCodec::error_body(unsigned status, std::string_view message, std::string_view,
                                             std::string_view) const {
  return anthropic::anthropic_error_body(anthropic::error_type_for_status(static_cast<int>(status)), message);
}

std::string AnthropicClientCodec::upstream_error(const json::object& openai_error, unsigned status) const {
  return anthropic::openai_error_to_anthropic(openai_error, static_cast<int>(status));
}

std::string AnthropicClientCodec::stream_error_event(std::string_view message) const {
  return format_sse(anthropic::anthropic_error_body("api_error", message), "error");
}

}  // namespace hgw::protocol
