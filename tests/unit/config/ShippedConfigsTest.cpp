// Every configuration we ship must load without errors: a user's first
// `hybridgw check` on an example must never fail.
#include <filesystem>

#include "tests/unit/config/ConfigTestHelpers.hpp"

using namespace hgw::config;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> shipped_configs() {
  std::vector<fs::path> out;
  const fs::path root = HGW_SOURCE_DIR;
  for (const auto* dir : {"config", "config/examples"}) {
    for (const auto& entry : fs::directory_iterator(root / dir))
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every shipped configuration loads with zero errors", "[config][shipped]") {
  const auto files = shipped_configs();
  // gateway.yaml, demo.yaml and the five examples: an empty list would pass vacuously.
  REQUIRE(files.size() >= 7);
  // Files that are only included by others (fragments) still validate on
  // their own only if complete; the shipped set has no fragments at top level.
  for (const auto& f : files) {
    DYNAMIC_SECTION(f.filename().string()) {
      auto r = load_config_file(f.string());
      INFO(test::all_errors(r));
      CHECK(r.errors.empty());
      CHECK(r.ok());
    }
  }
  SUCCEED("checked " << files.size() << " files");
}

TEST_CASE("the production example has what the README promises", "[config][shipped]") {
  const fs::path file = fs::path(HGW_SOURCE_DIR) / "config/gateway.yaml";
  REQUIRE(fs::exists(file));
  auto r = load_config_file(file.string());
  INFO(test::all_errors(r));
  REQUIRE(r.ok());
  const auto& c = *r.config;
  bool local = false, remote = false;
  for (const auto& b : c.backends) (b.locality == Locality::local ? local : remote) = true;
  CHECK(local);
  CHECK(remote);
  CHECK(c.tenants.size() >= 2);
  CHECK(c.state.store == "sqlite");
  CHECK_FALSE(c.compliance.rules.empty());
}
