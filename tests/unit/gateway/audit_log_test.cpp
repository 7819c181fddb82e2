// The compliance audit log: line format, rotation, fsync policies, errors that
// never reach the data path, and no detected value ever in the file.
#include <catch2/catch.hpp>

#include "gateway/observability/AuditLog.hpp"
#include "policies/compliance/ComplianceDecision.hpp"
#include "policies/compliance/DetectorSet.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
namespace json = boost::json;
using hgw::obs::AuditLog;
using hgw::obs::AuditRecord;

namespace {

// A fresh directory under the temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("hgw-audit-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

hgw::config::AuditLogConfig cfg_for(const std::string& path, const std::string& fsync = "none") {
  hgw::config::AuditLogConfig c;
  c.path = path;
  c.fsync = *hgw::config::fsync_from_string(fsync);
  return c;
}

AuditRecord sample(int i = 0) {
  AuditRecord r;
  r.time = "2024-05-01T12:00:00.000Z";
  r.request_id = "req-" + std::to_string(i);
  r.tenant = "finance";
  r.data_class = "confidential";
  r.detected = {{"email", 2}, {"cn_mobile", 1}};
  r.rules_matched = {"confidential-redact", "residency"};
  r.action = "redact";
  r.backend = "openai";
  r.backend_locality = "remote";
  r.backend_region = "us";
  r.attempts = 1;
  r.status = 200;
  r.outcome = "success";
  return r;
}

}  // namespace

TEST_CASE("audit line: one JSON object per line with every field", "[audit]") {
  const std::string line = hgw::obs::format_audit_record(sample(7));
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  const auto o = json::parse(line).as_object();
  CHECK(o.at("time").as_string() == "2024-05-01T12:00:00.000Z");
  CHECK(o.at("request_id").as_string() == "req-7");
  CHECK(o.at("tenant").as_string() == "finance");
  CHECK(o.at("data_class").as_string() == "confidential");
  CHECK(o.at("detected").as_object().at("email").as_int64() == 2);
  CHECK(o.at("detected").as_object().at("cn_mobile").as_int64() == 1);
  REQUIRE(o.at("rules_matched").as_array().size() == 2);
  CHECK(o.at("rules_matched").as_array()[0].as_string() == "confidential-redact");
  CHECK(o.at("action").as_string() == "redact");
  CHECK(o.at("backend").as_string() == "openai");
  CHECK(o.at("backend_locality").as_string() == "remote");
  CHECK(o.at("backend_region").as_string() == "us");
  CHECK(o.at("attempts").to_number<int>() == 1);
  CHECK(o.at("status").to_number<int>() == 200);
  CHECK(o.at("outcome").as_string() == "success");

  SECTION("no time given: now, in RFC 3339 UTC") {
    AuditRecord r;
    const auto t = json::parse(hgw::obs::format_audit_record(r)).as_object().at("time").as_string();
    CHECK(t.size() == 24);
    CHECK(t.back() == 'Z');
    CHECK(t[10] == 'T');
  }
  SECTION("strings are JSON-escaped: a hostile request id cannot forge a line") {
    AuditRecord r = sample();
    r.request_id = "x\"\n{\"tenant\":\"evil\"}";
    const std::string l = hgw::obs::format_audit_record(r);
    CHECK(l.find('\n') == l.size() - 1);
    CHECK(json::parse(l).as_object().at("tenant").as_string() == "finance");
  }
}

TEST_CASE("audit log: disabled, and an unopenable path is reported, not created", "[audit]") {
  AuditLog off(cfg_for(""));
  CHECK(!off.enabled());
  CHECK(off.open_error().empty());
  off.write(sample());
  CHECK(off.write_errors() == 0);

  TempDir dir;
  const std::string missing = dir.file("no/such/dir/audit.log");
  AuditLog bad(cfg_for(missing));
  CHECK(!bad.enabled());
  CHECK(bad.open_error().find(missing) != std::string::npos);
  CHECK(!fs::exists(dir.path / "no"));
  REQUIRE_NOTHROW(bad.write(sample()));
  CHECK(bad.write_errors() >= 1);
  CHECK(!bad.last_error().empty());
}

