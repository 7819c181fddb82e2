// DetectorSet::scan (policies/compliance/DetectorSet.hpp) over the strings of
// a request. Checks: every finding lies inside its text and has one of the
// set's types; findings come text by text, and the built-in ones of a text in
// position order and without overlaps; a value with a check digit or range
// passes the public validator of its type; scanning for one type only finds
// that type.
#include "policies/compliance/TextNormalizer.hpp"
#include "policies/compliance/Validators.hpp"
#include "tests/fuzz/CompliancePolicy.hpp"

#include <algorithm>
#include <string>

namespace cp = hgw::compliance;
using hgw::fuzz::check;

namespace {

bool is_custom(const std::string& type) { return type == "project_codename" || type == "employee_id"; }

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d += c;
  return d;
}

void check_value(const std::string& type, std::string_view original) {
  const std::string what = type + " finding fails its validator";
  // Detectors read the normalised view (full-width digits, invisible and
  // control characters removed): validators get the value as they saw it.
  // A finding is reported on whole original characters, so where one
  // character became several (NFKC: "ǅ" → "Dž") the span may take in a few
  // normalised bytes the match did not: up to 3 at either end may go.
  cp::NormalizedText view;
  view.assign(original);
  const std::string_view v = view.text();
  auto holds = [&](auto&& valid) {
    if (valid(v)) return true;
    if (view.identity()) return false;
    for (std::size_t a = 0; a <= 3 && a < v.size(); ++a)
      for (std::size_t b = 0; b <= 3 && a + b < v.size(); ++b)
        if (valid(v.substr(a, v.size() - a - b))) return true;
    return false;
  };
  bool ok = true;
  if (type == "cn_resident_id") {
    // An ID may be written in 6-8-4 groups (spaces, dashes, dots between them).
    ok = holds([](std::string_view s) {
      std::string id;
      for (char c : s)
        if ((c >= '0' && c <= '9') || c == 'X' || c == 'x') id += c;
      return cp::cn_resident_id_valid(id);
    });
  } else if (type == "bank_card" || type == "credit_card") {
    ok = holds([](std::string_view s) { return cp::luhn_valid(digits_of(s)); });
  } else if (type == "cn_uscc") {
    ok = holds([](std::string_view s) { return cp::cn_uscc_valid(s); });
  } else if (type == "iban") {
    ok = holds([](std::string_view s) { return cp::iban_valid(s); });
  } else if (type == "ipv4") {
    ok = holds([](std::string_view s) { return cp::ipv4_valid(s); });
  } else if (type == "ipv6") {
    ok = holds([](std::string_view s) { return cp::ipv6_valid(s); });
  } else if (type == "us_ssn") {
    ok = holds([](std::string_view s) { return cp::us_ssn_valid(s); });
  } else if (type == "email") {
    ok = v.find('@') != std::string_view::npos;
  }
  check(ok, what.c_str(), original);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& set = hgw::fuzz::detector_set();
  const auto texts = hgw::fuzz::texts_of(hgw::fuzz::as_text(data, size));
  const std::vector<cp::Finding> findings = set.scan(texts);

  std::uint32_t text = 0;
  std::size_t last_end = 0, last_begin = 0;
  for (const auto& f : findings) {
    check(f.text_index < texts.size(), "finding in a text that does not exist");
    check(f.begin < f.end && f.end <= texts[f.text_index].size(), "finding outside its text");
    check(std::find(set.types().begin(), set.types().end(), f.type) != set.types().end(),
          "finding of a type the set does not have", f.type);
    check(f.text_index >= text, "findings not ordered by text");
    if (f.text_index != text) last_end = last_begin = 0;
    text = f.text_index;
    check(f.begin >= last_begin, "findings of a text not in position order", f.type);
    last_begin = f.begin;
    if (!is_custom(f.type)) {
      check(f.begin >= last_end, "built-in findings of a text overlap", f.type);
      last_end = f.end;
    }
    check_value(f.type, texts[f.text_index].substr(f.begin, f.end - f.begin));
  }

  // Restricted to one type (the output filter's own detector lists do this).
  for (const std::string type : {"email", "cn_mobile", "secrets", "employee_id"}) {
    const std::vector<std::string> only{type};
    for (std::uint32_t i = 0; i < texts.size(); ++i) {
      std::vector<cp::Finding> one;
      set.scan_one(texts[i], i, one, &only);
      for (const auto& f : one) check(f.type == type && f.text_index == i, "only_types not respected", f.type);
    }
  }
  return 0;
}
