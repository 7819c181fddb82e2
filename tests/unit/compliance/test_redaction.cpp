#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "policies/compliance/OutputFilter.hpp"
#include "policies/compliance/Redactor.hpp"
#include "policies/compliance/BodyScanner.hpp"
#include "test_helpers.hpp"

using namespace hgw::compliance;
using namespace hgw::compliance::test;

TEST_CASE("redactor: typed placeholders, same value same placeholder", "[compliance][redact]") {
  std::vector<std::string> texts = {"邮箱 a@b.io 和 c@d.io，再说一次 a@b.io",
                                    "身份证110101199003074514 mail a@b.io"};
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto findings = all_builtins()->scan(views);
  Redactor r;
  r.redact(texts, findings, {"email", "cn_resident_id"});
  CHECK(texts[0] == "邮箱 [EMAIL_1] 和 [EMAIL_2]，再说一次 [EMAIL_1]");
  CHECK(texts[1] == "身份证[CN_RESIDENT_ID_1] mail [EMAIL_1]");
  CHECK(r.count() == 5);
  using M = std::vector<std::pair<std::string, std::string>>;
  CHECK(r.mapping() == M{{"[EMAIL_1]", "a@b.io"}, {"[EMAIL_2]", "c@d.io"},
                         {"[CN_RESIDENT_ID_1]", "110101199003074514"}});
  CHECK(placeholder_prefix("project-代号") == "PROJECT_");
}

TEST_CASE("redactor: overlapping findings become one placeholder over their union", "[compliance][redact]") {
  // Found by fuzz_redactor: a keyword glued to an e-mail address replaced only
  // the keyword, and the rest of the address went out as it was.
  hgw::config::ComplianceConfig c;
  c.detectors = {"email"};
  hgw::config::CustomDetectorConfig kw;
  kw.name = "project_codename";
  kw.keywords = {"Project Falcon"};
  c.custom_detectors = {kw};
  auto set = DetectorSet::build(c);
  std::vector<std::string> texts = {"see Project Falcondoe+news@mail.co.uk today"};
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto findings = set->scan(views);
  REQUIRE(findings.size() == 2);
  Redactor r;
  r.redact(texts, findings, set->types());
  CHECK(texts[0] == "see [PROJECT_CODENAME_1] today");
  using M = std::vector<std::pair<std::string, std::string>>;
  CHECK(r.mapping() == M{{"[PROJECT_CODENAME_1]", "Project Falcondoe+news@mail.co.uk"}});
  PlaceholderRestorer back(r.mapping());
  std::string restored = back.feed(texts[0]);
  restored += back.flush();
  CHECK(restored == "see Project Falcondoe+news@mail.co.uk today");
}

TEST_CASE("redactor on a parsed body, only the requested types", "[compliance][redact]") {
  auto body = boost::json::parse(
      R"({"model":"m","messages":[{"role":"user","content":"call 13812345678 or mail x@y.cn"}]})");
  auto scan = scan_body(*all_builtins(), body, 1 << 20);
  REQUIRE(scan.complete());
  Redactor r;
  CHECK(redact_body(body, scan.findings, {"cn_mobile"}, r) == 1);
  CHECK(boost::json::serialize(body) ==
        R"({"model":"m","messages":[{"role":"user","content":"call [CN_MOBILE_1] or mail x@y.cn"}]})");
}

