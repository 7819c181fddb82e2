#include "tests/sim/HttpWire.hpp"

#include <boost/beast/http/status.hpp>

#include <charconv>

namespace hgw::sim {

void append_head(std::string& out, const Head& h) {
  out += "HTTP/1.1 ";
  out += std::to_string(h.status);
  out += ' ';
  auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(h.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: hybridgw-sim\r\nx-sim-name: ";
  out += h.sim_name;
  out += "\r\nContent-Type: ";
  out += h.content_type;
  out += "\r\n";
  switch (h.framing) {
    case BodyFraming::content_length:
      out += "Content-Length: ";
      out += std::to_string(h.content_length);
      out += "\r\n";
      break;
    case BodyFraming::chunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    case BodyFraming::until_close:
      break;
  }
  if (h.content_type == "text/event-stream") out += "Cache-Control: no-cache\r\n";
  if (!h.keep_alive || h.framing == BodyFraming::until_close) out += "Connection: close\r\n";
  if (h.extra)
    for (const auto& [name, value] : *h.extra) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
  out += "\r\n";
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;  // a zero-length chunk would end the body
  char hex[20];
  auto [end, ec] = std::to_chars(hex, hex + sizeof hex, data.size(), 16);
  out.append(hex, end);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

}  // namespace hgw::sim
