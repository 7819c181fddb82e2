// The bytes the gateway writes (HTTP heads, upstream requests, upstream
// bodies) and the usage it reads from whole answers. Pure, no sockets.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <limits>

#include "gateway/protocol/HttpWire.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/UpstreamRequest.hpp"
#include "gateway/protocol/UsageScanner.hpp"

namespace json = boost::json;
using namespace hgw;

namespace {

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

config::BackendConfig backend(config::Protocol protocol = config::Protocol::openai) {
  config::BackendConfig b;
  b.name = "b";
  b.protocol = protocol;
  b.model = "served-model";
  b.host = "10.0.0.5";
  b.port = "8000";
  b.base_path = "/v1";
  b.health_check.path = "/models";
  return b;
}

// Head and body of a request or response written as one string.
std::pair<std::string, std::string> split(const std::string& wire) {
  const auto end = wire.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  return {wire.substr(0, end + 2), wire.substr(end + 4)};
}

}  // namespace

TEST_CASE("HTTP heads and chunks are written byte for byte", "[wire]") {
  std::string out;
  protocol::append_status_line(404, 11, out);
  protocol::append_status_line(200, 10, out);
  CHECK(out == "HTTP/1.1 404 Not Found\r\nHTTP/1.0 200 OK\r\n");
  out.clear();
  protocol::append_request_line("POST", "/v1/chat/completions", out);
  protocol::append_field("Content-Length", std::size_t{1234}, out);
  protocol::append_field("x-request-id", "abc", out);
  CHECK(out == "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 1234\r\nx-request-id: abc\r\n");
  out.clear();
  protocol::append_chunk("abc", out);
  protocol::append_chunk(std::string(26, 'x'), out);
  CHECK(out == "3\r\nabc\r\n1a\r\n" + std::string(26, 'x') + "\r\n");
  CHECK(protocol::kLastChunk == "0\r\n\r\n");
}

TEST_CASE("upstream body: model rewritten in place, other members untouched", "[wire]") {
  const auto body = obj(R"({"messages":[{"role":"user","content":"h\u00e9 \"q\" \n"}],"model":"alias","temperature":0.5,"max_tokens":64})");
  const std::string out = protocol::upstream_body(body, "served-model", false);
  CHECK(out == R"({"messages":[{"role":"user","content":"hé \"q\" \n"}],"model":"served-model","temperature":5E-1,"max_tokens":64})");
  CHECK(json::parse(out).as_object().at("model") == "served-model");
  // A body without a model gets one; a non-stream request gets no stream options.
  CHECK(protocol::upstream_body(obj(R"({"input":"x"})"), "m", false) == R"({"input":"x","model":"m"})");
}

TEST_CASE("upstream body of a stream always asks for usage", "[wire]") {
  SECTION("no stream_options") {
    CHECK(protocol::upstream_body(obj(R"({"model":"a","stream":true})"), "m", true) ==
          R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})");
  }
  SECTION("the client's own options are kept, include_usage forced") {
    const auto out = protocol::upstream_body(
        obj(R"({"stream_options":{"include_usage":false,"x":[1,2]},"model":"a","stream":true})"), "m", true);
    CHECK(out == R"({"stream_options":{"x":[1,2],"include_usage":true},"model":"m","stream":true})");
  }
  SECTION("stream_options that is not an object is replaced") {
    CHECK(protocol::upstream_body(obj(R"({"model":"a","stream_options":null})"), "m", true) ==
          R"({"model":"m","stream_options":{"include_usage":true}})");
  }
}

namespace {
// The body as the backend's codec encodes it, then the request around it.
std::string request_for(const config::BackendConfig& b, const std::string& key, policy::Endpoint e,
                        const json::object& body, bool stream, const std::string& rid, std::string_view accept) {
  std::string encoded, error;
  REQUIRE(protocol::backend_codec(b.protocol).encode_body(body, {}, b, stream, encoded, error));
  return protocol::make_upstream_request(b, key, e, encoded, stream, rid, accept);
}
}  // namespace

