// Turns one upstream request into a Plan: what to send, when, and which fault
// to play. Pure logic (Boost.JSON, no sockets), so every response shape and
// fault can be unit-tested without a connection; SimSession only executes Plans.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hgw::sim {

class SimState;

// One SSE event, written to the socket as one HTTP chunk after delay_ms.
struct Chunk {
  std::string data;
  int delay_ms = 0;
};

struct Plan {
  enum class Kind {
    full,    // status + headers + body in one write, after delay_ms
    stream,  // text/event-stream, chunked, one write per Chunk
    reset,   // close with RST before any byte
    hang,    // never answer; wait for the client to leave
  };
  Kind kind = Kind::full;
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra (Retry-After, ...)
  std::string body;           // full
  int delay_ms = 0;           // full: before the response
  std::vector<Chunk> chunks;  // stream
  int cut_after = -1;    // stream: close after this many chunks; full (>=0): close mid-body
  int stall_after = -1;  // stream: stop after this many chunks, keep the connection open
  bool streaming_request = false;  // the client asked for a stream (cancellation counting)
};

// What the session read from the wire for one request.
struct Inbound {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // "/v1/chat/completions?api-version=..."
  std::string_view body;
  bool echo = false;              // x-sim-echo: 1
  bool has_fault_header = false;  // x-sim-fault present
  std::string_view fault_header;
};

// Builds the answer to an upstream API request (not /_sim/*). Fault precedence:
// x-sim-fault header, then a "fault:<spec>" model, then the global fault (one
// use of it is consumed from `state`).
Plan build_response(const Inbound& in, SimState& state);

// OpenAI-shaped error ({"error":{"message","type","param","code"}}); with
// anthropic=true it also carries Anthropic's top-level "type":"error" so both
// kinds of client parse it.
Plan error_plan(unsigned status, std::string_view message, std::string_view type,
                std::string_view code, bool anthropic = false);

// Echo mode chunking: pieces of `bytes` bytes that never split a UTF-8 sequence.
std::vector<std::string> split_utf8(std::string_view text, std::size_t bytes);

// max(1, ceil(chars / 4)): the simulator's deterministic "tokenizer".
int estimate_tokens(std::size_t chars);

}  // namespace hgw::sim
