#include <catch2/catch.hpp>

#include "gateway/config/AddressParsing.hpp"
#include "gateway/config/DidYouMean.hpp"

using namespace hgw::config;

TEST_CASE("edit distance counts a transposition as one edit", "[config][didyoumean]") {
  CHECK(edit_distance("modle", "model") == 1);
  CHECK(edit_distance("model", "model") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("Model", "model") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("closest_match suggests plausible typos only", "[config][didyoumean]") {
  const std::vector<std::string> keys = {"name", "url", "model", "locality", "timeouts", "api_key_env"};
  CHECK(closest_match("modle", keys) == "model");
  CHECK(closest_match("localty", keys) == "locality");
  CHECK(closest_match("timeout", keys) == "timeouts");
  CHECK(closest_match("api_key", keys) == "api_key_env");
  CHECK_FALSE(closest_match("banana", keys).has_value());
  CHECK_FALSE(closest_match("x", {"a"}).has_value());
  CHECK(did_you_mean_suffix("urll", keys) == "; did you mean 'url'?");
  CHECK(did_you_mean_suffix("zzzzzz", keys).empty());
}

TEST_CASE("listen address parsing", "[config]") {
  std::string err;
  auto a = parse_listen_address("0.0.0.0:8080", err);
  REQUIRE(a);
  CHECK(a->host == "0.0.0.0");
  CHECK(a->port == 8080);
  auto b = parse_listen_address("[::]:443", err);
  REQUIRE(b);
  CHECK(b->host == "::");
  CHECK_FALSE(parse_listen_address("host:65536", err));
  CHECK_FALSE(parse_listen_address(":8080", err));
  CHECK_FALSE(parse_listen_address("[::1]", err));
  CHECK_FALSE(parse_listen_address("[zz]:80", err));
  CHECK_FALSE(parse_listen_address("host:80x", err));
}

TEST_CASE("backend url parsing", "[config]") {
  std::string err;
  auto u = parse_backend_url("HTTPS://API.example.com:8443/v1//", err);
  REQUIRE(u);
  CHECK(u->https);
  CHECK(u->host == "API.example.com");
  CHECK(u->port == "8443");
  CHECK(u->base_path == "/v1");
  auto v = parse_backend_url("http://localhost:11434", err);
  REQUIRE(v);
  CHECK(v->base_path.empty());
  CHECK_FALSE(parse_backend_url("http://h/v1?api-version=1", err));
  CHECK_FALSE(parse_backend_url("http://:80/", err));
}