TEST_CASE("upstream request: own path, own key, body length, nothing of the client's", "[wire]") {
  const auto body = obj(R"({"model":"alias","messages":[{"role":"user","content":"hi"}]})");
  SECTION("openai") {
    const auto wire = request_for(backend(), "sk-backend", policy::Endpoint::chat, body, false, "rid-1", "");
    const auto [head, payload] = split(wire);
    CHECK(head.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0) == 0);
    CHECK(head.find("\r\nHost: 10.0.0.5:8000\r\n") != std::string::npos);
    CHECK(head.find("\r\nAuthorization: Bearer sk-backend\r\n") != std::string::npos);
    CHECK(head.find("\r\nAccept: application/json\r\n") != std::string::npos);
    CHECK(head.find("\r\nx-request-id: rid-1\r\n") != std::string::npos);
    CHECK(head.find("\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n") != std::string::npos);
    CHECK(payload == R"({"model":"served-model","messages":[{"role":"user","content":"hi"}]})");
  }
  SECTION("azure and anthropic carry the key in their own headers") {
    auto azure = backend(config::Protocol::azure_openai);
    azure.api_version = "2024-10-21";
    const auto a = request_for(azure, "k1", policy::Endpoint::embeddings, body, false, "r", "");
    CHECK(a.rfind("POST /v1/openai/deployments/served-model/embeddings?api-version=2024-10-21 HTTP/1.1\r\n", 0) == 0);
    CHECK(a.find("\r\napi-key: k1\r\n") != std::string::npos);
    CHECK(a.find("Authorization") == std::string::npos);
    const auto m = request_for(backend(config::Protocol::anthropic), "k2", policy::Endpoint::chat, body, true, "r",
                               "text/event-stream");
    CHECK(m.rfind("POST /v1/messages HTTP/1.1\r\n", 0) == 0);
    CHECK(m.find("\r\nx-api-key: k2\r\n") != std::string::npos);
    CHECK(m.find("\r\nanthropic-version: 2023-06-01\r\n") != std::string::npos);
    // The Messages body, translated by the Anthropic codec.
    const auto sent = json::parse(split(m).second).as_object();
    CHECK(sent.at("model").as_string() == "served-model");
    CHECK(sent.at("messages").at(0).at("content").at(0).at("text").as_string() == "hi");
  }
  SECTION("health check") {
    const auto h = protocol::make_health_request(backend(), "sk-backend");
    CHECK(h == "GET /v1/models HTTP/1.1\r\nHost: 10.0.0.5:8000\r\nUser-Agent: hybridgw-health/0.1\r\n"
               "Authorization: Bearer sk-backend\r\nConnection: close\r\n\r\n");
  }
}

TEST_CASE("OpenAI-format backends take the client's bytes with the model replaced; others translate",
          "[wire][json-text]") {
  const std::string text = R"({ "model": "alias", "temperature": 0.50, "messages": [{"role":"user","content":"hi"}] })";
  const auto body = obj(text);
  const auto encoded_by = [&](config::Protocol protocol) {
    std::string encoded, error;
    REQUIRE(protocol::backend_codec(protocol).encode_body(body, text, backend(protocol), false, encoded, error));
    return encoded;
  };
  const std::string as_sent = R"({ "model": "served-model", "temperature": 0.50, "messages": [{"role":"user","content":"hi"}] })";
  CHECK(encoded_by(config::Protocol::openai) == as_sent);
  CHECK(encoded_by(config::Protocol::azure_openai) == as_sent);
  // Without the text (another client's request, a redacted copy) the body is serialised.
  std::string serialised, error;
  REQUIRE(protocol::backend_codec(config::Protocol::openai).encode_body(body, {}, backend(), false, serialised, error));
  CHECK(serialised != as_sent);
  CHECK(json::parse(serialised) == json::parse(as_sent));
  // Anthropic and Responses backends get their own format, never the client's bytes.
  CHECK(encoded_by(config::Protocol::anthropic).find(R"("temperature": 0.50)") == std::string::npos);
  CHECK(encoded_by(config::Protocol::openai_responses).find(R"("temperature": 0.50)") == std::string::npos);
}

