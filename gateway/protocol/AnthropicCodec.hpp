// The Anthropic Messages API on both edges, over the translators of
// AnthropicTranslate.hpp: a backend with protocol anthropic, and clients of
// POST /v1/messages (Anthropic SDKs, Claude Code).
#pragma once

#include "gateway/protocol/Codec.hpp"

namespace hgw::protocol {

class AnthropicBackendCodec final : public BackendCodec {
 public:
  std::string_view dialect() const override { return "anthropic"; }
  // The Messages API has no completions or embeddings.
  bool serves(policy::Endpoint e) const override { return e == policy::Endpoint::chat; }
  std::string target(const config::BackendConfig&, policy::Endpoint) const override;
  void append_headers(const std::string& api_key, std::string& out) const override;
  bool encode_body(const boost::json::object& request, std::string_view request_text, const config::BackendConfig&,
                   bool stream, std::string& body, std::string& error) const override;
  bool speaks_openai() const override { return false; }
  boost::json::object answer_to_openai(const boost::json::object& answer) const override;
  boost::json::object error_to_openai(const boost::json::object& error) const override;
  std::unique_ptr<StreamDecoder> stream_decoder(const std::string& request_id) const override;
};

class AnthropicClientCodec final : public ClientCodec {
 public:
  std::string_view dialect() const override { return "anthropic"; }
  Decoded decode(boost::json::value& body, policy::Endpoint client_endpoint, const ClientContext&) const override;
  bool speaks_openai() const override { return false; }
  // Anthropic streams always end with usage: the translator needs the chunk.
  bool always_streams_usage() const override { return true; }
  std::string encode_answer(const boost::json::object& openai_answer, const ClientContext&) const override;
  std::unique_ptr<StreamEncoder> stream_encoder(const ClientContext& context) const override;
  std::string error_body(unsigned status, std::string_view message, std::string_view type,
                         std::string_view code) const override;
  std::string upstream_error(const boost::json::object& openai_error, unsigned status) const override;
  std::string stream_error_event(std::string_view message) const override;
};

}  // namespace hgw::protocol
