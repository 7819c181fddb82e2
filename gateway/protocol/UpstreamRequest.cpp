#include "gateway/protocol/UpstreamRequest.hpp"

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

http::request<http::string_body> make_upstream_request(const config::BackendConfig& b,
                                                       const std::string& api_key,
                                                       policy::Endpoint endpoint,
                                                       const boost::json::object& body, bool stream,
                                                       const std::string& request_id,
                                                       std::string_view client_accept) {
  http::request<http::string_body> req{http::verb::post, upstream_target(b, endpoint), 11};
  req.set(http::field::host, host_header(b));
  req.set(http::field::user_agent, "hybridgw/0.1");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, client_accept.empty() ? (stream ? "text/event-stream" : "application/json")
                                                     : client_accept);
  req.set("x-request-id", request_id);
  if (!api_key.empty()) {
    if (b.protocol == config::Protocol::azure_openai)
      req.set("api-key", api_key);
    else if (b.protocol == config::Protocol::anthropic)
      req.set("x-api-key", api_key);
    else
      req.set(http::field::authorization, "Bearer " + api_key);
  }
  req.keep_alive(true);
  if (b.protocol == config::Protocol::anthropic) {
    // The body was translated to the Messages format already (model included).
    req.set("anthropic-version", "2023-06-01");
    req.body() = boost::json::serialize(body);
  } else {
    req.body() = upstream_body(body, b.model, stream);
  }
  req.prepare_payload();
  return req;
}

}  // namespace hgw::protocol
