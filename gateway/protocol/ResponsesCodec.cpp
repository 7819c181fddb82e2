#include "gateway/protocol/ResponsesCodec.hpp"

#include "gateway/protocol/EventStreamDecoder.hpp"
#include "gateway/protocol/HttpWire.hpp"
#include "gateway/protocol/ResponsesBackend.hpp"
#include "gateway/protocol/ResponsesRequest.hpp"
#include "gateway/protocol/ResponsesResponse.hpp"
#include "gateway/protocol/ResponsesStream.hpp"
#include "gateway/protocol/SseParser.hpp"

namespace hgw::protocol {

namespace json = boost::json;

namespace {

responses::ResponseContext response_context(const ClientContext& c) {
  responses::ResponseContext r;
  r.response_id = std::string(c.response_id);
  r.created_at = c.created_at;
  r.model = std::string(c.model);
  r.request = c.request;
  r.stored = c.stored;
  return r;
}

// OpenAI chunks → Responses events (numbered: a broken stream's last events
// come from the translator, which knows the next sequence number).
class ResponsesStreamEncoder final : public StreamEncoder {
 public:
  explicit ResponsesStreamEncoder(const ClientContext& context) : translator_(response_context(context)) {}
  bool feed(std::string_view data, std::string& out) override {
    if (!translator_.feed(data, out)) {
      error_ = translator_.error_message();
      return false;
    }
    return true;
  }
  std::string finish() override { return translator_.finished() ? std::string() : translator_.finish(); }
  const std::string& error_message() const override { return error_; }
  std::string fail(std::string_view message) override { return translator_.fail(message); }
  json::value result() const override { return translator_.response(); }

 private:
  responses::ChatStreamToResponses translator_;
  std::string error_;
};

}  // namespace

std::string ResponsesBackendCodec::target(const config::BackendConfig& b, policy::Endpoint) const {
  return b.base_path + "/responses";
}

void ResponsesBackendCodec::append_headers(const std::string& api_key, std::string& out) const {
  if (!api_key.empty()) append_field("Authorization", "Bearer " + api_key, out);
}

bool ResponsesBackendCodec::encode_body(const json::object& request, std::string_view,
                                        const config::BackendConfig& b, bool stream, std::string& body,
                                        std::string& error) const {
  auto t = responses::chat_request_to_responses(request, upstream_model(b, request), stream);
  if (!t.error.empty()) {
    error = "cannot send this request to " + b.name + " (Responses API): " + t.error;
    return false;
  }
  body = json::serialize(t.body);
  return true;
}

json::object ResponsesBackendCodec::answer_to_openai(const json::object& answer) const {
  return responses::response_to_chat(answer);
}

std::unique_ptr<StreamDecoder> ResponsesBackendCodec::stream_decoder(const std::string& request_id) const {
  return std::make_unique<EventStreamDecoder<responses::ResponsesStreamToChat>>(request_id);
}

ClientCodec::Decoded ResponsesClientCodec::decode(json::value& body, policy::Endpoint,
                                                  const ClientContext& context) const {
  responses::RequestOptions options;
  options.response_id = context.response_id;
  // Hosted tools (web_search, file_search, …) run only at OpenAI: left out,
  // so that the model answers without them on any backend (Codex CLI sends
  // web_search with every request).
  options.drop_hosted_tools = true;
  if (const json::array* referenced = context.referenced)
    options.find_item = [referenced](std::string_view id) -> const json::object* {
      for (const auto& item : *referenced)
        if (const json::object* o = item.if_object())
          if (const json::value* v = o->if_contains("id"); v && v->is_string() && v->as_string() == id) return o;
      return nullptr;
    };
  auto t = responses::responses_request_to_chat(body.as_object(), context.history, options);
  if (!t.error.empty()) return {policy::Endpoint::chat, t.error, {}};
  body = std::move(t.chat_body);
  return {policy::Endpoint::chat, {}, std::move(t.input_items)};
}

std::string ResponsesClientCodec::encode_answer(const json::object& openai_answer, const ClientContext& context) const {
  return json::serialize(responses::chat_response_to_response(openai_answer, response_context(context)));
}

std::unique_ptr<StreamEncoder> ResponsesClientCodec::stream_encoder(const ClientContext& context) const {
  return std::make_unique<ResponsesStreamEncoder>(context);
}

std::string ResponsesClientCodec::error_body(unsigned, std::string_view message, std::string_view type,
                                             std::string_view code) const {
  return protocol::error_body(message, type, code);
}

std::string ResponsesClientCodec::upstream_error(const json::object& openai_error, unsigned) const {
  return json::serialize(openai_error);
}

std::string ResponsesClientCodec::stream_error_event(std::string_view message) const {
  // Without the stream's encoder (the gateway failed outside it): the events
  // of a failed response, numbered from 0.
  return responses::failure_events(json::object{{"object", "response"}, {"status", "in_progress"}, {"output", json::array{}}},
                                   message, "server_error", 0);
}

}  // namespace hgw::protocol