TEST_CASE("usage scanned from a whole answer equals the usage of the parsed answer", "[wire]") {
  const char* answers[] = {
      R"({"id":"x","choices":[{"message":{"content":"usage: 5"}}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})",
      R"({"usage":{"prompt_tokens":100,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2}}})",
      R"({"usage":{"input_tokens":10,"output_tokens":4,"cache_read_input_tokens":6,"cache_creation_input_tokens":2}})",
      R"({"choices":[]})",
      R"({"usage":null})",
      R"({"usage":[1,2]})",
      R"({"usage":{"prompt_tokens":"12","completion_tokens":null}})",
      R"({"usage":{"prompt_tokens":-3,"completion_tokens":2.9}})",
      R"({"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":{"prompt_tokens":9,"completion_tokens":8}})",
      R"({"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":null})",
      R"({"data":{"usage":{"prompt_tokens":50,"completion_tokens":50}}})",
      R"({"usage":{"prompt_tokens":4,"completion_tokens":1,"prompt_tokens_details":null}})",
      R"({"usage":{"prompt_tokens":4,"completion_tokens":{"a":1}}})",
      R"({"usage":{"prompt_tokens":4,"completion_tokens":5,"prompt_tokens":6}})",
      R"({"u\u0073age":{"prompt_tokens":2,"completion_tokens":3}})",
      // Found by fuzz_usage_scanner: a double beyond 2^64 was converted with
      // undefined behaviour (anywhere in the answer, not only in usage).
      // Found with fuzz_usage_scanner's differential check: a repeated
      // prompt_tokens_details kept the cached count of the first one.
      R"({"usage":{"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":5},"prompt_tokens_details":3}})",
      R"({"usage":{"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":5},"prompt_tokens_details":{}}})",
      R"({"created":1.0e20,"usage":{"prompt_tokens":1e300,"completion_tokens":18446744073709551616.0}})",
  };
  for (const char* answer : answers) {
    INFO(answer);
    const auto scanned = protocol::scan_answer_usage(answer);
    REQUIRE(scanned);
    const auto parsed = protocol::read_usage(obj(answer));
    CHECK(scanned->known == parsed.known);
    CHECK(scanned->input == parsed.input);
    CHECK(scanned->output == parsed.output);
    CHECK(scanned->cached == parsed.cached);
  }
}

TEST_CASE("a count beyond 2^64 saturates, a negative one is 0", "[wire]") {
  const auto u = protocol::scan_answer_usage(R"({"usage":{"prompt_tokens":1e20,"completion_tokens":-1e20}})");
  REQUIRE(u);
  CHECK(u->input == std::numeric_limits<std::uint64_t>::max());
  CHECK(u->output == 0);
  CHECK(protocol::read_usage(obj(R"({"usage":{"prompt_tokens":1e20}})")).input ==
        std::numeric_limits<std::uint64_t>::max());
  CHECK(protocol::count_from_double(18446744073709549568.0) == 18446744073709549568ull);  // largest double < 2^64
  CHECK(protocol::count_from_double(2.9) == 2);
}

TEST_CASE("an answer that is not one JSON object is refused by the scanner", "[wire]") {
  for (const char* answer : {"", "[]", "\"usage\"", "{\"usage\":", "{} {}", "{\"a\":1,}", "<html>502</html>", "null"}) {
    INFO(answer);
    CHECK_FALSE(protocol::scan_answer_usage(answer));
  }
}

TEST_CASE("request features: what routing and budgets read of a body", "[wire][features]") {
  const auto chat = policy::Endpoint::chat;
  auto f = protocol::features_of(obj(R"({"model":"m","stream":true,"max_completion_tokens":0,"max_tokens":77,
      "messages":[{"role":"user","content":"12345678"},
                  {"role":"user","content":[{"type":"text","text":"abcd"},{"type":"image_url","image_url":{"url":"x"}}]},
                  {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}],
      "tools":[{"type":"function","function":{"name":"f"}}],
      "response_format":{"type":"json_schema"}})"),
                                 chat);
  CHECK(f.model == "m");
  CHECK(f.stream);
  CHECK(f.max_tokens == 77);  // max_completion_tokens 0 counts as absent
  CHECK(f.has_tools);
  CHECK(f.json_mode);
  CHECK(f.has_images);
  // Text bytes: "12345678" 8 + "abcd" 4 + the arguments "{}" 2 (types, ids and names are not
  // text) = 14 → (14 + 3) / 4.
  CHECK(f.estimated_prompt_tokens == 4);

  f = protocol::features_of(obj(R"({"max_completion_tokens":9,"max_tokens":77,"functions":[],"messages":[],
                                    "stream":"yes","response_format":{"type":"text"}})"),
                            chat);
  CHECK(f.max_tokens == 9);
  CHECK_FALSE(f.has_tools);  // an empty list is none
  CHECK_FALSE(f.stream);     // not a bool
  CHECK_FALSE(f.json_mode);
  CHECK_FALSE(f.has_images);
  CHECK(f.estimated_prompt_tokens == 0);
  CHECK(f.model.empty());

  f = protocol::features_of(obj(R"({"prompt":"abcdefgh","system":"abcd","functions":[{"name":"g"}]})"), chat);
  CHECK(f.estimated_prompt_tokens == 3);
  CHECK(f.has_tools);
}
