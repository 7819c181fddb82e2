// scan_answer_usage (gateway/protocol/UsageScanner.hpp), the SAX reader of a
// whole answer's usage, against the document reader it replaces on the hot
// path: on every input, it must say "not a JSON object" exactly when
// parse_json_body does, and otherwise read the same counts as read_usage.
#include "gateway/protocol/UsageScanner.hpp"
#include "tests/fuzz/FuzzSupport.hpp"

#include <string>

using hgw::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = hgw::fuzz::as_text(data, size);
  const auto scanned = hgw::protocol::scan_answer_usage(in);
  const auto parsed = hgw::protocol::parse_json_body(in);
  const bool is_object = parsed.error.empty() && parsed.value.is_object();
  check(scanned.has_value() == is_object,
        is_object ? "scanner rejected a JSON object" : "scanner accepted what is not a JSON object",
        parsed.error);
  if (!is_object) return 0;
  const auto read = hgw::protocol::read_usage(parsed.value.as_object());
  const auto show = [](const hgw::protocol::TokenUsage& u) {
    return std::to_string(u.known) + " in=" + std::to_string(u.input) + " out=" + std::to_string(u.output) +
           " cached=" + std::to_string(u.cached);
  };
  check(scanned->known == read.known && scanned->input == read.input && scanned->output == read.output &&
            scanned->cached == read.cached,
        "scanner and read_usage disagree", "scanner " + show(*scanned) + ", read_usage " + show(read));
  return 0;
}
