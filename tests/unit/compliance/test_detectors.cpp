#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "test_helpers.hpp"

using namespace hgw::compliance;
using namespace hgw::compliance::test;
using P = std::pair<std::string, std::string>;

TEST_CASE("cn_mobile boundaries around Chinese text and digit runs", "[compliance][detectors]") {
  CHECK(found("手机13812345678，") == TV{P{"cn_mobile", "13812345678"}});
  CHECK(found("电话:138-1234-5678。") == TV{P{"cn_mobile", "138-1234-5678"}});
  CHECK(found("+86 138 1234 5678") == TV{P{"cn_mobile", "+86 138 1234 5678"}});
  CHECK(found("008613812345678") == TV{P{"cn_mobile", "008613812345678"}});
  CHECK(found("2013812345678901").empty());
  CHECK(found("A13812345678").empty());
  CHECK(found("13812345678B").empty());
  CHECK(found("138 1234-5678").empty());     // mixed separators
  CHECK(found("12 138 1234 5678 9").empty());  // inside a grouped run
  CHECK(found("12812345678").empty());
}

TEST_CASE("cn_resident_id in mixed text", "[compliance][detectors]") {
  CHECK(found("身份证号110101199003074514") == TV{P{"cn_resident_id", "110101199003074514"}});
  CHECK(found("id 11010519491231002X.") == TV{P{"cn_resident_id", "11010519491231002X"}});
  CHECK(found("身份证号110101199003074515").empty());   // check digit
  CHECK(found("110101199902304511").empty());          // 1999-02-30 (whatever check char)
  CHECK(found("9110101199003074514").empty());          // inside a longer run
  CHECK(found("1101011990030745141").empty());
  CHECK(found("old 110101900307451 form") == TV{P{"cn_resident_id", "110101900307451"}});
}

TEST_CASE("cards", "[compliance][detectors]") {
  CHECK(found("visa 4111 1111 1111 1111 ok") == TV{P{"credit_card", "4111 1111 1111 1111"}});
  CHECK(found("visa 4111-1111-1111-1111") == TV{P{"credit_card", "4111-1111-1111-1111"}});
  CHECK(found("amex 378282246310005") == TV{P{"credit_card", "378282246310005"}});
  CHECK(found("mc 5555555555554444") == TV{P{"credit_card", "5555555555554444"}});
  CHECK(found("visa 4111111111111112").empty());   // Luhn
  CHECK(found("n 94111111111111111").empty());     // inside a longer number
  CHECK(found("4111 1111-1111 1111").empty());     // mixed separators
  CHECK(found("银联6222021234567890128卡") == TV{P{"bank_card", "6222021234567890128"}});
  CHECK(found("银联6222021234567890127卡").empty());
}

TEST_CASE("other detectors: examples and near misses", "[compliance][detectors]") {
  CHECK(found("mail zhang.san@example.com.") == TV{P{"email", "zhang.san@example.com"}});
  CHECK(found("@handle only").empty());
  CHECK(found("+44 20 7946 0958") == TV{P{"phone", "+44 20 7946 0958"}});
  CHECK(found("+12 points").empty());
  CHECK(found("USCC 91350100M000100Y43") == TV{P{"cn_uscc", "91350100M000100Y43"}});
  CHECK(found("USCC 91350100M000100Y44").empty());
  CHECK(found("护照E12345678") == TV{P{"cn_passport", "E12345678"}});
  CHECK(found("XE12345678").empty());
  CHECK(found("SSN 078-05-1120") == TV{P{"us_ssn", "078-05-1120"}});
  CHECK(found("ssn: 219099999") == TV{P{"us_ssn", "219099999"}});
  CHECK(found("order 219099999").empty());
  CHECK(found("666-12-3456").empty());
  CHECK(found("IBAN DE89 3704 0044 0532 0130 00 EUR") == TV{P{"iban", "DE89 3704 0044 0532 0130 00"}});
  CHECK(found("IBAN DE89370400440532013000USD").empty());
  CHECK(found("ip 10.0.0.1") == TV{P{"ipv4", "10.0.0.1"}});
  CHECK(found("v1.2.3.4.5").empty());
  CHECK(found("1.2.3.4.5").empty());
  CHECK(found("addr fe80::1 up") == TV{P{"ipv6", "fe80::1"}});
  CHECK(found("std::vector<int> a::b").empty());
  CHECK(found("12:30:45").empty());
  CHECK(found("k sk-proj-AbCdEf1234567890GhIjKlMn") == TV{P{"secrets", "sk-proj-AbCdEf1234567890GhIjKlMn"}});
  CHECK(found("AKIAIOSFODNN7EXAMPLE") == TV{P{"secrets", "AKIAIOSFODNN7EXAMPLE"}});
  CHECK(found("AKIAIOSFODNN7EXAMPLEX").empty());
  std::string pem = "x\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\ny";
  CHECK(found(pem) == TV{P{"secrets", pem.substr(2, pem.size() - 4)}});
  std::string cut = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0";  // truncated: to the end
  CHECK(found(cut) == TV{P{"secrets", cut}});
}

