// Compliance over the whole request, tried as an adversary would (compliance
// issue "Tests"): for each endpoint a restricted value (a resident ID) and a
// confidential one (an e-mail) are planted at generated places — known fields
// that applications fill, unknown nested fields, object keys, odd shapes of
// fields the gateway does not interpret, JSON inside strings, numbers — in
// the forms people type or paste (full-width, zero-width characters,
// separators between the groups). The proof is what each simulator received:
// the remote one never gets the value in any form that normalises back to it,
// the local one gets the resident ID, and the e-mail reaches the remote one
// masked and comes back restored.
#include "tests/integration/GatewayFixture.hpp"

#include "policies/compliance/TextNormalizer.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <random>
#include <sstream>

using namespace hgw;
using namespace hgw::test;
namespace json = boost::json;

namespace {

const std::string kId = "110101199003074514";
const std::string kEmail = "zhang.san@example.com";

// ---- the forms of a value ---------------------------------------------------

std::string fullwidth(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x21 && c <= 0x7e) {  // U+FF01..U+FF5E
      const unsigned cp = 0xFF01 + (c - 0x21);
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string groups_684(const std::string& id, const std::string& sep) {
  return id.substr(0, 6) + sep + id.substr(6, 8) + sep + id.substr(14);
}

std::vector<std::pair<std::string, std::string>> id_forms() {
  const std::string zwsp = "\xE2\x80\x8B", nbsp = "\xC2\xA0", ideo = "\xE3\x80\x80", shy = "\xC2\xAD";
  return {
      {"plain", kId},
      {"full-width", fullwidth(kId)},
      {"zero-width space", kId.substr(0, 4) + zwsp + kId.substr(4, 7) + zwsp + kId.substr(11)},
      {"soft hyphens", kId.substr(0, 9) + shy + kId.substr(9)},
      {"6-8-4 spaces", groups_684(kId, " ")},
      {"6-8-4 dashes", groups_684(kId, "-")},
      {"6-8-4 NBSP", groups_684(kId, nbsp)},
      {"6-8-4 ideographic spaces", groups_684(kId, ideo)},
      {"full-width 6-8-4", fullwidth(groups_684(kId, "-"))},
  };
}

std::vector<std::pair<std::string, std::string>> email_forms() {
  return {{"plain", kEmail},
          {"full-width", fullwidth(kEmail)},
          {"zero-width space", "zhang\xE2\x80\x8B.san@example.com"}};
}

// ---- what a backend received, read the way a person (or a model) would ------

void texts_of(const json::value& v, std::vector<std::string>& out, int depth = 0) {
  switch (v.kind()) {
    case json::kind::string: {
      const std::string s(v.get_string());
      boost::system::error_code ec;
      auto inner = depth < 4 ? json::parse(s, ec) : json::value();
      if (!ec && (inner.is_object() || inner.is_array())) texts_of(inner, out, depth + 1);
      out.push_back(s);
      break;
    }
    case json::kind::object:
      for (const auto& m : v.get_object()) {
        out.emplace_back(m.key());
        texts_of(m.value(), out, depth);
      }
      break;
    case json::kind::array:
      for (const auto& e : v.get_array()) texts_of(e, out, depth);
      break;
    case json::kind::int64: out.push_back(std::to_string(v.get_int64())); break;
    case json::kind::uint64: out.push_back(std::to_string(v.get_uint64())); break;
    default: break;
  }
}

// Whether any text of a received body holds `value` once normalised (NFKC,
// invisible characters removed) and, for numbers, with separators removed.
bool holds(const std::string& body, const std::string& value, bool digits_only) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  std::vector<std::string> texts;
  if (ec) texts.push_back(body);
  else texts_of(v, texts);
  for (const auto& t : texts) {
    compliance::NormalizedText n;
    n.assign(t);
    std::string flat;
    for (char c : n.text())
      if (!digits_only || (c != ' ' && c != '-' && c != '.')) flat += c;
    if (flat.find(value) != std::string::npos) return true;
  }
  return false;
}

// ---- placements ---------------------------------------------------------------

enum class Endpoint { chat, completions, embeddings, messages };

const char* path_of(Endpoint e) {
  switch (e) {
    case Endpoint::chat: return "/v1/chat/completions";
    case Endpoint::completions: return "/v1/completions";
    case Endpoint::embeddings: return "/v1/embeddings";
    case Endpoint::messages: return "/v1/messages";
  }
  return "";
}

json::object base_request(Endpoint e) {
  switch (e) {
    case Endpoint::chat:
      return {{"model", "auto"}, {"messages", json::array{json::object{{"role", "user"}, {"content", "hello"}}}}};
    case Endpoint::completions: return {{"model", "auto"}, {"prompt", "hello"}};
    case Endpoint::embeddings: return {{"model", "auto"}, {"input", "hello"}};
    case Endpoint::messages:
      return {{"model", "auto"},
              {"max_tokens", 64},
              {"messages", json::array{json::object{{"role", "user"}, {"content", "hello"}}}}};
  }
  return {};
}

std::string random_key(std::mt19937& rng) {
  static const char* words[] = {"x_trace", "ctx", "payload", "extra", "vendor_ext", "data", "info", "props", "q"};
  return std::string(words[rng() % 9]) + "_" + std::to_string(rng() % 100);
}

// A value nested 1..5 levels deep in fresh objects and arrays.
json::value nest(std::mt19937& rng, json::value leaf) {
  const int depth = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < depth; ++i) {
    if (rng() % 2) leaf = json::object{{random_key(rng), std::move(leaf)}};
    else leaf = json::array{"pad", std::move(leaf)};
  }
  return leaf;
}

