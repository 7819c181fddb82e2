#include "gateway/observability/AccessLog.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace hgw::obs {

AccessLog::AccessLog(const std::string& path) {
  if (path.empty() || path == "off") return;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) error_ = "cannot open access log " + path + ": " + std::strerror(errno);
  owns_fd_ = fd_ >= 0;
}

AccessLog::~AccessLog() {
  if (owns_fd_) ::close(fd_);
}

std::string utc_now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

std::string format_access_record(const AccessRecord& r) {
  boost::json::object o;
  o["time"] = r.time;
  o["request_id"] = r.request_id;
  o["method"] = r.method;
  o["path"] = r.path;
  o["route"] = r.route;
  o["backend"] = r.backend;
  o["tenant"] = r.tenant;
  o["status"] = r.status;
  o["outcome"] = r.outcome;
  o["attempts"] = r.attempts;
  o["latency_ms"] = std::round(r.latency_ms * 1000) / 1000;
  if (r.ttft_ms >= 0) o["ttft_ms"] = std::round(r.ttft_ms * 1000) / 1000;
  o["stream"] = r.stream;
  o["input_tokens"] = r.input_tokens;
  o["output_tokens"] = r.output_tokens;
  o["cached_tokens"] = r.cached_tokens;
  o["cost_usd"] = r.cost_usd;
  if (!r.decision.empty()) o["decision"] = r.decision;
  std::string line = boost::json::serialize(o);
  line += '\n';
  return line;
}

void AccessLog::write(const AccessRecord& record) {
  if (fd_ < 0) return;
  const std::string line = format_access_record(record);
  // One write(2) per line: lines from several io threads never interleave.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not take the gateway down
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace hgw::obs
