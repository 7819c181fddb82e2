// Incremental Server-Sent Events parser (WHATWG event-stream rules): bytes go
// in as they arrive from the upstream, complete events come out. Lines may end
// in \n, \r\n or \r, and a line may be split across reads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::protocol {

struct SseEvent {
  std::string event;  // "event:" field, empty when absent
  std::string data;   // "data:" lines joined with '\n'
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 4 * 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

  // Appends complete events to out. Returns false when an event grows past the
  // limit (a broken or hostile upstream): the stream must be treated as malformed.
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);

  // True when bytes of an unfinished event are pending.
  bool has_partial() const { return !line_.empty() || !current_.data.empty() || has_data_; }

 private:
  void process_line(std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string line_;
  bool last_was_cr_ = false;
  bool has_data_ = false;
  SseEvent current_;
};

// Frames one event for the wire.
std::string format_sse(std::string_view data, std::string_view event = {});

}  // namespace hgw::protocol
