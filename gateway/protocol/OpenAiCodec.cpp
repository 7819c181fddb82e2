#include "gateway/protocol/OpenAiCodec.hpp"

#include "gateway/protocol/HttpWire.hpp"
#include "gateway/protocol/SseParser.hpp"

namespace hgw::protocol {

namespace json = boost::json;

const char* openai_endpoint_path(policy::Endpoint e) {
  switch (e) {
    case policy::Endpoint::chat: return "/chat/completions";
    case policy::Endpoint::completions: return "/completions";
    case policy::Endpoint::embeddings: return "/embeddings";
    case policy::Endpoint::messages: return "/messages";
    case policy::Endpoint::responses: return "/responses";
  }
  return "/chat/completions";
}

bool OpenAiBackendCodec::serves(policy::Endpoint e) const {
  return e != policy::Endpoint::messages && e != policy::Endpoint::responses;
}

std::string OpenAiBackendCodec::target(const config::BackendConfig& b, policy::Endpoint e) const {
  return b.base_path + openai_endpoint_path(e);
}

void OpenAiBackendCodec::append_headers(const std::string& api_key, std::string& out) const {
  if (!api_key.empty()) append_field("Authorization", "Bearer " + api_key, out);
}

bool OpenAiBackendCodec::encode_body(const json::object& request, std::string_view request_text,
                                     const config::BackendConfig& b, bool stream, std::string& body,
                                     std::string&) const {
  const std::string_view model = upstream_model(b, request);
  auto spliced = request_text.empty() ? std::nullopt : upstream_body_from_text(request_text, request, model, stream);
  body = spliced ? std::move(*spliced) : upstream_body(request, model, stream);
  return true;
}

std::string AzureOpenAiBackendCodec::target(const config::BackendConfig& b, policy::Endpoint e) const {
  const std::string& deployment = b.deployment.empty() ? b.model : b.deployment;
  std::string t = b.base_path + "/openai/deployments/" + deployment + openai_endpoint_path(e);
  if (!b.api_version.empty()) t += "?api-version=" + b.api_version;
  return t;
}

void AzureOpenAiBackendCodec::append_headers(const std::string& api_key, std::string& out) const {
  if (!api_key.empty()) append_field("api-key", api_key, out);
}

ClientCodec::Decoded OpenAiClientCodec::decode(json::value&, policy::Endpoint client_endpoint,
                                               const ClientContext&) const {
  return {client_endpoint, {}, {}};
}

std::string OpenAiClientCodec::encode_answer(const json::object& openai_answer, const ClientContext&) const {
  return json::serialize(openai_answer);
}

std::string OpenAiClientCodec::error_body(unsigned, std::string_view message, std::string_view type,
                                          std::string_view code) const {
  return protocol::error_body(message, type, code);
}

std::string OpenAiClientCodec::upstream_error(const json::object& openai_error, unsigned) const {
  return json::serialize(openai_error);
}

std::string OpenAiClientCodec::stream_error_event(std::string_view message) const {
  json::object err{{"message", message}, {"type", "upstream_error"}, {"code", "stream_interrupted"}};
  return format_sse(json::serialize(json::object{{"error", std::move(err)}}), "error");
}

}  // namespace hgw::protocol