// JSON text with every non-ASCII character written as \uXXXX (Python's
// json.dumps default, ensure_ascii): full-width digits arrive as \uff11….
std::string ascii_escaped(const json::value& v) {
  const std::string text = json::serialize(v);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += text[i++];
      continue;
    }
    unsigned cp = 0;
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", cp);  // the BMP is enough for these forms
    out += buf;
    i += len;
  }
  return out;
}

struct Placement {
  std::string where;
  json::object body;
};

// The value (a string) planted somewhere in the request of endpoint e.
Placement plant(Endpoint e, const std::string& value, std::mt19937& rng) {
  json::object b = base_request(e);
  const int kinds = 10;
  switch (rng() % kinds) {
    case 0: {  // the text everyone scans
      if (e == Endpoint::chat || e == Endpoint::messages)
        b["messages"].as_array()[0].as_object()["content"] = "my data: " + value;
      else if (e == Endpoint::completions) b["prompt"] = "my data: " + value;
      else b["input"] = json::array{"a", "my data: " + value};
      return {"the prompt text", b};
    }
    case 1:
      if (e == Endpoint::messages) b["metadata"] = json::object{{"user_id", value}};
      else b["user"] = value;
      return {"user / metadata.user_id", b};
    case 2: b["metadata"] = json::object{{"customer", value}, {"n", 1}}; return {"metadata", b};
    case 3:
      if (e == Endpoint::messages) b["stop_sequences"] = json::array{value};
      else b["stop"] = json::array{"\n\n", value};
      return {"stop", b};
    case 4:
      if (e == Endpoint::chat) {
        b["prediction"] = json::object{{"type", "content"}, {"content", value}};
        return {"prediction", b};
      }
      if (e == Endpoint::messages) {
        b["system"] = json::array{json::object{{"type", "text"}, {"text", "ctx " + value}}};
        return {"system blocks", b};
      }
      b["suffix_x"] = value;
      return {"unknown top-level field", b};
    case 5:
      if (e == Endpoint::chat) {
        b["response_format"] = json::object{
            {"type", "json_schema"},
            {"json_schema", json::object{{"name", "s"},
                                         {"schema", json::object{{"type", "object"},
                                                                 {"description", "e.g. " + value}}}}}};
        return {"response_format.json_schema description", b};
      }
      if (e == Endpoint::messages) {
        b["tools"] = json::array{json::object{{"name", "lookup"},
                                              {"description", "look up " + value},
                                              {"input_schema", json::object{{"type", "object"}}}}};
        return {"tools[0].description", b};
      }
      b["logit_bias_note"] = json::object{{"note", value}};
      return {"unknown object field", b};
    case 6: {
      const std::string k = random_key(rng);
      b[k] = nest(rng, json::value(value));
      return {"unknown field nested under " + k, b};
    }
    case 7: {
      b[random_key(rng)] = nest(rng, json::object{{value, true}});
      return {"an object key", b};
    }
    case 8:  // a field the gateway does not interpret, in a shape nobody expects
      if (rng() % 2) b["user"] = json::object{{"id", value}};
      else b["metadata"] = json::array{json::array{value}};
      return {"odd shape of user/metadata", b};
    default: {  // JSON held in a string, escaped the way Python's json.dumps does
      const std::string escaped = ascii_escaped(json::object{{"record", json::object{{"id", value}}}});
      if (e == Endpoint::chat) {
        auto& msgs = b["messages"].as_array();
        msgs.push_back(json::object{
            {"role", "assistant"},
            {"content", nullptr},
            {"tool_calls", json::array{json::object{
                               {"id", "call_1"},
                               {"type", "function"},
                               {"function", json::object{{"name", "save"}, {"arguments", escaped}}}}}}});
        msgs.push_back(json::object{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", escaped}});
        msgs.push_back(json::object{{"role", "user"}, {"content", "thanks"}});
        return {"tool-call arguments and tool result (JSON in a string)", b};
      }
      b["x_json"] = escaped;
      return {"JSON in a string field", b};
    }
  }
}

std::string echo_backend(const std::string& name, unsigned short port, const std::string& locality) {
  return "  - name: " + name + "\n    url: http://127.0.0.1:" + std::to_string(port) +
         "/v1\n    model: echo\n    locality: " + locality + "\n    health_check: { enabled: false }\n";
}

std::string gateway_config(unsigned short local, unsigned short remote) {
  return "server:\n  listen: 127.0.0.1:18080\n  access_log: { path: off }\n"
         "admin:\n  listen: 127.0.0.1:19090\n"
         "state: { store: memory }\n"
         "backends:\n" +
         echo_backend("local", local, "local") + echo_backend("remote", remote, "remote") +
         "routes:\n"
         "  - name: chat\n"
         "    models: [auto]\n"
         "    targets: [remote, local]\n"
         "compliance:\n"
         "  detectors: all\n"
         "  classify: { cn_resident_id: restricted, email: confidential }\n"
         "  rules:\n"
         "    - { name: restricted-local, class: restricted, allow: { locality: [local] } }\n"
         "    - { name: mask-email, detected: [email], action: redact }\n"
         "  restore_in_response: true\n";
}

std::vector<sim::ReceivedRequest> for_request(const sim::Simulator& s, const std::string& id) {
  std::vector<sim::ReceivedRequest> out;
  for (auto& r : received_posts(s))
    if (r.header("x-request-id") == id) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("adversarial: a restricted value never reaches the remote backend, in any field or form",
          "[compliance][adversarial]") {
  auto local = start_sim("local-sim");
  auto remote = start_sim("remote-sim");
  TestGateway gw(gateway_config(local->port(), remote->port()));
  std::mt19937 rng(20261201);  // fixed seed: the same placements on every run
  int cases = 0, dropped_by_translation = 0;
  for (Endpoint e : {Endpoint::chat, Endpoint::completions, Endpoint::embeddings, Endpoint::messages}) {
    for (const auto& [form, value] : id_forms()) {
      for (int k = 0; k < 4; ++k) {
        Placement p = plant(e, value, rng);
        const std::string id = "adv-id-" + std::to_string(++cases);
        INFO("case " << id << ": " << path_of(e) << ", " << form << " form, in " << p.where << "\n"
                     << json::serialize(p.body));
        auto r = post_json(gw.port(), path_of(e), json::serialize(p.body), {{"x-request-id", id}});
        REQUIRE(r.status == 200);
        for (const auto& got : for_request(*remote, id)) CHECK_FALSE(holds(got.body, kId, true));
        const auto at_local = for_request(*local, id);
        if (e == Endpoint::messages && r.header("x-hybridgw-backend") == "remote") {
          // The Anthropic request's translation has no place for this field:
          // it is not sent, so it did not count (and the remote did not get it).
          ++dropped_by_translation;
          continue;
        }
        CHECK(r.header("x-hybridgw-backend") == "local");
        REQUIRE(at_local.size() == 1);
        CHECK(holds(at_local[0].body, kId, true));
      }
    }
  }
  CHECK(cases == 4 * 9 * 4);
  CHECK(dropped_by_translation < 9 * 4 / 2);
}

// The gateway sends the client's own bytes upstream (model replaced) when the
// parse is all they say; a text that says more than the parse kept — a key
// written twice at any depth, an escaped key — is serialised from the parse
// instead, so the backend cannot read a copy the detectors never saw.
TEST_CASE("adversarial: a repeated or escaped key cannot carry a value past the detectors",
          "[compliance][adversarial]") {
  auto local = start_sim("local-sim");
  auto remote = start_sim("remote-sim");
  TestGateway gw(gateway_config(local->port(), remote->port()));
  const std::string msg_hi = R"({"role":"user","content":"hello"})";
  const std::string msg_id = R"({"role":"user","content":")" + kId + R"("})";
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"key repeated inside a message",
       R"({"model":"auto","messages":[{"role":"user","content":"hello","content":")" + kId + R"("}]})"},
      {"same, the other order",
       R"({"model":"auto","messages":[{"role":"user","content":")" + kId + R"(","content":"hello"}]})"},
      {"top-level key repeated", R"({"model":"auto","messages":[)" + msg_id + R"(],"messages":[)" + msg_hi + "]}"},
      {"same, the other order", R"({"model":"auto","messages":[)" + msg_hi + R"(],"messages":[)" + msg_id + "]}"},
      {"escaped top-level key repeating another",
       R"({"model":"auto","messages":[)" + msg_hi + R"(],"messages":[)" + msg_id + "]}"},
      {"model repeated", R"({"model":"auto","messages":[)" + msg_id + R"(],"model":"auto"})"},
      {"escaped model key", R"({"model":"auto","messages":[)" + msg_id + "]}"},
  };
  int n = 0;
  for (const auto& [what, body] : bodies) {
    INFO(what << ": " << body);
    const std::string id = "dup-" + std::to_string(++n);
    auto r = post_json(gw.port(), "/v1/chat/completions", body, {{"x-request-id", id}});
    CHECK(r.status == 200);
    for (const auto& got : for_request(*remote, id)) {
      CHECK_FALSE(holds(got.body, kId, true));
      CHECK(got.body.find(kId) == std::string::npos);  // not even in a copy a parse would drop
      // What the remote got is one reading of the request: no key twice.
      CHECK(got.body.find(R"("content":"hello","content")") == std::string::npos);
      CHECK(got.body.find(R"(],"messages")") == std::string::npos);
    }
  }
}

TEST_CASE("the client's bytes go upstream as sent, only the model replaced", "[compliance][adversarial]") {
  auto local = start_sim("local-sim");
  auto remote = start_sim("remote-sim");
  TestGateway gw(gateway_config(local->port(), remote->port()));
  // Spacing, an escape and a number's spelling that serialising would change.
  const std::string body =
      "{ \"model\" : \"auto\",\n  \"messages\": [ {\"role\": \"user\", \"content\": \"caf\\u00e9 \\\"model\\\": 1\"} ],\n"
      "  \"temperature\": 0.50, \"max_tokens\": 16 }";
  auto r = post_json(gw.port(), "/v1/chat/completions", body, {{"x-request-id", "as-sent"}});
  REQUIRE(r.status == 200);
  const auto got = for_request(*remote, "as-sent");
  REQUIRE(got.size() == 1);
  std::string expected = body;
  expected.replace(expected.find("\"auto\""), 6, "\"echo\"");
  CHECK(got[0].body == expected);
  // A stream that did not ask for usage is rewritten to ask for it (cost needs it).
  auto st = http_stream(gw.port(), "/v1/chat/completions",
                        R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hi"}]})",
                        {{"x-request-id", "stream-usage"}});
  REQUIRE(st.status == 200);
  const auto streamed = for_request(*remote, "stream-usage");
  REQUIRE(streamed.size() == 1);
  CHECK(streamed[0].body.find(R"("stream_options":{"include_usage":true})") != std::string::npos);
}

TEST_CASE("adversarial: a confidential value reaches the remote backend only masked, and comes back restored",
          "[compliance][adversarial]") {
  auto local = start_sim("local-sim");
  auto remote = start_sim("remote-sim");
  TestGateway gw(gateway_config(local->port(), remote->port()));
  std::mt19937 rng(424242);
  int cases = 0;
  for (Endpoint e : {Endpoint::chat, Endpoint::completions, Endpoint::embeddings, Endpoint::messages}) {
    for (const auto& [form, value] : email_forms()) {
      for (int k = 0; k < 6; ++k) {
        Placement p = plant(e, value, rng);
        const std::string id = "adv-mail-" + std::to_string(++cases);
        INFO("case " << id << ": " << path_of(e) << ", " << form << " form, in " << p.where << "\n"
                     << json::serialize(p.body));
        auto r = post_json(gw.port(), path_of(e), json::serialize(p.body), {{"x-request-id", id}});
        REQUIRE(r.status == 200);
        REQUIRE(r.header("x-hybridgw-backend") == "remote");
        const auto at_remote = for_request(*remote, id);
        REQUIRE(at_remote.size() == 1);
        CHECK_FALSE(holds(at_remote[0].body, kEmail, false));
        // Masked, not dropped (the Anthropic translation drops fields chat has no place for).
        if (e != Endpoint::messages || p.where == "the prompt text" || p.where == "system blocks" ||
            p.where == "tools[0].description" || p.where == "stop" || p.where == "user / metadata.user_id")
          CHECK(at_remote[0].body.find("[EMAIL_1]") != std::string::npos);
        // The echo model answers with the prompt text: its placeholder comes back as the client's value.
        if (p.where == "the prompt text" && e != Endpoint::embeddings) CHECK(r.body.find(value) != std::string::npos);
      }
    }
  }
  CHECK(cases == 4 * 3 * 6);
}

TEST_CASE("fail closed: a body over the scan budget is treated as the highest class", "[compliance][adversarial]") {
  auto local = start_sim("local-sim");
  auto remote = start_sim("remote-sim");
  TestGateway gw(gateway_config(local->port(), remote->port()) + "  max_scan_bytes: 2048\n");
  const std::string small = R"({"model":"auto","messages":[{"role":"user","content":"hello"}]})";
  auto r = post_json(gw.port(), "/v1/chat/completions", small);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "remote");
  const std::string big = R"({"model":"auto","messages":[{"role":"user","content":")" + std::string(4096, 'a') + R"("}]})";
  r = post_json(gw.port(), "/v1/chat/completions", big);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-hybridgw-backend") == "local");
  auto explained = post_json(gw.admin_port(), "/admin/explain", big);
  CHECK(explained.body.find("compliance.max_scan_bytes") != std::string::npos);
}

