// Which header carries the client's API key: OpenAI SDKs send
// "Authorization: Bearer", Anthropic's x-api-key, Azure's api-key. Field names
// match in any case; the first field of a name counts.
#include <catch2/catch.hpp>

#include "gateway/pipeline/Authentication.hpp"

using namespace hgw;
namespace http = boost::beast::http;

namespace {
server::Request request(std::initializer_list<std::pair<std::string, std::string>> fields) {
  server::Request r{http::verb::post, "/v1/chat/completions", 11};
  r.set(http::field::host, "gw");
  r.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : fields) r.insert(name, value);
  return r;
}
}  // namespace

TEST_CASE("presented key: a bearer token in any case of name and scheme") {
  CHECK(pipeline::presented_key(request({{"Authorization", "Bearer sk-1"}})) == "sk-1");
  CHECK(pipeline::presented_key(request({{"authorization", "bearer sk-2"}})) == "sk-2");
  CHECK(pipeline::presented_key(request({{"AUTHORIZATION", "BEARER sk-3"}})) == "sk-3");
}

TEST_CASE("presented key: x-api-key and api-key when there is no bearer token") {
  CHECK(pipeline::presented_key(request({{"x-api-key", "ak-1"}})) == "ak-1");
  CHECK(pipeline::presented_key(request({{"X-Api-Key", "ak-2"}})) == "ak-2");
  CHECK(pipeline::presented_key(request({{"Api-Key", "az-1"}})) == "az-1");
  // A bearer token wins over the others, whatever the order of the fields.
  CHECK(pipeline::presented_key(request({{"x-api-key", "ak"}, {"Authorization", "Bearer sk"}})) == "sk");
  // x-api-key wins over api-key.
  CHECK(pipeline::presented_key(request({{"api-key", "az"}, {"x-api-key", "ak"}})) == "ak");
}

TEST_CASE("presented key: a non-bearer Authorization falls through") {
  CHECK(pipeline::presented_key(request({{"Authorization", "Basic dXNlcjpwYXNz"}, {"x-api-key", "ak"}})) == "ak");
  CHECK(pipeline::presented_key(request({{"Authorization", "Bearer"}, {"api-key", "az"}})) == "az");
  CHECK(pipeline::presented_key(request({{"Authorization", "Basic x"}})).empty());
  CHECK(pipeline::presented_key(request({})).empty());
  // Only the first Authorization counts, as Beast's look-up of the field.
  CHECK(pipeline::presented_key(request({{"Authorization", "Basic x"}, {"Authorization", "Bearer sk"}})).empty());
  // An empty x-api-key does not hide api-key.
  CHECK(pipeline::presented_key(request({{"x-api-key", ""}, {"api-key", "az"}})) == "az");
}

TEST_CASE("presented key: look-alike names are not key fields") {
  CHECK(pipeline::presented_key(request({{"x-api-keys", "no"}, {"xapi-key", "no"}, {"api_key", "no"}})).empty());
  CHECK(pipeline::presented_key(request({{"x-api-key ", "no"}})).empty());
}
