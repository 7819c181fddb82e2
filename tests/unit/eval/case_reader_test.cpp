// Reading eval cases: what a good line becomes, and the error every kind of
// bad line gets (file, line, what is wrong).
#include <catch2/catch.hpp>

#include "gateway/config/ConfigLoader.hpp"
#include "gateway/eval/CaseReader.hpp"

using namespace hgw::eval;

namespace {

bool has_error(const std::vector<std::string>& errors, const std::string& fragment) {
  for (const auto& e : errors)
    if (e.find(fragment) != std::string::npos) return true;
  return false;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

}  // namespace

TEST_CASE("cases: a good file", "[eval][cases]") {
  auto r = parse_cases(
      R"({"id":"greet","messages":[{"role":"user","content":"Hi"}],"max_tokens":32,"tags":["chat","easy","chat"],"reference":"Hello!"})"
      "\n\n"
      R"({"messages":[{"role":"system","content":"Be brief"},{"role":"user","content":[{"type":"text","text":"2+2?"}]}],"model":"x","stream":true,"temperature":0})"
      "\n",
      "cases.jsonl");
  INFO(joined(r.errors));
  REQUIRE(r.ok());
  REQUIRE(r.cases.size() == 2);
  const auto& a = r.cases[0];
  CHECK(a.id == "greet");
  CHECK(a.line == 1);
  CHECK(a.reference == "Hello!");
  CHECK(a.tags == std::vector<std::string>{"chat", "easy"});
  CHECK(a.params.at("max_tokens").as_int64() == 32);
  CHECK_FALSE(a.params.contains("messages"));
  CHECK_FALSE(a.params.contains("tags"));
  CHECK(a.fingerprint.size() == 64);
  const auto& b = r.cases[1];
  CHECK(b.id == "line-3");  // blank line 2 skipped, numbering kept
  CHECK(b.messages.size() == 2);
  CHECK_FALSE(b.params.contains("model"));   // eval picks the model
  CHECK_FALSE(b.params.contains("stream"));  // and reads whole answers
  CHECK(b.params.contains("temperature"));
  CHECK(a.fingerprint != b.fingerprint);
}

TEST_CASE("cases: every bad line is reported with file and line", "[eval][cases]") {
  auto r = parse_cases(
      "{\"messages\":[{\"role\":\"user\",\"content\":\"ok\"}],\"id\":\"dup\"}\n"  // 1 fine
      "{\"messages\": [\n"                                                    // 2 broken JSON
      "[1,2]\n"                                                               // 3 not an object
      "{\"id\":\"x\"}\n"                                                      // 4 no messages
      "{\"messages\":[]}\n"                                                   // 5 empty
      "{\"messages\":[{\"role\":\"usr\",\"content\":\"hi\"}]}\n"              // 6 bad role
      "{\"messages\":[{\"role\":\"user\"}]}\n"                                // 7 no content
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tags\":\"x\"}\n"  // 8 tags not a list
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"reference\":3}\n"  // 9
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"id\":\"dup\"}\n"   // 10 duplicate id
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"n\":3}\n"          // 11
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tenant\":\"\"}\n",  // 12
      "c.jsonl");
  INFO(joined(r.errors));
  CHECK_FALSE(r.ok());
  CHECK(has_error(r.errors, "c.jsonl:2: not valid JSON at column"));
  CHECK(has_error(r.errors, "c.jsonl:3: expected a JSON object"));
  CHECK(has_error(r.errors, "c.jsonl:4: missing \"messages\""));
  CHECK(has_error(r.errors, "c.jsonl:5: \"messages\" must be a non-empty array"));
  CHECK(has_error(r.errors, "c.jsonl:6: messages[0]: unknown role 'usr'"));
  CHECK(has_error(r.errors, "did you mean 'user'?"));
  CHECK(has_error(r.errors, "c.jsonl:7: messages[0] needs \"content\""));
  CHECK(has_error(r.errors, "c.jsonl:8: \"tags\" must be an array of strings"));
  CHECK(has_error(r.errors, "c.jsonl:9: \"reference\" must be a string"));
  CHECK(has_error(r.errors, "c.jsonl:10: duplicate id 'dup' (first used on line 1)"));
  CHECK(has_error(r.errors, "c.jsonl:11: \"n\" must be 1"));
  CHECK(has_error(r.errors, "c.jsonl:12: \"tenant\" must be the name of a configured tenant"));
  CHECK(r.errors.size() == 11);
}

TEST_CASE("cases: an empty file and a missing file", "[eval][cases]") {
  CHECK(has_error(parse_cases("\n  \n", "e.jsonl").errors, "e.jsonl: no cases"));
  CHECK(has_error(read_cases_file("/nonexistent/cases.jsonl").errors, "cannot read the cases file"));
}

TEST_CASE("cases: tenants are checked against the configuration", "[eval][cases]") {
  const char* yaml = R"(
backends:
  - { name: local, url: "http://127.0.0.1:1/v1", model: m, locality: local }
routes:
  - { name: chat, models: [auto], targets: [local] }
tenants:
  - { name: finance, keys: ["sha256:0000000000000000000000000000000000000000000000000000000000000000"] }
  - { name: hr, keys: ["sha256:1111111111111111111111111111111111111111111111111111111111111111"] }
)";
  auto cfg = hgw::config::load_config_string(yaml);
  REQUIRE(cfg.ok());
  auto r = parse_cases(
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tenant\":\"finance\"}\n"
      "{\"messages\":[{\"role\":\"user\",\"content\":\"b\"}],\"tenant\":\"finanse\"}\n"
      "{\"messages\":[{\"role\":\"user\",\"content\":\"c\"}]}\n",
      "t.jsonl");
  REQUIRE(r.errors.empty());
  auto errors = assign_tenants(r.cases, *cfg.config, "", "t.jsonl");
  INFO(joined(errors));
  CHECK(errors.size() == 2);
  CHECK(has_error(errors, "t.jsonl:2: unknown tenant 'finanse'; tenants are: finance, hr; did you mean 'finance'?"));
  CHECK(has_error(errors, "t.jsonl:3: no \"tenant\""));

  auto again = parse_cases("{\"messages\":[{\"role\":\"user\",\"content\":\"c\"}]}\n", "t.jsonl");
  const auto before = again.cases[0].fingerprint;
  CHECK(assign_tenants(again.cases, *cfg.config, "hr", "t.jsonl").empty());
  CHECK(again.cases[0].tenant == "hr");
  CHECK(again.cases[0].fingerprint != before);  // the tenant is part of what was evaluated
  CHECK(has_error(assign_tenants(again.cases, *cfg.config, "nobody", "t.jsonl"), "--tenant: unknown tenant 'nobody'"));
}
