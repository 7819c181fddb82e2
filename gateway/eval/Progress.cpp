#include "gateway/eval/Progress.hpp"

#include <algorithm>
#include <cstdio>

namespace hgw::eval {

std::string format_progress(std::size_t done, std::size_t total, double elapsed, std::size_t width) {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(width) + 1e-9);
  std::string bar = "[" + std::string(filled, '#') + std::string(width - std::min(filled, width), '-') + "]";
  char buf[160];
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string eta = "--";
  if (done >= total) {
    eta = "0:00";
  } else if (rate > 0) {
    const auto seconds = static_cast<long>((static_cast<double>(total - done) / rate) + 0.5);
    char e[32];
    std::snprintf(e, sizeof e, "%ld:%02ld", seconds / 60, seconds % 60);
    eta = e;
  }
  std::snprintf(buf, sizeof buf, " %zu/%zu  %3.0f%%  %.1f/s  ETA %s", done, total, fraction * 100.0, rate,
                eta.c_str());
  return bar + buf;
}

void Progress::update(std::size_t done, std::size_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // \r and clear-to-end-of-line: the line is redrawn in place.
  out_ << "\r" << format_progress(done, total, elapsed) << "\x1b[K" << std::flush;
}

void Progress::finish(std::size_t done, std::size_t total) {
  if (!enabled_) return;
  drawn_ = false;
  update(done, total);
  out_ << "\n" << std::flush;
}

}  // namespace hgw::eval