TEST_CASE("restorer: placeholders split at every chunk boundary", "[compliance][redact]") {
  std::vector<std::pair<std::string, std::string>> mapping = {
      {"[EMAIL_1]", "a@b.io"}, {"[CN_RESIDENT_ID_1]", "110101199003074514"}, {"[EMAIL_12]", "z@z.io"}};
  const std::string answer = "Hi [EMAIL_1], your id [CN_RESIDENT_ID_1] and [EMAIL_12] [x] [EMAIL_3] 中文[EMAIL_1]";
  const std::string expected = "Hi a@b.io, your id 110101199003074514 and z@z.io [x] [EMAIL_3] 中文a@b.io";
  {
    PlaceholderRestorer whole(mapping);
    CHECK(whole.feed(answer) + whole.flush() == expected);
  }
  for (std::size_t i = 0; i <= answer.size(); ++i) {
    for (std::size_t j = i; j <= answer.size(); j += 3) {
      PlaceholderRestorer r(mapping);
      std::string out = r.feed(answer.substr(0, i));
      out += r.feed(answer.substr(i, j - i));
      out += r.feed(answer.substr(j));
      out += r.flush();
      REQUIRE(out == expected);
    }
  }
  // Byte by byte, and the hold-back is bounded: text without '[' is never held.
  PlaceholderRestorer r(mapping);
  std::string out;
  for (char c : answer) out += r.feed(std::string_view(&c, 1));
  out += r.flush();
  CHECK(out == expected);
  PlaceholderRestorer r2(mapping);
  CHECK(r2.feed("plain text ") == "plain text ");
  CHECK(r2.feed("and [EMA") == "and ");
  CHECK(r2.feed("IL_1] done") == "a@b.io done");
  CHECK(r2.feed(" [EMAIL_1 not closed") == " [EMAIL_1 not closed");  // cannot be a placeholder any more
  CHECK(r2.feed(" [CN_") == " ");
  CHECK(r2.flush() == "[CN_");
}

TEST_CASE("output filter: mask terms and detectors across chunk boundaries", "[compliance][output]") {
  hgw::config::ComplianceConfig c;
  c.detectors = {"email", "cn_mobile"};
  auto det = DetectorSet::build(c);
  const std::string answer = "联系 zhang@example.com 或 13812345678。机密项目：天穹计划，Secret Plan ok";
  const std::string expected =
      "联系 [REDACTED:EMAIL] 或 [REDACTED:CN_MOBILE]。机密项目：[REDACTED]，[REDACTED] ok";
  for (std::size_t i = 0; i <= answer.size(); ++i) {
    OutputFilter f(det, {"天穹计划", "secret plan"}, "mask");
    std::string out;
    auto a = f.feed(answer.substr(0, i));
    auto b = f.feed(answer.substr(i));
    auto e = f.flush();
    out = a.text + b.text + e.text;
    CHECK_FALSE(a.stop);
    REQUIRE(out == expected);
  }
  OutputFilter f(det, {"天穹计划"}, "mask");
  std::string out;
  for (char ch : answer) out += f.feed(std::string_view(&ch, 1)).text;
  out += f.flush().text;
  CHECK(out == "联系 [REDACTED:EMAIL] 或 [REDACTED:CN_MOBILE]。机密项目：[REDACTED]，Secret Plan ok");
  CHECK(f.matches() == 3);
}

TEST_CASE("output filter: hold-back is bounded and never splits UTF-8", "[compliance][output]") {
  auto det = all_builtins();
  OutputFilter f(det, {"abc"}, "mask");
  std::string big(1000, 'x');
  auto r = f.feed(big);
  CHECK(r.text.size() >= 1000 - OutputFilter::kDetectorHoldBack);
  std::string zh;
  for (int i = 0; i < 100; ++i) zh += "中";
  auto r2 = f.feed(zh);
  std::string all = r.text + r2.text;
  std::string rest = f.flush().text;
  CHECK(all + rest == big + zh);
  // Every emitted piece of the Chinese part is whole characters.
  std::size_t xs = std::min<std::size_t>(all.size(), 1000);
  CHECK((all.size() - xs) % 3 == 0);
}

