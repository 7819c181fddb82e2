#include "gateway/server/Response.hpp"

namespace hgw::server {

void append_response_head(const Response& response, unsigned version, bool keep_alive, std::string& out) {
  protocol::append_status_line(response.status, version, out);
  out += response.headers;
  if (!keep_alive)
    out += "Connection: close\r\n";
  else if (version == 10)
    out += "Connection: keep-alive\r\n";
}

void append_whole_response(const Response& response, unsigned version, bool keep_alive, std::string& out) {
  append_response_head(response, version, keep_alive, out);
  protocol::append_field("Content-Length", response.body.size(), out);
  out += "\r\n";
  out += response.body;
}

}  // namespace hgw::server
