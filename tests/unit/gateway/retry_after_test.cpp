// Retry-After as upstreams send it: delta-seconds, HTTP-dates in their three
// forms, and the OpenAI/Azure retry-after-ms header.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "gateway/protocol/RetryAfter.hpp"

using namespace hgw::protocol;
using namespace std::chrono;

TEST_CASE("parse_retry_after", "[retry_after]") {
  // Fri, 01 Mar 2024 12:00:00 GMT
  const system_clock::time_point now = sys_days{2024y / March / 1} + 12h;
  auto ra = [&](std::string_view a, std::string_view ms = {}) { return parse_retry_after(a, ms, now); };

  SECTION("delta-seconds") {
    CHECK(ra("120") == milliseconds(120'000));
    CHECK(ra(" 3 ") == milliseconds(3'000));
    CHECK(ra("0") == milliseconds(0));
    CHECK(ra("1.5") == milliseconds(1'500));
    CHECK(ra("99999999999") == milliseconds(24 * 3600 * 1000));  // capped at 24 h
  }
  SECTION("HTTP-date") {
    CHECK(ra("Fri, 01 Mar 2024 12:00:30 GMT") == milliseconds(30'000));   // IMF-fixdate
    CHECK(ra("Friday, 01-Mar-24 12:01:00 GMT") == milliseconds(60'000));  // RFC 850
    CHECK(ra("Fri Mar  1 12:00:05 2024") == milliseconds(5'000));         // asctime
    CHECK(ra("Sat, 02 Mar 2024 12:00:00 GMT") == milliseconds(86'400'000));
    CHECK(ra("Thu, 29 Feb 2024 12:00:00 GMT") == milliseconds(0));  // in the past
    CHECK(ra("fri, 01 mar 2024 12:00:01 gmt") == milliseconds(1'000));
  }
  SECTION("retry-after-ms wins when valid") {
    CHECK(ra("10", "250") == milliseconds(250));
    CHECK(ra("", "12.3") == milliseconds(13));  // rounded up
    CHECK(ra("2", "soon") == milliseconds(2'000));  // bad ms header → Retry-After
    CHECK(ra("", "-5") == std::nullopt);
  }
  SECTION("garbage") {
    CHECK(ra("") == std::nullopt);
    CHECK(ra("   ") == std::nullopt);
    CHECK(ra("-5") == std::nullopt);
    CHECK(ra("abc") == std::nullopt);
    CHECK(ra("1e3") == std::nullopt);
    CHECK(ra("1.2.3") == std::nullopt);
    CHECK(ra("inf") == std::nullopt);
    CHECK(ra("Fri, 32 Mar 2024 12:00:00 GMT") == std::nullopt);
    CHECK(ra("Fri, 31 Feb 2024 12:00:00 GMT") == std::nullopt);
    CHECK(ra("Fri, 01 Mar 2024 25:00:00 GMT") == std::nullopt);
    CHECK(ra("Fri, 01 Mar 2024 12:00:30 EST") == std::nullopt);
    CHECK(ra("Fri, 01 Foo 2024 12:00:30 GMT") == std::nullopt);
    CHECK(ra("Fri, 01 Mar 2024") == std::nullopt);
    CHECK(ra("tomorrow") == std::nullopt);
  }
}

