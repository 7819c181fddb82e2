// include: merging list sections across files, and errors located in the
// included file itself.
#include "tests/unit/config/ConfigTestHelpers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using namespace hgw::config;

namespace {
const std::string kDir = std::string(HGW_SOURCE_DIR) + "/tests/fixtures/config/include/";
}

TEST_CASE("included files are merged: lists concatenated in order", "[config][include]") {
  auto r = load_config_file(kDir + "main.yaml");
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& c = *r.config;
  REQUIRE(c.backends.size() == 2);
  CHECK(c.backends[0].name == "local");
  REQUIRE(c.compliance.rules.size() == 2);
  CHECK(c.compliance.rules[0].name == "main-rule");  // the including file first
  CHECK(c.compliance.rules[1].name == "rule2");      // numbered in the merged list
  CHECK(c.compliance.detectors == std::vector<std::string>{"email"});
  CHECK(c.source_file == kDir + "main.yaml");
}

TEST_CASE("errors inside an included file name that file and its lines", "[config][include]") {
  auto r = load_config_file(kDir + "bad-main.yaml");
  REQUIRE_FALSE(r.ok());
  const auto part = kDir + "bad-part.yaml";
  const auto main = kDir + "bad-main.yaml";
  bool unknown_in_part = false, server_twice = false, missing = false;
  for (const auto& e : r.errors) {
    if (e.file == part && e.line == 9 && e.column == 16 && e.path == "$.backends[0].timeouts.conect_ms" &&
        e.message == "unknown key 'conect_ms'; did you mean 'connect_ms'?")
      unknown_in_part = true;
    if (e.file == part && e.line == 2 && e.column == 1 && e.path == "$.server" &&
        e.message.find(main + ":4") != std::string::npos && e.message.find(part + ":2") != std::string::npos)
      server_twice = true;
    if (e.file == main && e.line == 3 && e.column == 5 && e.path == "$.include[1]" &&
        e.message.find("cannot read included file") != std::string::npos)
      missing = true;
  }
  INFO(test::all_errors(r));
  CHECK(unknown_in_part);
  CHECK(server_twice);
  CHECK(missing);
  CHECK(r.errors.size() == 3);
}

TEST_CASE("include cycles are errors", "[config][include]") {
  auto r = load_config_file(kDir + "cycle-a.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == kDir + "cycle-b.yaml");
  CHECK(r.errors[0].line == 1);
  CHECK(r.errors[0].column == 11);
  CHECK(r.errors[0].message == "include cycle: cycle-a.yaml -> cycle-b.yaml -> cycle-a.yaml");
}

TEST_CASE("a syntax error in an included file is located in it", "[config][include]") {
  auto r = load_config_file(kDir + "bad-syntax-main.yaml");
  INFO(test::all_errors(r));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == kDir + "bad-syntax-part.yaml");
  CHECK(r.errors[0].line >= 3);
  CHECK(r.errors[0].message.find("YAML syntax error") != std::string::npos);
}

TEST_CASE("the kitchen-sink bad fixture reports each error once", "[config]") {
  auto r = load_config_file(std::string(HGW_SOURCE_DIR) + "/tests/fixtures/config/bad-everything.yaml");
  INFO(test::all_errors(r));
  REQUIRE_ERROR(r, 3, 11, "$.server.listen", "port must be a number from 1 to 65535");
  REQUIRE_ERROR(r, 5, 5, "$.backends[0]", "missing required key 'model'");
  REQUIRE_ERROR(r, 8, 5, "$.backends[0].modle", "did you mean 'model'?");
  REQUIRE_ERROR(r, 10, 28, "$.backends[0].timeouts.connect_ms", "must not be negative");
  REQUIRE_ERROR(r, 14, 15, "$.routes[0].strategy", "invalid value 'cheapest-first'");
  REQUIRE_ERROR(r, 15, 22, "$.routes[0].targets[1]", "unknown backend 'missing-backend'");
  REQUIRE_ERROR(r, 18, 12, "$.tenants[0].keys[0]", "64 hex digits");
  REQUIRE_ERROR(r, 19, 17, "$.tenants[0].data_class", "unknown data class 'secret'");
  CHECK(r.errors.size() == 8);
}

TEST_CASE("an include that is not a regular file is refused without reading it", "[config][include]") {
  // Found while fuzzing the loader: include: /dev/zero read until memory ran
  // out, and a FIFO (include: /dev/stdin) would block the load or a reload forever.
  auto zero = load_config_string("include: /dev/zero\n", kDir + "virtual.yaml");
  REQUIRE_ERROR(zero, 1, 10, "$.include", "cannot read included file '/dev/zero': is not a regular file");

  const auto dir = std::filesystem::temp_directory_path() / ("hgw-fifo-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  REQUIRE(::mkfifo((dir / "pipe.yaml").c_str(), 0600) == 0);
  auto fifo = load_config_string("include: pipe.yaml\n", (dir / "main.yaml").string());
  std::filesystem::remove_all(dir);
  REQUIRE_ERROR(fifo, 1, 10, "$.include", "is not a regular file");
}

TEST_CASE("a top-level configuration may be a pipe but not an endless one", "[config][include]") {
  auto r = load_config_file("/dev/zero");
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::Contains("larger than 16 MiB"));
}
