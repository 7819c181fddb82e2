#include "gateway/observability/AuditLog.hpp"

#include "gateway/observability/AccessLog.hpp"  // utc_now_rfc3339

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hgw::obs {

namespace {

std::string errno_text(const std::string& what, int err) { return what + ": " + std::strerror(err); }

}  // namespace

std::string format_audit_record(const AuditRecord& r) {
  boost::json::object o;
  o["time"] = r.time.empty() ? utc_now_rfc3339() : r.time;
  o["request_id"] = r.request_id;
  o["tenant"] = r.tenant;
  o["data_class"] = r.data_class;
  boost::json::object detected;
  for (const auto& [type, count] : r.detected) detected[type] = count;
  o["detected"] = std::move(detected);
  boost::json::array rules;
  for (const auto& rule : r.rules_matched) rules.emplace_back(rule);
  o["rules_matched"] = std::move(rules);
  o["action"] = r.action;
  o["backend"] = r.backend;
  o["backend_locality"] = r.backend_locality;
  o["backend_region"] = r.backend_region;
  if (!r.continued.empty()) o["continued"] = r.continued;
  o["attempts"] = r.attempts;
  o["status"] = r.status;
  o["outcome"] = r.outcome;
  std::string line = boost::json::serialize(o);
  line += '\n';
  return line;
}

struct AuditLog::File {
  int fd = -1;
  explicit File(int f) : fd(f) {}
  ~File() {
    if (fd >= 0) ::close(fd);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
};

AuditLog::AuditLog(const config::AuditLogConfig& cfg) : config_(cfg) {
  if (config_.path.empty()) return;
  sync_ = config_.fsync == config::FsyncPolicy::every      ? Sync::every
          : config_.fsync == config::FsyncPolicy::interval ? Sync::interval
                                                           : Sync::none;
  if (config_.max_files == 0) config_.max_files = 1;
  if (config_.fsync_interval_ms == 0) config_.fsync_interval_ms = 1;
  std::lock_guard lock(mutex_);
  enabled_ = open_locked(&open_error_);
  if (enabled_ && sync_ == Sync::interval) syncer_ = std::thread([this] { sync_loop(); });
}

AuditLog::~AuditLog() {
  std::shared_ptr<File> file;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    file = file_;
  }
  stop_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  // What was written is on its way to the disk before the gateway exits.
  if (file && sync_ != Sync::none && dirty_) ::fdatasync(file->fd);
}

bool AuditLog::open_locked(std::string* error) {
  const int fd = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    const std::string msg = errno_text("cannot open audit log " + config_.path, errno);
    if (error) *error = msg;
    else count_error(msg);
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  file_ = std::make_shared<File>(fd);
  return true;
}

void AuditLog::count_error(std::string message) noexcept {
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  try {
    last_error_ = std::move(message);  // callers hold mutex_
  } catch (...) {
  }
}

std::string AuditLog::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

// path.<max_files> is dropped, path.i → path.i+1, path → path.1, new path.
bool AuditLog::rotate_locked() noexcept {
  try {
    const std::string& p = config_.path;
    const std::uint32_t keep = config_.max_files;
    file_.reset();  // closed once an in-flight fdatasync lets go of it
    const std::string oldest = p + "." + std::to_string(keep);
    if (::unlink(oldest.c_str()) != 0 && errno != ENOENT) count_error(errno_text("cannot remove " + oldest, errno));
    for (std::uint32_t i = keep; i-- > 1;) {
      const std::string from = p + "." + std::to_string(i), to = p + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
        count_error(errno_text("cannot rename " + from + " to " + to, errno));
    }
    const std::string first = p + ".1";
    if (::rename(p.c_str(), first.c_str()) != 0 && errno != ENOENT) {
      count_error(errno_text("cannot rename " + p + " to " + first, errno));
      // Keep appending to the same file rather than losing lines.
    }
    dirty_ = false;
    return open_locked(nullptr);
  } catch (...) {
    count_error("audit log rotation failed");
    return false;
  }
}

void AuditLog::write(const AuditRecord& record) noexcept {
  if (config_.path.empty()) return;
  std::string line;
  try {
    line = format_audit_record(record);
  } catch (...) {
    std::lock_guard lock(mutex_);
    count_error("cannot format an audit record");
    return;
  }
  std::shared_ptr<File> to_sync;
  {
    std::lock_guard lock(mutex_);
    if (file_ && size_ > 0 && size_ + line.size() > config_.max_bytes) rotate_locked();
    if (!file_) {
      // Reopen at most once a second; the lines in between are counted as lost.
      const auto now = std::chrono::steady_clock::now();
      if (now < next_open_) {
        count_error("audit log " + config_.path + " is not open");
        return;
      }
      next_open_ = now + std::chrono::seconds(1);
      if (!open_locked(nullptr)) return;  // counted
    }
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(file_->fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        count_error(errno_text("cannot write audit log " + config_.path, n < 0 ? errno : EIO));
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
      size_ += static_cast<std::uint64_t>(n);
    }
    if (left == 0) lines_.fetch_add(1, std::memory_order_relaxed);
    if (sync_ == Sync::every) to_sync = file_;
    else if (sync_ == Sync::interval) dirty_ = true;
  }
  // Outside the lock: other threads keep appending while this one waits for
  // the disk; the descriptor stays open (shared) even if a rotation happens.
  if (to_sync && ::fdatasync(to_sync->fd) != 0) {
    const int err = errno;
    std::lock_guard lock(mutex_);
    count_error(errno_text("cannot fdatasync audit log " + config_.path, err));
  }
}

void AuditLog::sync_loop() {
  const auto period = std::chrono::milliseconds(config_.fsync_interval_ms);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_ || !dirty_ || !file_) continue;
    auto file = file_;
    dirty_ = false;
    lock.unlock();
    const int rc = ::fdatasync(file->fd);
    const int err = errno;
    file.reset();
    lock.lock();
    if (rc != 0) count_error(errno_text("cannot fdatasync audit log " + config_.path, err));
  }
}

}  // namespace hgw::obs
