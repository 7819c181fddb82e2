#include "gateway/protocol/HttpWire.hpp"

#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <charconv>

namespace hgw::protocol {

void append_status_line(unsigned status, unsigned version, std::string& out) {
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[8];
  out.append(code, std::to_chars(code, code + sizeof code, status).ptr);
  out += ' ';
  out += boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out += "\r\n";
}

void append_request_line(std::string_view method, std::string_view target, std::string& out) {
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\n";
}

void append_field(std::string_view name, std::string_view value, std::string& out) {
  // One growth and four copies: four appends cost a field ~200 instructions,
  // and a request's heads carry a dozen fields.
  const std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  // copy_n, not memcpy: an empty view may hold a null pointer.
  char* p = std::copy_n(name.data(), name.size(), out.data() + at);
  *p++ = ':';
  *p++ = ' ';
  p = std::copy_n(value.data(), value.size(), p);
  *p++ = '\r';
  *p = '\n';
}

void append_field(std::string_view name, std::size_t value, std::string& out) {
  char digits[24];
  append_field(name, std::string_view(digits, std::to_chars(digits, digits + sizeof digits, value).ptr - digits),
               out);
}

void append_chunk(std::string_view data, std::string& out) {
  char size[24];
  out.append(size, std::to_chars(size, size + sizeof size, data.size(), 16).ptr);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

}  // namespace hgw::protocol
