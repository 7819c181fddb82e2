// HTTP/1.1 response framing written by hand: the simulator sends each response
// (or SSE chunk) as one contiguous buffer, i.e. one write, which is what the
// benchmarks and the chunk-boundary tests rely on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hgw::sim {

enum class BodyFraming { content_length, chunked, until_close };

struct Head {
  unsigned status = 200;
  std::string_view content_type;
  std::string_view sim_name;  // x-sim-name
  const std::vector<std::pair<std::string, std::string>>* extra = nullptr;
  bool keep_alive = true;
  BodyFraming framing = BodyFraming::content_length;
  std::size_t content_length = 0;
};

// Status line + headers + blank line, appended to `out`.
void append_head(std::string& out, const Head& head);
// One chunk of chunked transfer encoding ("<hex>\r\n<data>\r\n"), appended.
void append_chunk(std::string& out, std::string_view data);
// The terminating zero-length chunk.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace hgw::sim
