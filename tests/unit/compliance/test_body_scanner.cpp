// Compliance reads every text of a request body, wherever it is: keys, any
// depth, JSON held in strings, integers; redaction reaches all of them; and
// what cannot be scanned completely says so.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <set>

#include "policies/compliance/BodyScanner.hpp"
#include "test_helpers.hpp"

using namespace hgw::compliance;
using namespace hgw::compliance::test;
namespace json = boost::json;

namespace {

const std::string kId = "110101199003074514";

std::multiset<std::string> types_of(const BodyScan& s) {
  std::multiset<std::string> t;
  for (const auto& f : s.findings) t.insert(f.type);
  return t;
}

BodyScan scan(const json::value& v, std::uint64_t budget = 1 << 20) { return scan_body(*all_builtins(), v, budget); }

}  // namespace

TEST_CASE("body scan: every field, every depth, keys and numbers", "[compliance][body]") {
  const json::value body = json::parse(R"({
    "model": "auto",
    "messages": [{"role": "user", "content": "hello"}],
    "user": "zhang.san@example.com",
    "metadata": {"customer": {"ids": [1, {"id": "110101199003074514"}]}},
    "stop": ["13812345678"],
    "response_format": {"type": "json_schema", "json_schema": {"schema": {"description": "for 4111 1111 1111 1111"}}},
    "x_future_field": {"deep": [[[["10.20.30.40"]]]]},
    "110101199003074514": true,
    "phone_as_number": 13812345678
  })");
  const BodyScan s = scan(body);
  REQUIRE(s.complete());
  CHECK(types_of(s) == std::multiset<std::string>{"email", "cn_resident_id", "cn_resident_id", "cn_mobile",
                                                   "cn_mobile", "credit_card", "ipv4"});
  CHECK(s.texts > 20);
}

TEST_CASE("body scan: JSON inside a string is read with its escapes decoded", "[compliance][body]") {
  // An application that serialises tool results with ASCII escapes (Python's
  // json.dumps default) sends full-width digits as \uff11…
  std::string fullwidth_escaped;
  for (char c : kId) fullwidth_escaped += "\\\\uff1" + std::string(1, c);
  const json::value body = json::parse(R"({"messages":[{"role":"tool","tool_call_id":"c1","content":"{\"name\":\"\\u5f20\",\"id\":\")" +
                                       fullwidth_escaped + R"(\"}"}]})");
  const BodyScan s = scan(body);
  REQUIRE(s.complete());
  CHECK(types_of(s) == std::multiset<std::string>{"cn_resident_id"});
  // Plain text that only looks like JSON at its ends is still read as text.
  CHECK(types_of(scan(json::parse(R"({"a":"{not json 13812345678}"})"))) == std::multiset<std::string>{"cn_mobile"});
}

TEST_CASE("redaction reaches strings, keys, embedded JSON and numbers; a rescan finds nothing", "[compliance][body]") {
  json::value body = json::parse(R"({
    "messages": [{"role": "user", "content": "mail zhang.san@example.com"},
                 {"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                   "function": {"name": "f", "arguments": "{\"to\":\"zhang.san@example.com\",\"zhang.san@example.com\":1}"}}]}],
    "metadata": {"zhang.san@example.com": {"tel": 13812345678}},
    "user": "ｚｈａｎｇ.ｓａｎ＠ｅｘａｍｐｌｅ.ｃｏｍ"
  })");
  const json::value original = body;
  const BodyScan s = scan(body);
  REQUIRE(s.complete());
  Redactor r;
  CHECK(redact_body(body, s.findings, {"email", "cn_mobile"}, r) == 6);
  const std::string out = json::serialize(body);
  CHECK(out.find("zhang.san@example.com") == std::string::npos);
  CHECK(out.find("13812345678") == std::string::npos);
  CHECK(out.find("[EMAIL_1]") != std::string::npos);
  CHECK(body.at("metadata").as_object().contains("[EMAIL_1]"));               // the key was renamed
  CHECK(body.at("metadata").at("[EMAIL_1]").at("tel").as_string() == "[CN_MOBILE_1]");   // the number became its placeholder
  const auto& args = body.at("messages").at(1).at("tool_calls").at(0).at("function").at("arguments").as_string();
  CHECK(json::parse(args) == json::parse(R"({"to":"[EMAIL_1]","[EMAIL_1]":1})"));  // still valid JSON
  CHECK(scan(body).findings.empty());
  // The mapping restores every original value (the full-width form is its own value).
  CHECK(r.mapping().size() == 3);
  CHECK(body != original);
}

TEST_CASE("body scan fails closed: budget, invalid UTF-8", "[compliance][body]") {
  const json::value body = json::parse(R"({"messages":[{"role":"user","content":")" + std::string(5000, 'a') + R"("}]})");
  CHECK(scan(body, 1 << 20).complete());
  const BodyScan over = scan(body, 1024);
  CHECK_FALSE(over.complete());
  CHECK(over.failure.find("compliance.max_scan_bytes") != std::string::npos);

  json::object bad;
  bad["content"] = json::string("138\xFF" "12345678");  // a JSON parser never produces this; a translator might
  const BodyScan invalid = scan(json::value(bad));
  CHECK_FALSE(invalid.complete());
  CHECK(invalid.failure.find("UTF-8") != std::string::npos);
}
