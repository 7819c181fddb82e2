#include "gateway/protocol/UpstreamRequest.hpp"

#include "gateway/protocol/HttpWire.hpp"
#include "gateway/protocol/OpenAiWire.hpp"

namespace hgw::protocol {

namespace {
const char* endpoint_path(policy::Endpoint e) {
  switch (e) {
    case policy::Endpoint::chat: return "/chat/completions";
    case policy::Endpoint::completions: return "/completions";
    case policy::Endpoint::embeddings: return "/embeddings";
    case policy::Endpoint::messages: return "/messages";
  }
  return "/chat/completions";
}
}  // namespace

std::string host_header(const config::BackendConfig& b) {
  const std::string host = b.host.find(':') != std::string::npos ? "[" + b.host + "]" : b.host;
  const bool default_port = (b.https && b.port == "443") || (!b.https && b.port == "80");
  return default_port ? host : host + ":" + b.port;
}

std::string upstream_target(const config::BackendConfig& b, policy::Endpoint endpoint) {
  if (b.protocol == config::Protocol::azure_openai) {
    const std::string& deployment = b.deployment.empty() ? b.model : b.deployment;
    std::string t = b.base_path + "/openai/deployments/" + deployment + endpoint_path(endpoint);
    if (!b.api_version.empty()) t += "?api-version=" + b.api_version;
    return t;
  }
  // The Messages API is the only endpoint of an Anthropic backend.
  if (b.protocol == config::Protocol::anthropic) return b.base_path + "/messages";
  return b.base_path + endpoint_path(endpoint);
}

namespace {

// The backend's key, in the header its API reads.
void append_credentials(const config::BackendConfig& b, const std::string& api_key, std::string& out) {
  if (api_key.empty()) return;
  if (b.protocol == config::Protocol::azure_openai)
    append_field("api-key", api_key, out);
  else if (b.protocol == config::Protocol::anthropic)
    append_field("x-api-key", api_key, out);
  else
    append_field("Authorization", "Bearer " + api_key, out);
}

}  // namespace

std::string make_upstream_request(const config::BackendConfig& b, const std::string& api_key,
                                  policy::Endpoint endpoint, const boost::json::object& body, bool stream,
                                  const std::string& request_id, std::string_view client_accept) {
  // For anthropic backends the body was translated to the Messages format
  // already (model included).
  const std::string payload = b.protocol == config::Protocol::anthropic ? boost::json::serialize(body)
                                                                       : upstream_body(body, b.model, stream);
  std::string out;
  out.reserve(512 + payload.size());
  append_request_line("POST", upstream_target(b, endpoint), out);
  append_field("Host", host_header(b), out);
  append_field("User-Agent", "hybridgw/0.1", out);
  append_field("Content-Type", "application/json", out);
  append_field("Accept",
               client_accept.empty() ? (stream ? "text/event-stream" : "application/json") : client_accept, out);
  append_field("x-request-id", request_id, out);
  append_credentials(b, api_key, out);
  if (b.protocol == config::Protocol::anthropic) append_field("anthropic-version", "2023-06-01", out);
  append_field("Content-Length", payload.size(), out);
  out += "\r\n";
  out += payload;
  return out;
}

std::string make_health_request(const config::BackendConfig& b, const std::string& api_key) {
  std::string out;
  append_request_line("GET", b.base_path + b.health_check.path, out);
  append_field("Host", host_header(b), out);
  append_field("User-Agent", "hybridgw-health/0.1", out);
  append_credentials(b, api_key, out);
  out += "Connection: close\r\n\r\n";
  return out;
}

}  // namespace hgw::protocol
