// The buffered access log: lines from many threads never interleave, a flush
// writes everything, the writer flushes on its own within the interval, and
// reopen() follows a rotated file.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/observability/AccessLog.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace hgw;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

fs::path temp_file(const char* name) {
  return fs::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()) + ".log");
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

obs::AccessRecord record(const std::string& id, std::string_view path = "/v1/chat/completions") {
  obs::AccessRecord r;
  r.request_id = id;
  r.method = "POST";
  r.path = path;
  r.route = "chat";
  r.backend = "local";
  r.tenant = "acme";
  r.status = 200;
  r.outcome = "success";
  r.attempts = 1;
  r.latency_ms = 12.3456789;
  r.input_tokens = 10;
  r.output_tokens = 20;
  r.cost_usd = 0.000123;
  r.decision = "route=chat;rule=default";
  return r;
}

}  // namespace

TEST_CASE("access log: lines from many threads never interleave, and all arrive", "[accesslog]") {
  const auto path = temp_file("hgw-access-threads");
  fs::remove(path);
  {
    // A small buffer, so that full buffers are written while other threads write.
    obs::AccessLog log({path.string(), 4096, 5ms});
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 2000; ++i) {
          const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
          log.write(record(id));
        }
      });
    for (auto& th : threads) th.join();
  }  // the destructor flushes
  std::map<std::string, int> seen;
  for (const auto& line : lines_of(path)) {
    auto v = boost::json::parse(line).as_object();  // a torn line would not parse
    CHECK(v.at("status").as_int64() == 200);
    CHECK(v.at("latency_ms").as_double() == Approx(12.346));
    ++seen[std::string(v.at("request_id").as_string())];
  }
  CHECK(seen.size() == 8 * 2000);
  for (const auto& [id, n] : seen) REQUIRE(n == 1);
  fs::remove(path);
}

TEST_CASE("access log: buffered until the interval or a flush; odd bytes are escaped", "[accesslog]") {
  const auto path = temp_file("hgw-access-flush");
  fs::remove(path);
  obs::AccessLog log({path.string(), 1 << 20, 300ms});
  log.write(record("a", "/v1/x\"y\\z\n\x01\xff"));
  CHECK(lines_of(path).empty());  // in the buffer, not yet in the file
  log.flush();
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 1);
  auto v = boost::json::parse(lines[0]).as_object();
  CHECK(v.at("path").as_string() == "/v1/x\"y\\z\n\x01\xEF\xBF\xBD");
  CHECK(v.at("time").as_string().size() == 24);  // 2026-12-01T12:00:00.123Z
  log.write(record("b"));
  // The writer thread flushes on its own within the interval.
  std::this_thread::sleep_for(800ms);
  CHECK(lines_of(path).size() == 2);
  fs::remove(path);
}

TEST_CASE("access log: reopen follows a rotated file", "[accesslog]") {
  const auto path = temp_file("hgw-access-rotate");
  const auto rotated = fs::path(path.string() + ".1");
  fs::remove(path);
  fs::remove(rotated);
  obs::AccessLog log({path.string(), 1 << 20, 10s});
  log.write(record("before"));
  fs::rename(path, rotated);  // logrotate moves the file ...
  log.write(record("pending"));
  CHECK(log.reopen().empty());  // ... and signals: what was buffered goes to the old file
  log.write(record("after"));
  log.flush();
  const auto old_lines = lines_of(rotated), new_lines = lines_of(path);
  REQUIRE(old_lines.size() == 2);
  REQUIRE(new_lines.size() == 1);
  CHECK(new_lines[0].find("\"after\"") != std::string::npos);
  fs::remove(path);
  fs::remove(rotated);
}

TEST_CASE("access log: the exact text of strings and latencies", "[accesslog]") {
  std::string out;
  obs::append_json_string(out, "plain ASCII, then \"quoted\" \\ \t\x1f\x7f 中文 \xC3");
  CHECK(out == "\"plain ASCII, then \\\"quoted\\\" \\\\ \\t\\u001f\x7f 中文 \\ufffd\"");
  out.clear();
  obs::append_json_string(out, "");
  CHECK(out == "\"\"");
  // A special byte at every position of two 16-byte blocks and their tail.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(40, 'x');
    text[at] = '"';
    out.clear();
    obs::append_json_string(out, text);
    REQUIRE(out == "\"" + text.substr(0, at) + "\\\"" + text.substr(at + 1) + "\"");
  }

  const auto path = temp_file("hgw-access-latency");
  fs::remove(path);
  {
    obs::AccessLog log({path.string(), 1 << 20, 1s});
    for (double ms : {12.3456789, 7.0, 0.045, 0.0004, 1.1, 1234567.8905, 0.0})
      log.write([&] {
        auto r = record("x");
        r.latency_ms = ms;
        return r;
      }());
  }
  std::vector<std::string> texts;
  for (const auto& line : lines_of(path)) {
    const auto at = line.find("\"latency_ms\":") + 13;
    texts.push_back(line.substr(at, line.find(',', at) - at));
  }
  // Milliseconds rounded to the microsecond, in their shortest form.
  CHECK(texts == std::vector<std::string>{"12.346", "7", "0.045", "0", "1.1", "1234567.891", "0"});
  fs::remove(path);
}
