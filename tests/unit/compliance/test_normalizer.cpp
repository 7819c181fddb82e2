// The detectors' normalised view: each evasion form people type or paste
// reads as the plain form, and every span maps back to the original bytes.
#include <catch2/catch.hpp>

#include "policies/compliance/TextNormalizer.hpp"

using hgw::compliance::normalized_code_point;
using hgw::compliance::NormalizedText;

namespace {

std::string view_of(const std::string& s) {
  NormalizedText v;
  REQUIRE(v.assign(s));
  return std::string(v.text());
}

// The original text of the view's span [b, e).
std::string original_span(const std::string& s, std::size_t b, std::size_t e) {
  NormalizedText v;
  v.assign(s);
  const auto ob = v.original_begin(b), oe = v.original_end(e);
  REQUIRE(ob <= oe);
  REQUIRE(oe <= s.size());
  return s.substr(ob, oe - ob);
}

}  // namespace

TEST_CASE("normaliser: plain ASCII and CJK prose are their own view", "[compliance][normalize]") {
  NormalizedText v;
  const std::string ascii = "call 138 1234 5678 or mail a@b.io\tnow\n";
  REQUIRE(v.assign(ascii));
  CHECK(v.identity());
  CHECK(v.text().data() == ascii.data());  // no copy
  const std::string zh = "请根据以下客户反馈整理一份摘要，重点说明问题。";
  REQUIRE(v.assign(zh));
  CHECK(v.identity());  // the full-width comma carries nothing a detector reads
  CHECK(v.original_begin(3) == 3);
  CHECK(v.original_end(6) == 6);
}

TEST_CASE("normaliser: each evasion form reads as the plain form", "[compliance][normalize]") {
  CHECK(view_of("１１０１０１１９９００３０７４５１４") == "110101199003074514");          // full-width digits
  CHECK(view_of("1101\xE2\x80\x8B" "01199003074514") == "110101199003074514");          // zero-width space
  CHECK(view_of("1101\xE2\x81\xA0" "01\xEF\xBB\xBF" "199003074514") == "110101199003074514");  // word joiner, BOM
  CHECK(view_of("13\xC2\xAD" "812345678") == "13812345678");                            // soft hyphen
  CHECK(view_of("138\xC2\xA0" "1234\xC2\xA0" "5678") == "138 1234 5678");               // NBSP
  CHECK(view_of("138\xE3\x80\x80" "1234\xE3\x80\x80" "5678") == "138 1234 5678");       // ideographic space
  CHECK(view_of("138\xE2\x80\x93" "1234\xE2\x80\x94" "5678") == "138-1234-5678");       // en and em dash
  CHECK(view_of("138\xEF\xBC\x8D" "1234\xE2\x88\x92" "5678") == "138-1234-5678");       // full-width hyphen, minus
  CHECK(view_of("\xD9\xA1\xD9\xA3\xD9\xA8") == "138");                                  // Arabic-Indic digits
  CHECK(view_of("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "zhang@example.com");             // full-width letters
  CHECK(view_of("11010519491231002\xD0\xA5") == "11010519491231002X");                  // Cyrillic Х
  CHECK(view_of("a\x01" "b\x7f" "c") == "abc");                                         // control characters
  CHECK(view_of("𝟏𝟑𝟖") == "138");                                                        // mathematical digits
  CHECK(view_of("1\xF3\xA0\x80\xB1" "3") == "13");                                      // a tag character
  CHECK(view_of("电话：１３８") == "电话：138");  // the full-width colon carries nothing a detector reads
}

TEST_CASE("normaliser: spans map back to the original, separators and all", "[compliance][normalize]") {
  const std::string fw = "ID １１０１０１ then";  // full-width digits: 3 bytes each
  NormalizedText v;
  REQUIRE(v.assign(fw));
  REQUIRE(v.text() == "ID 110101 then");
  CHECK(original_span(fw, 3, 9) == "１１０１０１");
  CHECK(original_span(fw, 4, 6) == "１０");
  CHECK(original_span(fw, 9, 14) == " then");

  const std::string zw = "x1\xE2\x80\x8B" "2y";  // x 1 ZWSP 2 y
  REQUIRE(v.assign(zw));
  REQUIRE(v.text() == "x12y");
  CHECK(original_span(zw, 1, 3) == "1\xE2\x80\x8B" "2");  // the invisible character inside is masked too
  CHECK(original_span(zw, 2, 3) == "2");                   // ... but not one before the span
  CHECK(original_span(zw, 1, 2) == "1");                   // ... nor after it
  CHECK(original_span(zw, 0, 4) == zw);
}

TEST_CASE("normaliser: invalid UTF-8 is reported and still scanned raw", "[compliance][normalize]") {
  NormalizedText v;
  const std::string bad = "138\xFF" "12345678";
  CHECK_FALSE(v.assign(bad));
  CHECK(v.text() == bad);
  const std::string truncated = "id \xE4\xB8";  // a character cut in the middle
  CHECK_FALSE(v.assign(truncated));
}

TEST_CASE("normaliser: single characters", "[compliance][normalize]") {
  CHECK(normalized_code_point(U'５') == "5");
  CHECK(normalized_code_point(U'\u200B').empty());
  CHECK(normalized_code_point(U'中') == "中");
  CHECK(normalized_code_point(U'，') == "，");  // NFKC ',' is nothing a detector reads: kept
  CHECK(normalized_code_point(U'＠') == "@");
}