TEST_CASE("overlaps: the longer match wins, equal spans go to the specific type", "[compliance][detectors]") {
  CHECK(found("13812345678@qq.com") == TV{P{"email", "13812345678@qq.com"}});
  CHECK(found("+8613812345678") == TV{P{"cn_mobile", "+8613812345678"}});
  CHECK(found("::ffff:192.0.2.128") == TV{P{"ipv6", "::ffff:192.0.2.128"}});
}

TEST_CASE("detector selection, only_types, multiple texts", "[compliance][detectors]") {
  hgw::config::ComplianceConfig c;
  c.detectors = {"email"};
  auto set = DetectorSet::build(c);
  CHECK(set->types() == std::vector<std::string>{"email"});
  CHECK(found(*set, "a@b.io 13812345678") == TV{P{"email", "a@b.io"}});
  auto all = all_builtins();
  std::vector<Finding> out;
  std::vector<std::string> only = {"cn_mobile"};
  all->scan_one("a@b.io 13812345678", 3, out, &only);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == "cn_mobile");
  CHECK(out[0].text_index == 3);
  auto f = all->scan({"none here", "x@y.cn", "and 10.0.0.1"});
  REQUIRE(f.size() == 2);
  CHECK(f[0].text_index == 1);
  CHECK(f[1].text_index == 2);
  std::string err;
  c.detectors = {"email", "nope"};
  auto s2 = DetectorSet::build(c, &err);
  CHECK(err.find("nope") != std::string::npos);
  CHECK(s2->types().size() == 1);
}

TEST_CASE("custom detectors: keywords in one pass, regexes, errors", "[compliance][detectors]") {
  hgw::config::ComplianceConfig c;
  hgw::config::CustomDetectorConfig kw;
  kw.name = "project_codename";
  kw.keywords = {"天穹计划", "Project Falcon", "北斗.内部", "a+b"};
  hgw::config::CustomDetectorConfig re;
  re.name = "employee_id";
  re.regex = R"(EMP-\d{6})";
  re.case_sensitive = true;
  hgw::config::CustomDetectorConfig bad;
  bad.name = "broken";
  bad.regex = "(unclosed";
  bad.source_line = 42;
  c.custom_detectors = {kw, re, bad};
  std::string err;
  auto set = DetectorSet::build(c, &err);
  CHECK(err.find("broken") != std::string::npos);
  CHECK(err.find("42") != std::string::npos);
  CHECK(set->types() == std::vector<std::string>{"project_codename", "employee_id"});
  CHECK(found(*set, "关于天穹计划的进展，PROJECT FALCON 和 project falcon") ==
        TV{P{"project_codename", "天穹计划"}, P{"project_codename", "PROJECT FALCON"},
           P{"project_codename", "project falcon"}});
  CHECK(found(*set, "北斗x内部 vs 北斗.内部 and a+b") ==
        TV{P{"project_codename", "北斗.内部"}, P{"project_codename", "a+b"}});  // literals, not regex
  CHECK(found(*set, "EMP-123456 emp-123456") == TV{P{"employee_id", "EMP-123456"}});
  CHECK(found(*set, "nothing to see").empty());
}