TEST_CASE("validation: what the gateway interprets is checked, with the path; the gateway stays up",
          "[compliance][validation]") {
  auto local = start_sim("local-sim");
  auto remote = start_sim("remote-sim");
  TestGateway gw(gateway_config(local->port(), remote->port()));
  struct Bad {
    const char* path;
    std::string body, message;
  };
  const std::vector<Bad> bad = {
      {"/v1/chat/completions", R"({"model":"auto","stream":"yes","messages":[{"role":"user","content":"hi"}]})",
       "$.stream: expected true or false"},
      {"/v1/chat/completions", R"({"model":"auto","messages":"hi"})", "$.messages: expected an array of messages"},
      {"/v1/chat/completions",
       R"({"model":"auto","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":{"x":1}}]})",
       "$.messages[2].content: expected a string, an array or null"},
      {"/v1/chat/completions", R"({"model":"auto","max_tokens":1e300,"messages":[{"role":"user","content":"hi"}]})",
       "$.max_tokens: expected an integer between 1 and 2147483647"},
      {"/v1/completions", R"({"model":"auto","prompt":{"a":1}})", "$.prompt: expected a string"},
      {"/v1/embeddings", R"({"model":"auto"})", "$.input: is required"},
      {"/v1/messages", R"({"model":"auto","messages":[{"role":"user"}]})", "$.messages[0].content: is required"},
  };
  for (const auto& b : bad) {
    INFO(b.path << " " << b.body);
    auto r = post_json(gw.port(), b.path, b.body);
    CHECK(r.status == 400);
    CHECK(r.body.find(b.message) != std::string::npos);
  }
  CHECK(received_posts(*remote).empty());
  CHECK(received_posts(*local).empty());
  CHECK(post_json(gw.port(), "/v1/chat/completions", R"({"model":"auto","messages":[{"role":"user","content":"hi"}]})")
            .status == 200);
}
