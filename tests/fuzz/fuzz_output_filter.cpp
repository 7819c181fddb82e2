// OutputFilter (policies/compliance/OutputFilter.hpp) over a streamed answer,
// in mask and in stop mode, fed in chunks as the gateway relays it. Checks:
// in mask mode no configured term survives in what the client reads, and no
// short detected value leaks because of where the chunks were cut (values
// longer than the filter's hold-back are out of its documented reach); in
// stop mode, nothing emitted holds a term and a term in the answer stops it;
// a valid UTF-8 answer is never cut inside a character. A filter with terms
// only (no detectors) is run too: it holds back the least.
#include "policies/compliance/OutputFilter.hpp"
#include "tests/fuzz/CompliancePolicy.hpp"

#include <re2/re2.h>

#include <set>
#include <string>

namespace cp = hgw::compliance;
using hgw::fuzz::check;

namespace {

const std::vector<std::string> kTerms = {"project falcon", "机密项目", "internal only"};

std::shared_ptr<const cp::DetectorSet> output_detectors() {
  static const auto set = [] {
    std::string error;
    auto s = cp::DetectorSet::build({"email", "cn_mobile", "cn_resident_id", "credit_card", "secrets"}, {}, &error);
    check(error.empty(), "output detectors do not build", error);
    return s;
  }();
  return set;
}

// Short code names, and no detectors: the filter then holds back only as
// many bytes as the longest term has.
const std::vector<std::string> kCodeNames = {"kestrel", "osprey"};

std::shared_ptr<const cp::OutputFilterSpec> spec(const std::string& action, bool with_detectors = true) {
  std::string error;
  auto s = cp::OutputFilterSpec::build(with_detectors ? output_detectors() : nullptr,
                                       with_detectors ? kTerms : kCodeNames, action, &error);
  check(error.empty(), "output filter does not build", error);
  return s;
}

bool has_term(std::string_view text) {
  static const re2::RE2 terms("(?i)(?:project falcon|机密项目|internal only)");
  return re2::RE2::PartialMatch(text, terms);
}

bool has_code_name(std::string_view text) {
  static const re2::RE2 names("(?i)(?:kestrel|osprey)");
  return re2::RE2::PartialMatch(text, names);
}

// Values (of at most `max_len` bytes) the output detectors find in text.
std::set<std::string> short_values(std::string_view text, std::size_t max_len) {
  std::set<std::string> out;
  std::vector<cp::Finding> f;
  output_detectors()->scan_one(text, 0, f);
  for (const auto& x : f)
    if (x.end - x.begin <= max_len) out.emplace(text.substr(x.begin, x.end - x.begin));
  return out;
}

struct Run {
  std::string text;
  bool stopped = false;
};

Run filter(const std::shared_ptr<const cp::OutputFilterSpec>& s, std::string_view answer, bool chunked,
           bool utf8) {
  cp::OutputFilter f(s);
  Run run;
  auto take = [&](const cp::OutputFilter::Result& r) {
    if (utf8) check(hgw::fuzz::valid_utf8(r.text), "output filter cut a UTF-8 character", r.text);
    if (!run.stopped) run.text += r.text;
    run.stopped |= r.stop;
  };
  if (chunked) {
    for (auto c : hgw::fuzz::chunks(answer)) take(f.feed(c));
  } else {
    take(f.feed(answer));
  }
  take(f.flush());
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto mask = spec("mask"), stop = spec("stop"), names = spec("mask", false);
  const std::string_view in = hgw::fuzz::as_text(data, size);
  const bool utf8 = hgw::fuzz::valid_utf8(in);

  const Run whole = filter(mask, in, false, utf8), parts = filter(mask, in, true, utf8);
  check(!whole.stopped && !parts.stopped, "mask mode stopped the stream");
  // Even in invalid UTF-8 (a stray continuation byte right after a match once
  // moved the cut back into the match, whose start then leaked).
  check(!has_term(whole.text), "a term survived masking (one chunk)", whole.text);
  check(!has_term(parts.text), "a term survived masking (chunked)", parts.text);
  // What follows holds for valid UTF-8, as the gateway feeds it (text decoded from JSON).
  if (!utf8) return 0;
  // Masking can make new neighbours of text around a [REDACTED…] mark; what
  // is only found in the chunked output leaked through a chunk boundary.
  constexpr std::size_t kShort = cp::OutputFilter::kContext;
  const auto seen_whole = short_values(whole.text, kShort);
  for (const auto& v : short_values(parts.text, kShort))
    check(seen_whole.count(v) != 0, "a detected value leaked through a chunk boundary",
          "'" + v + "' in: " + parts.text);

  // Case-insensitive matching is Unicode's: a match may have more bytes than
  // its term ("Keſtrel"); chunked, it must still be masked.
  const Run named = filter(names, in, true, utf8);
  check(!has_code_name(named.text), "a code name survived masking (terms only, chunked)", named.text);

  const Run stopped = filter(stop, in, true, utf8);
  check(!has_term(stopped.text), "stop mode emitted a term", stopped.text);
  if (has_term(in)) check(stopped.stopped, "stop mode let an answer with a term through");
  return 0;
}