TEST_CASE("evasion forms are found, and the span covers the original bytes", "[compliance][detectors][normalize]") {
  // Full-width digits, invisible characters, and separators between the groups.
  CHECK(found("身份证１１０１０１１９９００３０７４５１４。") ==
        TV{P{"cn_resident_id", "１１０１０１１９９００３０７４５１４"}});
  CHECK(found("id 1101\xE2\x80\x8B" "01199003074514 ok") ==
        TV{P{"cn_resident_id", "1101\xE2\x80\x8B" "01199003074514"}});
  CHECK(found("身份证 110101 19900307 4514") == TV{P{"cn_resident_id", "110101 19900307 4514"}});
  CHECK(found("身份证 110101-19900307-4514") == TV{P{"cn_resident_id", "110101-19900307-4514"}});
  CHECK(found("身份证 110101.19900307.4514") == TV{P{"cn_resident_id", "110101.19900307.4514"}});
  CHECK(found("身份证 110101\xC2\xA0" "19900307\xC2\xA0" "4514") ==
        TV{P{"cn_resident_id", "110101\xC2\xA0" "19900307\xC2\xA0" "4514"}});
  CHECK(found("身份证 110101 19900307-4514").empty());        // mixed separators
  CHECK(found("身份证 110101 19900307 4515").empty());        // check digit
  CHECK(found("11010519491231002\xD0\xA5") == TV{P{"cn_resident_id", "11010519491231002\xD0\xA5"}});
  CHECK(found("card 4111\xE3\x80\x80" "1111\xE3\x80\x80" "1111\xE3\x80\x80" "1111") ==
        TV{P{"credit_card", "4111\xE3\x80\x80" "1111\xE3\x80\x80" "1111\xE3\x80\x80" "1111"}});
  CHECK(found("card ４１１１－１１１１－１１１１－１１１１") ==
        TV{P{"credit_card", "４１１１－１１１１－１１１１－１１１１"}});
  CHECK(found("card 4111.1111.1111.1111") == TV{P{"credit_card", "4111.1111.1111.1111"}});
  CHECK(found("pi 4111.111111111111").empty());               // a decimal number
  CHECK(found("手机 138.1234.5678") == TV{P{"cn_mobile", "138.1234.5678"}});
  CHECK(found("手机 １３８ １２３４ ５６７８") == TV{P{"cn_mobile", "１３８ １２３４ ５６７８"}});
  CHECK(found("手机 138\xE2\x80\x93" "1234\xE2\x80\x93" "5678") ==
        TV{P{"cn_mobile", "138\xE2\x80\x93" "1234\xE2\x80\x93" "5678"}});
  CHECK(found("tel +1.415.555.2671") == TV{P{"phone", "+1.415.555.2671"}});
  CHECK(found("delta +3.14159265").empty());
  CHECK(found("mail ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ") == TV{P{"email", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ"}});
  CHECK(found("mail zhang\xE2\x80\x8B@example.com") == TV{P{"email", "zhang\xE2\x80\x8B@example.com"}});
}

TEST_CASE("context words lower unvalidated matches and raise them back", "[compliance][detectors][context]") {
  CHECK(found("订单号13812345678已发货").empty());
  CHECK(found("tracking number 13812345678").empty());
  CHECK(found("timestamp: 13812345678").empty());
  CHECK(found("手机13812345678") == TV{P{"cn_mobile", "13812345678"}});
  // The nearest word before decides: an order number, then a phone number.
  CHECK(found("订单号13512345678，手机13812345678") == TV{P{"cn_mobile", "13812345678"}});
  CHECK(found("13812345678（手机），订单号") == TV{P{"cn_mobile", "13812345678"}});
  CHECK(found("call me on 13812345678, order number later") == TV{P{"cn_mobile", "13812345678"}});
  // An ASCII word stands on its own: "border" is not "order".
  CHECK(found("border 13812345678") == TV{P{"cn_mobile", "13812345678"}});
  CHECK(found("version 1.2.3.4 released").empty());
  CHECK(found("server 10.2.3.4") == TV{P{"ipv4", "10.2.3.4"}});
  CHECK(found("型号E12345678").empty());
  CHECK(found("护照E12345678") == TV{P{"cn_passport", "E12345678"}});
  // Validated types are never lowered.
  CHECK(found("订单号 110101199003074514") == TV{P{"cn_resident_id", "110101199003074514"}});
  CHECK(found("order number 4111 1111 1111 1111") == TV{P{"credit_card", "4111 1111 1111 1111"}});
  // Full-width context words work too.
  CHECK(found("ｔｅｌ 13812345678, ｏｒｄｅｒ ｎｕｍｂｅｒ") == TV{P{"cn_mobile", "13812345678"}});
}

TEST_CASE("context words are configurable per detector", "[compliance][detectors][context]") {
  hgw::config::ComplianceConfig c;
  c.detectors = {"cn_mobile", "ipv4"};
  c.context.words["cn_mobile"] = {{"会员号"}, {}};  // replaces the defaults: 订单号 no longer lowers
  c.context.window = 4;
  auto set = DetectorSet::build(c);
  CHECK(found(*set, "会员号13812345678").empty());
  CHECK(found(*set, "订单号13812345678") == TV{P{"cn_mobile", "13812345678"}});
  CHECK(found(*set, "会员号 is a long way before 13812345678") == TV{P{"cn_mobile", "13812345678"}});  // outside the window
  CHECK(found(*set, "ver 1.2.3.4").empty());  // ipv4 keeps its defaults
  c.context.words["ipv4"] = {};                   // an empty entry turns context off for it
  CHECK(found(*DetectorSet::build(c), "ver 1.2.3.4") == TV{P{"ipv4", "1.2.3.4"}});
}

// ---- labelled corpus: precision and recall per type ------------------------

namespace {
// "\\n" is a newline and "\\uXXXX" that character (the corpus shows invisible
// characters and odd spaces explicitly).
std::string unescape(const std::string& s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      o += '\n';
      ++i;
    } else if (s[i] == '\\' && i + 5 < s.size() && s[i + 1] == 'u') {
      const unsigned c = static_cast<unsigned>(std::stoul(s.substr(i + 2, 4), nullptr, 16));
      if (c < 0x80) {
        o += static_cast<char>(c);
      } else if (c < 0x800) {
        o += static_cast<char>(0xC0 | (c >> 6));
        o += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        o += static_cast<char>(0xE0 | (c >> 12));
        o += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        o += static_cast<char>(0x80 | (c & 0x3F));
      }
      i += 5;
    } else {
      o += s[i];
    }
  }
  return o;
}
}  // namespace

TEST_CASE("labelled corpus: precision and recall per type", "[compliance][corpus]") {
  std::ifstream in(std::string(HGW_SOURCE_DIR) + "/tests/fixtures/pii_corpus.tsv");
  REQUIRE(in.good());
  std::map<std::string, int> tp, fp, fn;
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++lines;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(unescape(col));
    std::multiset<P> expected;
    for (std::size_t i = 1; i < cols.size(); ++i) {
      auto eq = cols[i].find('=');
      REQUIRE(eq != std::string::npos);
      expected.insert({cols[i].substr(0, eq), cols[i].substr(eq + 1)});
    }
    for (const auto& got : found(cols[0])) {
      auto it = expected.find(got);
      if (it != expected.end()) {
        ++tp[got.first];
        expected.erase(it);
      } else {
        ++fp[got.first];
        std::printf("false positive %s '%s' in: %s\n", got.first.c_str(), got.second.c_str(), cols[0].c_str());
      }
    }
    for (const auto& miss : expected) {
      ++fn[miss.first];
      std::printf("missed %s '%s' in: %s\n", miss.first.c_str(), miss.second.c_str(), cols[0].c_str());
    }
  }
  CHECK(lines >= 150);
  std::printf("\n%-16s %5s %5s %5s %9s %9s\n", "type", "TP", "FP", "FN", "precision", "recall");
  bool ok = true;
  for (const auto& type : builtin_detector_names()) {
    int t = tp[type], p = fp[type], n = fn[type];
    double precision = t + p ? double(t) / (t + p) : 1.0, recall = t + n ? double(t) / (t + n) : 1.0;
    std::printf("%-16s %5d %5d %5d %9.3f %9.3f\n", type.c_str(), t, p, n, precision, recall);
    CHECK(t > 0);
    ok &= precision >= 0.99 && recall >= 0.99;
  }
  std::fflush(stdout);
  CHECK(ok);
}

