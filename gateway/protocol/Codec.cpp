#include "gateway/protocol/Codec.hpp"

#include "gateway/protocol/AnthropicCodec.hpp"
#include "gateway/protocol/OpenAiCodec.hpp"

namespace hgw::protocol {

const BackendCodec& backend_codec(config::Protocol p) {
  static const OpenAiBackendCodec openai;
  static const AzureOpenAiBackendCodec azure;
  static const AnthropicBackendCodec anthropic;
  switch (p) {
    case config::Protocol::openai: return openai;
    case config::Protocol::azure_openai: return azure;
    case config::Protocol::anthropic: return anthropic;
  }
  return openai;
}

const ClientCodec& client_codec(policy::Endpoint client_endpoint) {
  static const OpenAiClientCodec openai;
  static const AnthropicClientCodec anthropic;
  return client_endpoint == policy::Endpoint::messages ? static_cast<const ClientCodec&>(anthropic)
                                                       : static_cast<const ClientCodec&>(openai);
}

}  // namespace hgw::protocol
