// DetectorSet::scan (policies/compliance/DetectorSet.hpp) over the strings of
// a request. Checks: every finding lies inside its text and has one of the
// set's types; findings come text by text, and the built-in ones of a text in
// position order and without overlaps; a value with a check digit or range
// passes the public validator of its type; scanning for one type only finds
// that type.
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

void check_value(const std::string& type, std::string_view v) {
  const std::string what = type + " finding fails its validator";
  if (type == "cn_resident_id") check(cp::cn_resident_id_valid(v), what.c_str(), v);
  else if (type == "bank_card" || type == "credit_card") check(cp::luhn_valid(digits_of(v)), what.c_str(), v);
  else if (type == "cn_uscc") check(cp::cn_uscc_valid(v), what.c_str(), v);
  else if (type == "iban") check(cp::iban_valid(v), what.c_str(), v);
  else if (type == "ipv4") check(cp::ipv4_valid(v), what.c_str(), v);
  else if (type == "ipv6") check(cp::ipv6_valid(v), what.c_str(), v);
  else if (type == "us_ssn") check(cp::us_ssn_valid(v), what.c_str(), v);
  else if (type == "email") check(v.find('@') != std::string_view::npos, what.c_str(), v);
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