TEST_CASE("audit log: appends lines, keeps what was there", "[audit]") {
  TempDir dir;
  const std::string path = dir.file("audit.log");
  {
    AuditLog log(cfg_for(path));
    REQUIRE(log.enabled());
    log.write(sample(1));
    log.write(sample(2));
  }
  {
    AuditLog log(cfg_for(path));
    log.write(sample(3));
    CHECK(log.write_errors() == 0);
    CHECK(log.lines_written() == 1);
  }
  const auto lines = lines_of(path);
  REQUIRE(lines.size() == 3);
  for (int i = 0; i < 3; ++i)
    CHECK(json::parse(lines[i]).as_object().at("request_id").as_string() == "req-" + std::to_string(i + 1));
  CHECK((fs::status(path).permissions() & fs::perms::others_read) == fs::perms::none);
}

TEST_CASE("audit log: rotation by size keeps max_files and loses no line order", "[audit]") {
  TempDir dir;
  const std::string path = dir.file("audit.log");
  auto c = cfg_for(path);
  c.max_bytes = 1024;
  c.max_files = 3;
  const std::size_t line_size = hgw::obs::format_audit_record(sample(100)).size();
  const int total = 200;
  {
    AuditLog log(c);
    for (int i = 100; i < 100 + total; ++i) log.write(sample(i));
    CHECK(log.write_errors() == 0);
  }
  CHECK(fs::exists(path));
  CHECK(fs::exists(path + ".1"));
  CHECK(fs::exists(path + ".2"));
  CHECK(fs::exists(path + ".3"));
  CHECK(!fs::exists(path + ".4"));
  // Oldest first: .3 .2 .1 then the current file; ids consecutive, ending with the last.
  std::vector<std::string> all;
  for (const std::string& f : {path + ".3", path + ".2", path + ".1", path}) {
    CHECK(fs::file_size(f) <= c.max_bytes);
    const auto lines = lines_of(f);
    CHECK(!lines.empty());
    for (const auto& l : lines) all.push_back(l);
  }
  const std::size_t per_file = c.max_bytes / line_size;
  CHECK(all.size() >= 3 * per_file);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto id = json::parse(all[i]).as_object().at("request_id").as_string();
    CHECK(id == "req-" + std::to_string(100 + total - static_cast<int>(all.size()) + static_cast<int>(i)));
  }

  SECTION("an existing file's size counts: a reopen continues rotating at max_bytes") {
    AuditLog log(c);
    for (int i = 0; i < 50; ++i) log.write(sample(i));
    CHECK(fs::file_size(path) <= c.max_bytes);
    CHECK(!fs::exists(path + ".4"));
  }
}

TEST_CASE("audit log: a line longer than max_bytes is still written, alone", "[audit]") {
  TempDir dir;
  const std::string path = dir.file("audit.log");
  auto c = cfg_for(path);
  c.max_bytes = 64;
  c.max_files = 2;
  AuditLog log(c);
  log.write(sample(1));
  log.write(sample(2));
  CHECK(log.write_errors() == 0);
  CHECK(lines_of(path).size() == 1);
  CHECK(lines_of(path + ".1").size() == 1);
}

TEST_CASE("audit log: every fsync policy writes every line, from many threads", "[audit]") {
  const std::string mode = GENERATE(std::string("none"), std::string("every"), std::string("interval"));
  TempDir dir;
  const std::string path = dir.file("audit-" + mode + ".log");
  auto c = cfg_for(path, mode);
  c.fsync_interval_ms = 5;
  constexpr int kThreads = 4, kPerThread = 50;
  {
    AuditLog log(c);
    REQUIRE(log.enabled());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) {
          log.write(sample(t * 1000 + i));
          if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
    for (auto& th : threads) th.join();
    if (mode == "interval") std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a sync or two
    CHECK(log.write_errors() == 0);
    CHECK(log.lines_written() == kThreads * kPerThread);
  }
  const auto lines = lines_of(path);
  REQUIRE(lines.size() == kThreads * kPerThread);
  std::set<std::string> ids;
  for (const auto& l : lines) ids.insert(std::string(json::parse(l).as_object().at("request_id").as_string()));
  CHECK(ids.size() == kThreads * kPerThread);
}