TEST_CASE("pathological inputs stay linear", "[compliance][detectors]") {
  auto set = all_builtins();
  std::vector<std::string> inputs = {std::string(1 << 20, '7'), std::string(1 << 20, 'A'),
                                     std::string(1 << 20, '@')};
  std::string grouped, hexy, mixed;
  while (grouped.size() < (1u << 20)) grouped += "1234 ";
  while (hexy.size() < (1u << 20)) hexy += "ab:12:";
  while (mixed.size() < (1u << 20)) mixed += "a.b@c1.2.3.4sk-AKIA";
  inputs.push_back(grouped);
  inputs.push_back(hexy);
  inputs.push_back(mixed);
  for (const auto& in : inputs) {
    auto start = std::chrono::steady_clock::now();
    std::vector<Finding> out;
    set->scan_one(in, 0, out);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(s < 2.0);  // 1 MiB; quadratic behaviour would take minutes
  }
}

TEST_CASE("texts without a trigger byte are passed over; non-ASCII forms are still read", "[compliance][detectors]") {
  // No digit, '@', ':', '-', '_', 'A' or 'J' and nothing but ASCII: nothing to find.
  CHECK(found("You are a concise assistant that answers in one short paragraph.").empty());
  CHECK(found("messages").empty());
  CHECK(found("").empty());
  // Every trigger of these is non-ASCII (full-width digits and at sign,
  // ideographic spaces): the normalised view holds them, so they are found.
  CHECK(found("手机１３８１２３４５６７８") == TV{P{"cn_mobile", "１３８１２３４５６７８"}});
  CHECK(found("mail ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ now") == TV{P{"email", "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"}});
  // A single trigger byte in a long plain text still starts a scan.
  CHECK(found("write to me at bob@example.com please") == TV{P{"email", "bob@example.com"}});
}
