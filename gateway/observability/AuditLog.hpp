// The compliance audit log (compliance issue, "Audit log"): one JSON line per
// request that reached the compliance stage — who, which data class, which
// detected types (counts only), which rules, which action, where it went.
// Never a detected value, never prompt or answer text: AuditRecord has no field
// that could hold one.
//
// Append-only file with an fsync policy and rotation by size. Thread-safe:
// several io threads write; the line is formatted before the lock, the lock
// covers only write(2) (+ rotation when due). Never throws on the data path:
// I/O errors are counted (write_errors()) and the gateway keeps serving.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/Config.hpp"

namespace hgw::obs {

struct AuditRecord {
  std::string time;                 // RFC 3339 UTC; empty = now (filled when formatted)
  std::string request_id, tenant, data_class, action;
  std::string backend, backend_locality, backend_region;  // the backend that answered / was tried last
  std::string outcome;              // success | error code | stream_error:<reason>
  std::map<std::string, int> detected;      // detector type -> count (never values)
  std::vector<std::string> rules_matched;   // compliance rule names
  std::string continued;  // mid-stream continuations, "from>to:reason,…" (backends that also got the data)
  int attempts = 0;
  unsigned status = 0;
};

// The JSON line (with its '\n') for a record.
std::string format_audit_record(const AuditRecord&);

class AuditLog {
 public:
  // Opens config.path for append (the directory must exist: it is not
  // created; a failure is reported by open_error()). path "" = disabled.
  // fsync: "none" (leave it to the OS), "every" (fdatasync after each line),
  // "interval" (a background thread fdatasyncs at most every
  // fsync_interval_ms, only when lines were written since the last sync).
  // Rotation: when a line would take the file beyond max_bytes, path.N-1 →
  // path.N, …, path → path.1, and a new path is opened; at most max_files
  // rotated files (path.1 … path.<max_files>) are kept, older ones deleted.
  explicit AuditLog(const config::AuditLogConfig&);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Configured (path not empty) and the file could be opened.
  bool enabled() const { return enabled_; }
  const std::string& open_error() const { return open_error_; }
  const config::AuditLogConfig& config() const { return config_; }

  void write(const AuditRecord&) noexcept;

  // Failed writes, fsyncs, rotations and reopens since start.
  std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  std::string last_error() const;
  std::uint64_t lines_written() const { return lines_.load(std::memory_order_relaxed); }

 private:
  struct File;  // an open descriptor, closed when the last user lets go
  enum class Sync { none, every, interval };

  void count_error(std::string message) noexcept;
  bool rotate_locked() noexcept;         // with mutex_ held
  bool open_locked(std::string* error);  // with mutex_ held
  void sync_loop();

  config::AuditLogConfig config_;
  Sync sync_ = Sync::none;
  bool enabled_ = false;
  std::string open_error_;

  mutable std::mutex mutex_;  // file_, size_, dirty_, last_error_
  std::shared_ptr<File> file_;
  std::uint64_t size_ = 0;
  bool dirty_ = false;        // written since the last fdatasync (interval mode)
  std::chrono::steady_clock::time_point next_open_{};  // reopen attempts after a failure
  std::string last_error_;

  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<std::uint64_t> lines_{0};

  // interval mode
  std::condition_variable stop_cv_;
  bool stopping_ = false;     // guarded by mutex_
  std::thread syncer_;
};

}  // namespace hgw::obs
