// A response of the gateway's own making: status, header lines and body. The
// session adds the framing (status line, Content-Length or chunked encoding,
// Connection) when it writes it. Kept as text rather than as Beast fields:
// every answer of the data plane is built here, and a header is then one
// append instead of one allocated, sorted element.
#pragma once

#include "gateway/protocol/HttpWire.hpp"

#include <string>
#include <string_view>

namespace hgw::server {

struct Response {
  // Room for the gateway's usual headers: one allocation, not one per growth.
  explicit Response(unsigned status_code = 200) : status(status_code) { headers.reserve(320); }

  // Adds a header line; each name is added once (the caller's business).
  Response& add(std::string_view name, std::string_view value) {
    protocol::append_field(name, value, headers);
    return *this;
  }

  unsigned status;
  std::string headers;  // "Name: value\r\n" lines
  std::string body;
};

// Status line, the response's headers and Connection (close, or keep-alive
// for an HTTP/1.0 client that stays), without the framing of a body.
void append_response_head(const Response& response, unsigned version, bool keep_alive, std::string& out);
// The whole response: head, Content-Length, body.
void append_whole_response(const Response& response, unsigned version, bool keep_alive, std::string& out);

}  // namespace hgw::server
