// Sensitive-data detectors (built-in and custom) compiled once per config and
// shared, immutable, by every request. Matching uses RE2 only (linear time),
// each built-in detector's regex is followed by a validator (check digits,
// dates, ranges, boundaries), and a cheap table-driven pre-scan runs the
// regexes only on short candidate windows (runs of ASCII word characters that
// contain digits, '@', ':' or a secret prefix) — see DetectorSet.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/Config.hpp"
#include "policies/compliance/Validators.hpp"

namespace hgw::compliance {

// A detected value: [begin, end) bytes in texts[text_index]. Never holds the value.
struct Finding {
  std::string type;
  std::uint32_t text_index = 0;
  std::size_t begin = 0, end = 0;
};

class DetectorSet {
 public:
  // Enabled = built-in names from config.detectors ("all" enables every
  // built-in) + every config.custom_detectors entry. Never throws: an unknown
  // built-in name or an invalid custom regex is reported in *error (one line
  // per problem, naming the detector) and that detector is skipped.
  static std::shared_ptr<const DetectorSet> build(const config::ComplianceConfig& config,
                                                  std::string* error = nullptr);
  // Only the named detectors (built-in names or custom detectors of `config`);
  // used for the output filter's own detector list.
  static std::shared_ptr<const DetectorSet> build(const std::vector<std::string>& builtin_names,
                                                  const std::vector<config::CustomDetectorConfig>& custom,
                                                  std::string* error = nullptr,
                                                  const config::ContextConfig& context = {});

  // Every finding in every text, ordered by text then position. Thread-safe.
  std::vector<Finding> scan(const std::vector<std::string_view>& texts) const;
  // Appends the findings in one text (overlaps resolved: the longer match wins,
  // equal spans go to the more specific type). only_types restricts the types.
  // The detectors read the text's normalised view (TextNormalizer.hpp:
  // full-width forms, invisible characters, separators) and report spans of
  // the original text. Returns false when the text is not valid UTF-8 (its
  // raw bytes were scanned; the caller must not trust the scan as complete).
  bool scan_one(std::string_view text, std::uint32_t index, std::vector<Finding>& out,
                const std::vector<std::string>* only_types = nullptr) const;

  const std::vector<std::string>& types() const { return types_; }
  bool empty() const { return types_.empty(); }

  ~DetectorSet();
  DetectorSet(const DetectorSet&) = delete;
  DetectorSet& operator=(const DetectorSet&) = delete;

  struct Impl;

 private:
  DetectorSet();
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> types_;
};

// email, phone, cn_mobile, cn_resident_id, bank_card, credit_card, cn_uscc,
// cn_passport, us_ssn, iban, ipv4, ipv6, secrets. What each accepts:
//  email          local@domain.tld; local part <= 64 bytes, no "..", labels not
//                 starting/ending with '-'.
//  phone          E.164: '+', 8..15 digits, single spaces/dashes between digits; not
//                 glued to letters/digits, not continued by more digits.
//  cn_mobile      1[3-9]X XXXX XXXX (no separators, or 3-4-4 with the same space/dash),
//                 optional +86 / 0086 / 86 prefix; never inside a run of letters/digits
//                 or a longer grouped number.
//  cn_resident_id 18 chars (GB/T 2260 province 11-15,21-23,31-37,41-46,50-54,61-65,71,
//                 81,82 — 83 (Taiwan residence permits) is not in GB/T 2260 and is not
//                 accepted), real birth date 1900..this year, MOD 11-2 check (X/x), or
//                 the legacy 15-digit form with a real 19yymmdd date.
//  bank_card      UnionPay 62…, 16..19 digits, Luhn; groups of >= 3 digits with one
//                 kind of separator.
//  credit_card    Visa (13/16/19), Mastercard 51-55 / 2221-2720 (16), Amex 34/37 (15),
//                 Discover 6011/644-649/65 (16-19), JCB 3528-3589 (16-19); Luhn.
//  cn_uscc        18 chars over 0-9A-HJ-NPQRTUWXY, authority/type pair from GB 32100
//                 table, province code, MOD 31 check character (uppercase only).
//  cn_passport    E/G + 8 digits, or E + letter (not I/O) + 7 digits, as a whole token.
//                 No keyword is required (the shape is specific enough as a token).
//  us_ssn         AAA-GG-SSSS or AAA GG SSSS (same separator twice); area not 000, 666,
//                 900-999, group not 00, serial not 0000; 9 bare digits only when
//                 "SSN" / "social security" / "SS#" occurs within 40 bytes before.
//  iban           country table length (70 countries), mod 97 == 1, optional single
//                 spaces (groups of 4); uppercase.
//  ipv4           dotted quad, octets 0-255 without leading zeros, not inside a
//                 longer dotted number (1.2.3.4.5) nor glued to letters.
//  ipv6           full/compressed/IPv4-suffixed forms (inet_pton), >= 4 hex digits
//                 or "::1" (so "a::b" in C++ is not an address).
//  secrets        sk-… / sk-ant-… / sk-proj-… (>= 20 key chars with letters and
//                 digits), AKIA/ASIA + 16, ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_…,
//                 JWTs (eyJ….eyJ….sig), PEM "-----BEGIN … PRIVATE KEY-----" through
//                 its END line (or the end of the text when truncated).
const std::vector<std::string>& builtin_detector_names();
bool is_builtin_detector(std::string_view name);

// Built-in detectors whose matches context words may lower: those without a
// check digit (phone, cn_mobile, ipv4, ipv6, cn_passport). Validated types
// (resident ID, USCC, cards, IBAN, …) are never lowered.
bool takes_context_words(std::string_view builtin_name);
// The built-in context words (Chinese and English) of those detectors.
const std::map<std::string, config::ContextWordsConfig>& default_context_words();

}  // namespace hgw::compliance