TEST_CASE("output filter: a stray continuation byte after a match does not pull the cut into it",
          "[compliance][output]") {
  // Found by fuzz_output_filter: the UTF-8 back-off ran after the loop that
  // keeps the cut out of matches, so the start of a secret was emitted.
  const std::string secret = "sk-proj-AbCdEf1234567890GhIj";
  for (std::size_t tail = 0; tail < OutputFilter::kDetectorHoldBack + 8; ++tail) {
    INFO("tail " << tail);
    OutputFilter f(all_builtins(), {}, "mask");
    const std::string text = std::string(300, 'x') + " " + secret + "\xab" + std::string(tail, 'y');
    std::string out = f.feed(text).text;
    out += f.flush().text;
    CHECK(out.find("sk-proj") == std::string::npos);
    CHECK(out.find("[REDACTED:SECRETS]") != std::string::npos);
  }
}

TEST_CASE("output filter: stop across chunks reports the type", "[compliance][output]") {
  hgw::config::ComplianceConfig c;
  c.detectors = {"secrets"};
  auto det = DetectorSet::build(c);
  const std::string answer = "Here is the key: sk-proj-AbCdEf1234567890GhIjKlMn and more text";
  for (std::size_t i = 0; i <= answer.size(); i += 5) {
    OutputFilter f(det, {}, "stop");
    auto a = f.feed(answer.substr(0, i));
    auto b = a.stop ? a : f.feed(answer.substr(i));
    auto e = (a.stop || b.stop) ? b : f.flush();
    std::string out = a.text + (a.stop ? "" : b.text) + (a.stop || b.stop ? "" : e.text);
    REQUIRE((a.stop || b.stop || e.stop));
    CHECK(out == "Here is the key: ");
    CHECK((a.stop ? a : b.stop ? b : e).stopped_by == "secrets");
    CHECK(f.feed("more").stop);
  }
  OutputFilter t(nullptr, {"forbidden"}, "stop");
  auto r1 = t.feed("this is forb");
  CHECK_FALSE(r1.stop);
  auto r2 = t.feed("idden text and a long tail that pushes the match out of the hold-back window");
  CHECK(r2.stop);
  CHECK(r2.stopped_by == "term");
  CHECK(r1.text + r2.text == "this is ");
}

TEST_CASE("restorer: many '[' without placeholders is linear and untouched", "[compliance][redact]") {
  PlaceholderRestorer r(std::vector<std::pair<std::string, std::string>>{{"[EMAIL_1]", "a@b.io"}});
  std::string s(1 << 20, '[');
  std::string out = r.feed(s);
  out += r.flush();
  CHECK(out == s);
}

TEST_CASE("restorer and output filter read the normalised view", "[compliance][redact][normalize]") {
  // A model that writes a placeholder with full-width brackets or a zero-width
  // space still has it restored, wherever the chunks split.
  const std::vector<std::pair<std::string, std::string>> mapping = {{"[EMAIL_1]", "a@b.io"}};
  const std::string answer = "Hi ［EMAIL_1］ and [EMAIL\xE2\x80\x8B_1] bye";
  for (std::size_t i = 0; i <= answer.size(); ++i) {
    PlaceholderRestorer r(mapping);
    std::string out = r.feed(answer.substr(0, i));
    out += r.feed(answer.substr(i));
    out += r.flush();
    REQUIRE(out == "Hi a@b.io and a@b.io bye");
  }
  // A resident ID in full-width digits with zero-width spaces is 128 bytes:
  // longer than the filter's hold-back in bytes, not in normalised characters.
  hgw::config::ComplianceConfig c;
  c.detectors = {"cn_resident_id"};
  auto det = DetectorSet::build(c);
  std::string id;
  for (char d : std::string("110101199003074514")) id += std::string("\xEF\xBC") + static_cast<char>(0x90 + (d - '0')) + "\xE2\x80\x8B";
  const std::string text = "证件 " + id + " 完";
  for (std::size_t i = 0; i <= text.size(); i += 7) {
    OutputFilter f(det, {}, "mask");
    std::string out;
    for (std::size_t p = 0; p < text.size(); p += 5) out += f.feed(text.substr(p, 5)).text;
    out += f.flush().text;
    REQUIRE(out == "证件 [REDACTED:CN_RESIDENT_ID]\xE2\x80\x8B 完");  // the span ends at the last digit
  }
}
