// HTTP/1.1 messages the gateway writes, as the bytes on the wire. Heads are
// built as text in one contiguous string and written with a single write:
// Beast's fields allocate an element per header and its serializer walks a
// chain of buffer views per field, which costs more than the copy.
#pragma once

#include <string>
#include <string_view>

namespace hgw::protocol {

// "HTTP/1.x CODE REASON\r\n" (version 10 or 11).
void append_status_line(unsigned status, unsigned version, std::string& out);
// "METHOD TARGET HTTP/1.1\r\n".
void append_request_line(std::string_view method, std::string_view target, std::string& out);
// "Name: value\r\n". Values come from the configuration or from headers that
// the HTTP parser accepted, so they hold no line breaks.
void append_field(std::string_view name, std::string_view value, std::string& out);
void append_field(std::string_view name, std::size_t value, std::string& out);

// One chunk of a chunked body ("<hex size>\r\n<data>\r\n"); data must not be
// empty, since an empty chunk ends the body.
void append_chunk(std::string_view data, std::string& out);
// The last chunk, with no trailer fields.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace hgw::protocol
