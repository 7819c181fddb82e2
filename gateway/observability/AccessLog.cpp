#include "gateway/observability/AccessLog.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hgw::obs {

namespace {

std::atomic<std::uint64_t> next_log_id{1};

int open_path(const std::string& path, std::string& error) {
  if (path == "-") return STDOUT_FILENO;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) error = "cannot open access log " + path + ": " + std::strerror(errno);
  return fd;
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Milliseconds with at most three decimals, as the line always had them.
void append_ms(std::string& out, double ms) {
  char buf[48];
  const double micros = std::round(ms * 1000);
  if (!(micros >= 0 && micros < 1e15)) {  // never for a latency; kept exact for anything else
    out.append(buf, std::to_chars(buf, buf + sizeof buf, micros / 1000).ptr);
    return;
  }
  // Integer arithmetic: the same text as the shortest form of the rounded
  // value ("12.3", "7", "0.045"), at a fraction of to_chars(double)'s cost.
  const auto us = static_cast<std::uint64_t>(micros);
  out.append(buf, std::to_chars(buf, buf + sizeof buf, us / 1000).ptr);
  if (std::uint64_t frac = us % 1000) {
    char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                      static_cast<char>('0' + frac % 10)};
    std::size_t n = 4;
    while (digits[n - 1] == '0') --n;
    out.append(digits, n);
  }
}

void append_double(std::string& out, double v) {
  char buf[48];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Length of the valid UTF-8 sequence at s[i], 0 when there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// Bytes a JSON string holds as they are: printable ASCII but '"' and '\\'.
constexpr auto kPlainJsonByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// The end of the run of plain bytes starting at i: 16 bytes per step with SSE2.
std::size_t plain_run_end(std::string_view s, std::size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Bytes >= 0x80 are negative as signed bytes: "below a space" catches them with the controls.
    const __m128i special = _mm_or_si128(_mm_cmpgt_epi8(space, x),
                                         _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
    if (const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special)))
      return i + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  while (i < n && kPlainJsonByte[p[i]]) ++i;
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    // Runs of printable ASCII other than '"' and '\\' (nearly every field) are
    // copied in one append: byte-wise appends cost a line several thousand
    // instructions.
    const std::size_t plain = plain_run_end(s, i);
    if (plain > i) {
      out.append(s.data() + i, plain - i);
      i = plain;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (const std::size_t n = utf8_length(s, i)) {
        out.append(s.data() + i, n);
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void append_utc_now(std::string& out) {
  // strftime once a second per thread; the milliseconds each time.
  thread_local std::time_t cached_second = -1;
  thread_local char prefix[24];
  thread_local std::size_t prefix_len = 0;
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  if (secs != cached_second) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    prefix_len = std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = secs;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  out.append(prefix, prefix_len);
  char tail[8] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z'};
  out.append(tail, 5);
}

std::string utc_now_rfc3339() {
  std::string s;
  append_utc_now(s);
  return s;
}

AccessLog::AccessLog(Options options) : options_(std::move(options)), id_(next_log_id.fetch_add(1)) {
  if (options_.path.empty() || options_.path == "off") return;
  fd_ = open_path(options_.path, error_);
  if (fd_ < 0) return;
  owns_fd_ = fd_ != STDOUT_FILENO;
  enabled_ = true;
  writer_ = std::thread([this] { writer_loop(); });
}

AccessLog::~AccessLog() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(wake_mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    writer_.join();
  }
  flush();
  if (owns_fd_) ::close(fd_);
}

AccessLog::Buffer& AccessLog::this_thread_buffer() {
  // A thread writes to one log in a running gateway; tests run several.
  thread_local std::vector<std::pair<std::uint64_t, std::shared_ptr<Buffer>>> mine;
  for (auto& [id, buffer] : mine)
    if (id == id_) return *buffer;
  auto b = std::make_shared<Buffer>();
  b->text.reserve(options_.buffer_bytes + 1024);
  {
    std::lock_guard lock(buffers_mutex_);
    buffers_.push_back(b);
  }
  mine.emplace_back(id_, b);
  return *b;
}

void AccessLog::write(const AccessRecord& r) {
  if (!enabled_) return;
  Buffer& b = this_thread_buffer();
  bool full = false;
  {
    std::lock_guard lock(b.mutex);  // uncontended: the writer takes it only to swap
    std::string& out = b.text;
    out += "{\"time\":\"";
    append_utc_now(out);
    out += "\",\"request_id\":";
    append_json_string(out, r.request_id);
    out += ",\"method\":";
    append_json_string(out, r.method);
    out += ",\"path\":";
    append_json_string(out, r.path);
    out += ",\"route\":";
    append_json_string(out, r.route);
    out += ",\"backend\":";
    append_json_string(out, r.backend);
    out += ",\"tenant\":";
    append_json_string(out, r.tenant);
    out += ",\"status\":";
    append_number(out, r.status);
    out += ",\"outcome\":";
    append_json_string(out, r.outcome);
    out += ",\"attempts\":";
    append_number(out, static_cast<std::uint64_t>(std::max(0, r.attempts)));
    out += ",\"latency_ms\":";
    append_ms(out, r.latency_ms);
    if (r.ttft_ms >= 0) {
      out += ",\"ttft_ms\":";
      append_ms(out, r.ttft_ms);
    }
    out += r.stream ? ",\"stream\":true" : ",\"stream\":false";
    out += ",\"input_tokens\":";
    append_number(out, r.input_tokens);
    out += ",\"output_tokens\":";
    append_number(out, r.output_tokens);
    out += ",\"cached_tokens\":";
    append_number(out, r.cached_tokens);
    out += ",\"cost_usd\":";
    append_double(out, r.cost_usd);
    if (!r.decision.empty()) {
      out += ",\"decision\":";
      append_json_string(out, r.decision);
    }
    if (!r.continued.empty()) {
      out += ",\"continued\":";
      append_json_string(out, r.continued);
    }
    out += "}\n";
    full = out.size() >= options_.buffer_bytes;
  }
  if (full) {
    {
      std::lock_guard lock(wake_mutex_);
      full_ = true;
    }
    wake_.notify_one();
  }
}

void AccessLog::write_out() {
  std::vector<std::shared_ptr<Buffer>> buffers;
  {
    std::lock_guard lock(buffers_mutex_);
    buffers = buffers_;
  }
  std::string batch;
  batch.swap(pending_);
  for (auto& b : buffers) {
    std::lock_guard lock(b->mutex);
    if (batch.empty()) {
      batch.swap(b->text);
      b->text.reserve(options_.buffer_bytes + 1024);
    } else {
      batch += b->text;
      b->text.clear();
    }
  }
  const char* p = batch.data();
  std::size_t left = batch.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a full disk must not take the gateway down
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // What the file did not take is tried again next time, within bounds.
  if (left > 0 && left <= 16 * options_.buffer_bytes) pending_.assign(p, left);
}

void AccessLog::flush() {
  if (!enabled_) return;
  std::lock_guard lock(flush_mutex_);
  write_out();
}

std::string AccessLog::reopen() {
  if (!enabled_ || !owns_fd_) return {};
  std::lock_guard lock(flush_mutex_);
  write_out();
  std::string error;
  const int fd = open_path(options_.path, error);
  if (fd < 0) return error;  // keep writing to the old file
  ::close(fd_);
  fd_ = fd;
  return {};
}

void AccessLog::writer_loop() {
  std::unique_lock lock(wake_mutex_);
  while (!stop_) {
    wake_.wait_for(lock, options_.flush_interval, [&] { return stop_ || full_; });
    full_ = false;
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace hgw::obs
