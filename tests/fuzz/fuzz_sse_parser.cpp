// SseParser (gateway/protocol/SseParser.hpp) fed an upstream's bytes.
// Checks: the same events come out whatever the read boundaries are (the
// parser is a byte-by-byte state machine); an event never holds a line break
// it should have split on, nor more bytes than the limit; format_sse() output
// parses back to the event it framed.
#include "gateway/protocol/SseParser.hpp"
#include "tests/fuzz/FuzzSupport.hpp"

#include <string>

using hgw::fuzz::check;
using hgw::protocol::SseEvent;
using hgw::protocol::SseParser;

namespace {

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].event != b[i].event || a[i].data != b[i].data) return false;
  return true;
}

void whole_versus_chunked(std::string_view in, std::size_t limit) {
  SseParser whole(limit), parts(limit);
  std::vector<SseEvent> a, b;
  const bool ok_a = whole.feed(in, a);
  bool ok_b = true;
  for (auto c : hgw::fuzz::chunks(in))
    if (!parts.feed(c, b)) {
      ok_b = false;
      break;
    }
  check(ok_a == ok_b, "the event limit fired for one chunking only");
  check(same(a, b), "chunked feeding produced other events than one feed");
  if (ok_a) check(whole.has_partial() == parts.has_partial(), "has_partial() depends on the chunking");
  for (const auto& e : a) {
    check(e.event.find_first_of("\r\n") == std::string::npos, "event name holds a line break");
    check(e.data.find('\r') == std::string::npos, "event data holds a CR");
    check(e.data.size() <= limit, "event data larger than max_event_bytes");
  }
}

void format_round_trip(std::string_view in) {
  // Input = event name, NUL, data. Only what SSE can carry: no CR at all, no
  // LF in the name (LF in data becomes several data: lines).
  const auto nul = in.find('\0');
  std::string event(in.substr(0, nul == std::string_view::npos ? 0 : nul));
  std::string data(nul == std::string_view::npos ? in : in.substr(nul + 1));
  std::erase_if(event, [](char c) { return c == '\r' || c == '\n'; });
  std::erase(data, '\r');
  const std::string framed = hgw::protocol::format_sse(data, event);
  SseParser p;
  std::vector<SseEvent> out;
  check(p.feed(framed, out), "format_sse output rejected by the parser");
  check(out.size() == 1 && out[0].event == event && out[0].data == data && !p.has_partial(),
        "format_sse output does not parse back to the framed event", framed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = hgw::fuzz::as_text(data, size);
  whole_versus_chunked(in, 4 * 1024 * 1024);
  whole_versus_chunked(in, 64);  // small enough that inputs reach it
  format_round_trip(in);
  return 0;
}
