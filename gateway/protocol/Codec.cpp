#include "gateway/protocol/Codec.hpp"

#include "gateway/protocol/AnthropicCodec.hpp"
#include "gateway/protocol/OpenAiCodec.hpp"
#include "gateway/protocol/ResponsesCodec.hpp"

namespace hgw::protocol {

const BackendCodec& backend_codec(config::Protocol p) {
  static const OpenAiBackendCodec openai;
  static const AzureOpenAiBackendCodec azure;
  static const AnthropicBackendCodec anthropic;
  static const ResponsesBackendCodec responses;
  switch (p) {
    case config::Protocol::openai: return openai;
    case config::Protocol::azure_openai: return azure;
    case config::Protocol::anthropic: return anthropic;
    case config::Protocol::openai_responses: return responses;
  }
  return openai;
}

const ClientCodec& client_codec(policy::Endpoint client_endpoint) {
  static const OpenAiClientCodec openai;
  static const AnthropicClientCodec anthropic;
  static const ResponsesClientCodec responses;
  switch (client_endpoint) {
    case policy::Endpoint::messages: return anthropic;
    case policy::Endpoint::responses: return responses;
    default: return openai;
  }
}

}  // namespace hgw::protocol
