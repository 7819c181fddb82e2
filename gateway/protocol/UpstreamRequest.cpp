#include "gateway/protocol/UpstreamRequest.hpp"

#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/HttpWire.hpp"

namespace hgw::protocol {

std::string host_header(const config::BackendConfig& b) {
  const std::string host = b.host.find(':') != std::string::npos ? "[" + b.host + "]" : b.host;
  const bool default_port = (b.https && b.port == "443") || (!b.https && b.port == "80");
  return default_port ? host : host + ":" + b.port;
}

std::string make_upstream_request(const config::BackendConfig& b, const std::string& api_key,
                                  policy::Endpoint endpoint, std::string_view body, bool stream,
                                  const std::string& request_id, std::string_view client_accept) {
  const BackendCodec& codec = backend_codec(b.protocol);
  std::string out;
  out.reserve(512 + body.size());
  append_request_line("POST", codec.target(b, endpoint), out);
  append_field("Host", host_header(b), out);
  append_field("User-Agent", "hybridgw/0.1", out);
  append_field("Content-Type", "application/json", out);
  append_field("Accept",
               client_accept.empty() ? (stream ? "text/event-stream" : "application/json") : client_accept, out);
  append_field("x-request-id", request_id, out);
  codec.append_headers(api_key, out);
  append_field("Content-Length", body.size(), out);
  out += "\r\n";
  out += body;
  return out;
}

std::string make_health_request(const config::BackendConfig& b, const std::string& api_key) {
  std::string out;
  append_request_line("GET", b.base_path + b.health_check.path, out);
  append_field("Host", host_header(b), out);
  append_field("User-Agent", "hybridgw-health/0.1", out);
  backend_codec(b.protocol).append_headers(api_key, out);
  out += "Connection: close\r\n\r\n";
  return out;
}

}  // namespace hgw::protocol
