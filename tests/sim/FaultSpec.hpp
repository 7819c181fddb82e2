// Fault specifications understood by hybridgw-sim ("status=429,retry_after=2",
// "cut=3", "hang", ...). Pure parsing, no I/O: the session decides what to do.
#pragma once

#include <string>
#include <string_view>

namespace hgw::sim {

// Every field is independent so that trivial combinations ("slow_ttft=200;cut=3")
// need no special casing. -1 / 0 / false mean "not set".
struct FaultSpec {
  int status = 0;            // >0: answer with an OpenAI-shaped error of this status
  int retry_after_s = -1;    // with status: Retry-After header (seconds)
  bool context_length = false;  // 400 context_length_exceeded
  bool content_policy = false;  // 400 content_policy_violation
  bool reset = false;        // read the request, then RST before any header
  bool hang = false;         // read the request, never answer
  bool no_done = false;      // stream ends cleanly but without "data: [DONE]"
  int slow_ttft_ms = -1;     // wait this long before headers / first chunk
  int cut = -1;              // stream: close after N chunks; non-stream: close mid-body
  int stall = -1;            // stream: stop after N chunks, keep the connection open
  int malformed = -1;        // stream: chunk N (0-based) is not JSON
  int error_event = -1;      // stream: chunk N (0-based) is the backend's own error event, and the last
  bool repeat_prefill = false;  // a continuation (prefill) answer starts by repeating the prefill
  bool preamble = false;     // chat stream: a role-only first chunk, as vLLM and OpenAI send, before any token

  bool empty() const;
  // Faults that replace the whole response (the request body need not be valid).
  bool replaces_response() const;
};

struct FaultParseResult {
  FaultSpec spec;
  std::string error;  // empty on success; otherwise a message for a 400 body
  bool ok() const { return error.empty(); }
};

// Items are separated by ',' or ';'. Unknown names and bad numbers are errors
// (the tests must not silently run without the fault they asked for).
FaultParseResult parse_fault(std::string_view text);

}  // namespace hgw::sim
