// One JSON line per request (DESIGN.md §1 "one request, one outcome"). Never
// prompt or completion text, never keys: only the fields of AccessRecord.
//
// Off the hot path, as nginx's `access_log … buffer= flush=`: an io thread
// formats its line straight into a buffer of its own (no allocation per
// field, no system call); a writer thread hands the buffers to write(2) every
// flush interval, or sooner when one reaches buffer_bytes, one buffer after
// the other — so lines never interleave, whichever thread wrote them. A crash
// loses at most the lines of one flush interval; flush() (SIGTERM drain,
// SIGHUP reload) and the destructor write everything. reopen() starts a new
// file at the same path (log rotation: SIGUSR1, or a reload).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hgw::obs {

// Views into the request's own data: valid for the duration of write().
struct AccessRecord {
  std::string_view request_id;
  std::string_view method, path;
  std::string_view route, backend, tenant;
  unsigned status = 0;
  std::string_view outcome;  // success | error code | stream_error:<reason>
  int attempts = 0;
  double latency_ms = 0;
  double ttft_ms = -1;       // -1 = not a stream / no token
  std::uint64_t input_tokens = 0, output_tokens = 0, cached_tokens = 0;
  double cost_usd = 0;
  bool stream = false;
  std::string_view decision;  // short routing decision
  std::string_view continued;  // mid-stream continuations, "from>to:reason,…" ("" = none)
};

class AccessLog {
 public:
  struct Options {
    std::string path = "-";  // "-" = stdout, "" or "off" = disabled, else a file (append)
    std::size_t buffer_bytes = 64 * 1024;
    std::chrono::milliseconds flush_interval{1000};
  };
  explicit AccessLog(Options options);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return enabled_; }
  const std::string& error() const { return error_; }
  void write(const AccessRecord&);
  // Writes every buffered line now; returns when they are in the file.
  void flush();
  // Flushes, closes and opens the path again; "" or why it could not.
  std::string reopen();

 private:
  struct Buffer {
    std::mutex mutex;
    std::string text;
  };
  Buffer& this_thread_buffer();
  void writer_loop();
  void write_out();  // under flush_mutex_

  Options options_;
  bool enabled_ = false;
  std::string error_;
  const std::uint64_t id_;  // tells this log's thread buffers from an earlier log's

  std::mutex buffers_mutex_;
  std::vector<std::shared_ptr<Buffer>> buffers_;

  std::mutex flush_mutex_;  // one writer of the file at a time
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string pending_;     // what the last write(2) did not take

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool full_ = false, stop_ = false;
  std::thread writer_;
};

// The current time as RFC 3339 UTC with milliseconds ("2026-12-01T12:00:00.123Z").
std::string utc_now_rfc3339();
// Appends it to out; the part up to the second is computed once a second per thread.
void append_utc_now(std::string& out);
// Appends s as a JSON string (quotes, escapes, invalid UTF-8 as U+FFFD).
void append_json_string(std::string& out, std::string_view s);

}  // namespace hgw::obs
