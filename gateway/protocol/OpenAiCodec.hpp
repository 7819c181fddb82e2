// The OpenAI wire format on both edges (OpenAI, vLLM, llama.cpp server,
// Ollama, TGI, SGLang), and Azure OpenAI, which is the same body under its own
// path (deployment, api-version) and credential header.
#pragma once

#include "gateway/protocol/Codec.hpp"

namespace hgw::protocol {

class OpenAiBackendCodec : public BackendCodec {
 public:
  std::string_view dialect() const override { return "openai"; }
  bool serves(policy::Endpoint) const override;
  std::string target(const config::BackendConfig&, policy::Endpoint) const override;
  void append_headers(const std::string& api_key, std::string& out) const override;
  bool encode_body(const boost::json::object& request, std::string_view request_text, const config::BackendConfig&,
                   bool stream, std::string& body, std::string& error) const override;
  bool speaks_openai() const override { return true; }
  boost::json::object answer_to_openai(const boost::json::object& answer) const override { return answer; }
  boost::json::object error_to_openai(const boost::json::object& error) const override { return error; }
  std::unique_ptr<StreamDecoder> stream_decoder(const std::string&) const override { return nullptr; }
};

class AzureOpenAiBackendCodec final : public OpenAiBackendCodec {
 public:
  std::string target(const config::BackendConfig&, policy::Endpoint) const override;
  void append_headers(const std::string& api_key, std::string& out) const override;
};

class OpenAiClientCodec final : public ClientCodec {
 public:
  std::string_view dialect() const override { return "openai"; }
  Decoded decode(boost::json::value& body, policy::Endpoint client_endpoint, const ClientContext&) const override;
  bool keeps_body() const override { return true; }
  bool speaks_openai() const override { return true; }
  bool always_streams_usage() const override { return false; }
  std::string encode_answer(const boost::json::object& openai_answer, const ClientContext&) const override;
  std::unique_ptr<StreamEncoder> stream_encoder(const ClientContext&) const override { return nullptr; }
  std::string error_body(unsigned status, std::string_view message, std::string_view type,
                         std::string_view code) const override;
  std::string upstream_error(const boost::json::object& openai_error, unsigned status) const override;
  std::string stream_error_event(std::string_view message) const override;
};

// "/chat/completions", "/completions", "/embeddings".
const char* openai_endpoint_path(policy::Endpoint);

}  // namespace hgw::protocol
