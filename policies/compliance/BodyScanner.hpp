// Compliance reads what the backend will receive: every text of the request
// body, at any depth, whatever the endpoint and whatever the field — message
// contents, `user`, `metadata`, `stop`, JSON-schema descriptions, unknown and
// future fields, object keys — because the gateway forwards all of them.
//
// The texts, in one fixed walk order (their ordinals are Finding::text_index):
//  - every object key, then its value;
//  - every string; a string that holds a JSON object or array (tool-call
//    arguments, tool results serialised by an application) is read as that
//    JSON instead, so that its escapes (\u0031…) are decoded and its keys and
//    strings are texts of their own;
//  - every integer of 7 digits or more, as its decimal text (a card or phone
//    number sent as a JSON number);
// each read through the detectors' normalised view (TextNormalizer.hpp).
//
// Fail closed: when the body cannot be scanned completely — its texts exceed
// the scan budget, a text is not valid UTF-8, or the scanner fails — the scan
// says so and the request is treated as the highest class.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "policies/compliance/DetectorSet.hpp"
#include "policies/compliance/Redactor.hpp"

namespace hgw::compliance {

struct BodyScan {
  std::vector<Finding> findings;  // text_index = the text's ordinal in the walk
  std::string failure;            // non-empty: not scanned completely, and why
  std::uint64_t bytes = 0;        // bytes of text scanned
  std::uint32_t texts = 0;
  bool complete() const { return failure.empty(); }
};

// Never throws.
BodyScan scan_body(const DetectorSet& detectors, const boost::json::value& body, std::uint64_t max_bytes);

// Replaces, in `copy` (an unchanged copy of the scanned body), every finding of
// `types` with its placeholder: in strings, in keys, inside JSON held in a
// string (which is then re-serialised), and integers (which become the
// placeholder string). Returns the number of texts changed.
std::size_t redact_body(boost::json::value& copy, const std::vector<Finding>& findings,
                        const std::vector<std::string>& types, Redactor& redactor);

}  // namespace hgw::compliance
