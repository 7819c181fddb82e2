// One JSON line per request (DESIGN.md §1 "one request, one outcome"). Never
// prompt or completion text, never keys: only the fields of AccessRecord.
#pragma once

#include <cstdint>
#include <string>

namespace hgw::obs {

struct AccessRecord {
  std::string time;        // RFC 3339 UTC with milliseconds
  std::string request_id;
  std::string method, path;
  std::string route, backend, tenant;
  unsigned status = 0;
  std::string outcome;     // success | error code | stream_error:<reason>
  int attempts = 0;
  double latency_ms = 0;
  double ttft_ms = -1;     // -1 = not a stream / no token
  std::uint64_t input_tokens = 0, output_tokens = 0, cached_tokens = 0;
  double cost_usd = 0;
  bool stream = false;
  std::string decision;    // short routing decision
};

class AccessLog {
 public:
  // path: "-" = stdout, "" or "off" = disabled, else a file opened for append.
  explicit AccessLog(const std::string& path);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  void write(const AccessRecord&);

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string error_;
};

std::string format_access_record(const AccessRecord&);
std::string utc_now_rfc3339();

}  // namespace hgw::obs
