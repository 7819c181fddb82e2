// Filter over a model's answer (streamed or not): configured terms (keyword
// list, case-insensitive, any script) and detectors. Action "mask" replaces
// matches ("[REDACTED]" for terms, "[REDACTED:EMAIL]" for detector types);
// action "stop" reports that the stream must end (SSE error / error response)
// and returns the text before the match. Works across chunk boundaries while
// holding back only a bounded tail (longest term, or 64 bytes when detectors
// are on; a PEM block is held until its END line) and never splits a UTF-8
// character.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/Config.hpp"
#include "policies/compliance/DetectorSet.hpp"

namespace re2 {
class RE2;
}

namespace hgw::compliance {

// Compiled once per config, shared by every request's OutputFilter.
struct OutputFilterSpec {
  std::shared_ptr<const DetectorSet> detectors;  // may be null
  std::shared_ptr<const re2::RE2> terms;         // null when no terms
  std::size_t max_term_bytes = 0;
  bool stop = false;                             // action stop (else mask)

  static std::shared_ptr<const OutputFilterSpec> build(std::shared_ptr<const DetectorSet> detectors,
                                                       const std::vector<std::string>& terms,
                                                       const std::string& action,
                                                       std::string* error = nullptr);
  // From compliance.output_filter (detectors: built-in or custom names).
  static std::shared_ptr<const OutputFilterSpec> build(const config::ComplianceConfig& config,
                                                       std::string* error = nullptr);
};

class OutputFilter {
 public:
  OutputFilter(std::shared_ptr<const DetectorSet> detectors_for_output, std::vector<std::string> terms,
               std::string action);
  explicit OutputFilter(std::shared_ptr<const OutputFilterSpec> spec);

  struct Result {
    std::string text;        // safe to emit now
    bool stop = false;       // the stream must be stopped (text = what precedes the match)
    std::string stopped_by;  // detector type, or "term"
  };
  Result feed(std::string_view chunk);
  Result flush();
  std::size_t matches() const { return matches_; }

  static constexpr std::size_t kDetectorHoldBack = 64;
  static constexpr std::size_t kContext = 32;

 private:
  Result process(bool final);
  std::shared_ptr<const OutputFilterSpec> spec_;
  std::string buf_;      // [0, ctx_) = already emitted context, then pending text
  std::size_t ctx_ = 0;
  bool stopped_ = false;
  std::string stopped_by_;
  std::size_t matches_ = 0;
};

}  // namespace hgw::compliance