TEST_CASE("audit log: concurrent writers with rotation never tear a line", "[audit]") {
  TempDir dir;
  const std::string path = dir.file("audit.log");
  auto c = cfg_for(path, "every");
  c.max_bytes = 2048;
  c.max_files = 50;
  constexpr int kThreads = 4, kPerThread = 60;
  {
    AuditLog log(c);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) log.write(sample(t * 1000 + i));
      });
    for (auto& th : threads) th.join();
    CHECK(log.write_errors() == 0);
  }
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    CHECK(fs::file_size(entry.path()) <= c.max_bytes);
    for (const auto& l : lines_of(entry.path().string())) {
      CHECK_NOTHROW(json::parse(l));
      ++n;
    }
  }
  CHECK(n == kThreads * kPerThread);  // 50 files are enough to keep them all
}

TEST_CASE("audit log: I/O errors are counted, the caller never sees them", "[audit]") {
  if (!fs::exists("/dev/full")) return;
  AuditLog log(cfg_for("/dev/full"));
  REQUIRE(log.enabled());
  for (int i = 0; i < 3; ++i) REQUIRE_NOTHROW(log.write(sample(i)));
  CHECK(log.write_errors() == 3);
  CHECK(log.last_error().find("/dev/full") != std::string::npos);
  CHECK(log.lines_written() == 0);
}

TEST_CASE("audit log: a record built from a request with PII holds no detected value", "[audit]") {
  namespace c = hgw::compliance;
  hgw::config::ComplianceConfig cc;
  cc.detectors = c::builtin_detector_names();
  cc.classify = {{"cn_resident_id", "restricted"}, {"email", "confidential"}, {"cn_mobile", "confidential"}};
  hgw::config::ComplianceRuleConfig local_only;
  local_only.name = "restricted-local";
  local_only.when_class = "restricted";
  local_only.allow_locality = {"local"};
  cc.rules.push_back(local_only);
  const auto detectors = c::DetectorSet::build(cc);

  const std::vector<std::string> values = {"110101199003074514", "zhang.san@example.com", "13812345678",
                                           "4111111111111111"};
  const std::string prompt = "My ID is " + values[0] + ", mail " + values[1] + ", phone " + values[2] +
                             ", card " + values[3] + ". Please summarise my account.";
  const auto findings = detectors->scan({prompt});
  REQUIRE(findings.size() >= 4);

  hgw::config::BackendConfig local, remote;
  local.name = "local-qwen";
  local.locality = hgw::config::Locality::local;
  local.region = "cn-east";
  remote.name = "openai";
  remote.region = "us";
  const auto d = c::decide(cc, {local, remote}, nullptr, "", findings, "");
  CHECK(d.data_class == "restricted");

  AuditRecord r;
  r.request_id = "req-pii";
  r.data_class = d.data_class;
  r.detected = d.detected;
  r.rules_matched = d.rules_matched;
  r.action = c::to_string(d.action);
  r.backend = local.name;
  r.backend_locality = "local";
  r.backend_region = local.region;
  r.attempts = 1;
  r.status = 200;

  TempDir dir;
  const std::string path = dir.file("audit.log");
  {
    AuditLog log(cfg_for(path, "every"));
    log.write(r);
  }
  const std::string text = slurp(path);
  for (const auto& v : values) CHECK(text.find(v) == std::string::npos);
  CHECK(text.find("Please summarise") == std::string::npos);
  CHECK(text.find("1101011990") == std::string::npos);  // not even a prefix
  const auto o = json::parse(text).as_object();
  CHECK(o.at("data_class").as_string() == "restricted");
  CHECK(o.at("detected").as_object().at("cn_resident_id").as_int64() == 1);
  CHECK(o.at("detected").as_object().at("email").as_int64() == 1);
  CHECK(o.at("detected").as_object().at("cn_mobile").as_int64() == 1);
  CHECK(o.at("detected").as_object().at("credit_card").as_int64() == 1);
  CHECK(o.at("rules_matched").as_array().at(0).as_string() == "restricted-local");
  CHECK(o.at("backend_locality").as_string() == "local");
}
