// The progress bar on stderr: done/total units, rate, ETA. Shown when stderr
// is a terminal or --progress asks; redrawn in place at most ten times a second.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace hgw::eval {

// Pure: "[#########-----------]  45/120  37%  2.1/s  ETA 0:36" (units done in
// this run over elapsed seconds; ETA "--" until a rate is known).
std::string format_progress(std::size_t done, std::size_t total, double elapsed_seconds, std::size_t width = 24);

class Progress {
 public:
  Progress(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}
  void update(std::size_t done, std::size_t total);
  void finish(std::size_t done, std::size_t total);  // last draw and a newline

 private:
  std::ostream& out_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace hgw::eval
