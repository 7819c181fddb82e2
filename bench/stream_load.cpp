// stream_load: many concurrent streaming chat requests at once, for bench/run.sh.
//
// Opens --streams non-blocking connections to --target at once (one epoll loop,
// one thread), sends one streaming POST /v1/chat/completions on each and reads
// every SSE event as it arrives. Per stream it records the time to the first
// `data:` event and the largest gap between two successive `data:` events
// (the time a client saw no token); a stream is complete when its status was
// 200, it ended with `data: [DONE]`, carried no error event and its body ended
// properly (the last chunk of a chunked body). The RSS and CPU time of the
// processes given with --watch (the server under test) are sampled meanwhile.
//
// A C++ tool and not Python: a Python asyncio client holding 4,000 streams at
// 10 tokens/s each needed ~1.1 cores on its own (5.7 s CPU for 200k events),
// more than half of the 2-core machine the server under test shares with it;
// this loop needs a small fraction of that (it reports its own CPU time).
//
// usage: stream_load --target HOST:PORT [--streams N] [--model M] [--max-tokens N]
//                    [--key KEY] [--timeout-s S] [--watch PID]... [--sample-ms MS]
// prints one line of JSON (see the end of main); exit 0 when every stream completed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int streams = 4000;
  std::string model = "bench-model";
  int max_tokens = 50;
  std::string key = "sk-bench-not-a-real-key";
  int timeout_s = 120;
  int sample_ms = 50;
  int batch_us = 1000;
  std::vector<int> watch;
};

enum class State { Connecting, Sending, Head, Body, Done, Failed };
enum class ChunkState { Size, Data, DataEnd, Trailer };

struct Stream {
  int fd = -1;
  State state = State::Connecting;
  std::size_t sent = 0;
  std::string in;   // undecoded bytes (head, chunk framing)
  std::string sse;  // decoded body not yet split into events
  int status = 0;
  bool chunked = false, close_delimited = false;
  long long content_left = -1, chunk_left = 0;
  ChunkState cs = ChunkState::Size;
  int events = 0;  // data: events other than [DONE]
  bool done_seen = false, error_seen = false, body_ended = false;
  std::int64_t t_connected = 0, t_head = 0, t_first = 0, t_last = 0, max_gap = 0;
  std::string failure;
};

void fail(Stream& s, std::string why) {
  if (s.state == State::Failed || s.state == State::Done) return;
  s.state = State::Failed;
  s.failure = std::move(why);
}

// Splits the decoded body into SSE events ("\n\n"-separated) and records their arrival.
void scan_events(Stream& s, std::int64_t t) {
  for (;;) {
    std::size_t end = s.sse.find("\n\n");
    std::size_t sep = 2;
    const std::size_t crlf = s.sse.find("\r\n\r\n");
    if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) end = crlf, sep = 4;
    if (end == std::string::npos) return;
    const std::string_view ev(s.sse.data(), end);
    bool has_data = false, is_error = false, is_done = false;
    std::size_t pos = 0;
    while (pos <= ev.size()) {
      std::size_t nl = ev.find('\n', pos);
      if (nl == std::string_view::npos) nl = ev.size();
      std::string_view line = ev.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.starts_with("data:")) {
        has_data = true;
        std::string_view d = line.substr(5);
        while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
        if (d == "[DONE]") is_done = true;
        else if (d.starts_with("{\"error\"")) is_error = true;
      } else if (line.starts_with("event:") && line.find("error") != std::string_view::npos) {
        is_error = true;
      }
      pos = nl + 1;
    }
    if (is_error) s.error_seen = true;
    if (is_done) s.done_seen = true;
    if (has_data) {
      if (!is_done) ++s.events;
      if (s.t_first == 0) s.t_first = t;
      else s.max_gap = std::max(s.max_gap, t - s.t_last);
      s.t_last = t;
    }
    s.sse.erase(0, end + sep);
  }
}

void finish_body(Stream& s) {
  s.body_ended = true;
  s.state = State::Done;
}

// Consumes s.in as body bytes (chunked, Content-Length or close-delimited).
void decode_body(Stream& s, std::int64_t t) {
  if (!s.chunked) {
    std::size_t take = s.in.size();
    if (s.content_left >= 0) take = std::min<std::size_t>(take, static_cast<std::size_t>(s.content_left));
    s.sse.append(s.in, 0, take);
    s.in.erase(0, take);
    if (s.content_left >= 0) {
      s.content_left -= static_cast<long long>(take);
      scan_events(s, t);
      if (s.content_left == 0) finish_body(s);
    } else {
      scan_events(s, t);
    }
    return;
  }
  for (;;) {
    if (s.cs == ChunkState::Size) {
      const std::size_t nl = s.in.find("\r\n");
      if (nl == std::string::npos) break;
      s.chunk_left = std::strtoll(s.in.c_str(), nullptr, 16);
      s.in.erase(0, nl + 2);
      s.cs = s.chunk_left == 0 ? ChunkState::Trailer : ChunkState::Data;
    } else if (s.cs == ChunkState::Data) {
      if (s.in.empty()) break;
      const std::size_t take = std::min<std::size_t>(s.in.size(), static_cast<std::size_t>(s.chunk_left));
      s.sse.append(s.in, 0, take);
      s.in.erase(0, take);
      s.chunk_left -= static_cast<long long>(take);
      if (s.chunk_left == 0) s.cs = ChunkState::DataEnd;
    } else if (s.cs == ChunkState::DataEnd) {
      if (s.in.size() < 2) break;
      s.in.erase(0, 2);
      s.cs = ChunkState::Size;
    } else {  // trailers, then the empty line
      const std::size_t nl = s.in.find("\r\n");
      if (nl == std::string::npos) break;
      const bool empty = nl == 0;
      s.in.erase(0, nl + 2);
      if (empty) {
        scan_events(s, t);
        finish_body(s);
        return;
      }
    }
  }
  scan_events(s, t);
}

void parse_head(Stream& s, std::int64_t t) {
  const std::size_t end = s.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (s.in.size() > 65536) fail(s, "response head too large");
    return;
  }
  std::string head = s.in.substr(0, end);
  s.in.erase(0, end + 4);
  s.t_head = t;
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return fail(s, "bad status line");
  s.status = std::atoi(head.c_str() + 9);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  bool has_length = false;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "transfer-encoding" && value.find("chunked") != std::string::npos) s.chunked = true;
    if (name == "content-length") has_length = true, s.content_left = std::atoll(value.c_str());
  }
  if (!s.chunked && !has_length) s.close_delimited = true;
  s.state = State::Body;
  decode_body(s, t);
}

long rss_kb(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

long cpu_ticks(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto rp = all.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream rest(all.substr(rp + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::atol(field.c_str());
    if (i == 15) { stime = std::atol(field.c_str()); break; }
  }
  return utime + stime;
}

long watched_rss(const Options& o) {
  long sum = 0;
  for (int pid : o.watch) {
    const long r = rss_kb(pid);
    if (r > 0) sum += r;
  }
  return sum;
}
long watched_ticks(const Options& o) {
  long sum = 0;
  for (int pid : o.watch) {
    const long c = cpu_ticks(pid);
    if (c > 0) sum += c;
  }
  return sum;
}

double pct(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  std::size_t k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.5);
  k = std::min(v.size() - 1, k == 0 ? 0 : k - 1);
  return static_cast<double>(v[k]) / 1000.0;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "stream_load: %s\nusage: stream_load --target HOST:PORT [--streams N] [--model M] "
               "[--max-tokens N] [--key KEY] [--timeout-s S] [--watch PID]... [--sample-ms MS]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view f = argv[i];
    if (f == "--help" || f == "-h") return usage("help"), 0;
    if (i + 1 >= argc) return usage("missing value");
    const std::string v = argv[++i];
    if (f == "--target") {
      const auto c = v.rfind(':');
      if (c == std::string::npos) return usage("--target HOST:PORT");
      o.host = v.substr(0, c);
      o.port = std::atoi(v.c_str() + c + 1);
    } else if (f == "--streams") o.streams = std::atoi(v.c_str());
    else if (f == "--model") o.model = v;
    else if (f == "--max-tokens") o.max_tokens = std::atoi(v.c_str());
    else if (f == "--key") o.key = v;
    else if (f == "--timeout-s") o.timeout_s = std::atoi(v.c_str());
    else if (f == "--sample-ms") o.sample_ms = std::max(1, std::atoi(v.c_str()));
    else if (f == "--watch") o.watch.push_back(std::atoi(v.c_str()));
    else if (f == "--batch-us") o.batch_us = std::max(0, std::atoi(v.c_str()));
    else return usage("unknown flag");
  }
  if (o.port <= 0 || o.streams <= 0) return usage("--target HOST:PORT is required");

  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(o.streams) + 64) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(o.streams) + 64);
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  const std::string body = "{\"model\":\"" + o.model + "\",\"stream\":true,\"max_tokens\":" +
                           std::to_string(o.max_tokens) +
                           ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story, one word per token.\"}]}";
  std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                        "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n";
  if (!o.key.empty()) request += "Authorization: Bearer " + o.key + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) return usage("--target: an IPv4 address");

  const int ep = epoll_create1(0);
  std::vector<Stream> streams(static_cast<std::size_t>(o.streams));
  const long ticks0 = watched_ticks(o);
  const long rss0 = watched_rss(o);
  long rss_peak = rss0, rss_all_open = -1;
  const std::int64_t t0 = now_us();
  int open_now = 0, max_open = 0, first_token_count = 0;
  std::int64_t t_all_connected = 0, t_all_first = 0;
  int connected = 0;

  for (std::size_t i = 0; i < streams.size(); ++i) {
    Stream& s = streams[i];
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      fail(s, std::string("socket: ") + std::strerror(errno));
      continue;
    }
    int one = 1;
    setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
      fail(s, std::string("connect: ") + std::strerror(errno));
      close(s.fd);
      s.fd = -1;
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
    ++open_now;
  }
  max_open = open_now;

  auto close_stream = [&](Stream& s) {
    if (s.fd >= 0) {
      epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
      close(s.fd);
      s.fd = -1;
      --open_now;
    }
  };

  std::vector<epoll_event> evs(1024);
  std::vector<char> buf(1 << 16);
  std::int64_t next_sample = t0;
  int last_batch = 0;
  const std::int64_t deadline = t0 + static_cast<std::int64_t>(o.timeout_s) * 1000000;
  while (open_now > 0) {
    const std::int64_t t = now_us();
    if (t >= deadline) break;
    if (t >= next_sample) {
      const long r = watched_rss(o);
      rss_peak = std::max(rss_peak, r);
      next_sample = t + o.sample_ms * 1000;
    }
    // After a partial batch, sleep --batch-us before polling again, so that one
    // wake-up collects many events: on this kind of VM the wake-ups, not the
    // reads, cost most of a client's CPU. It delays what the client sees by at
    // most batch_us (1 ms by default, against a 1 s gap target).
    if (o.batch_us > 0 && last_batch < static_cast<int>(evs.size())) usleep(static_cast<useconds_t>(o.batch_us));
    const int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10);
    last_batch = n;
    const std::int64_t tn = now_us();
    for (int k = 0; k < n; ++k) {
      Stream& s = streams[evs[k].data.u64];
      if (s.fd < 0) continue;
      if (s.state == State::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          fail(s, std::string("connect: ") + std::strerror(err));
          close_stream(s);
          continue;
        }
        s.t_connected = tn;
        if (++connected == o.streams) t_all_connected = tn;
        s.state = State::Sending;
      }
      if (s.state == State::Sending) {
        const ssize_t w = send(s.fd, request.data() + s.sent, request.size() - s.sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          fail(s, std::string("send: ") + std::strerror(errno));
          close_stream(s);
          continue;
        }
        if (w > 0) s.sent += static_cast<std::size_t>(w);
        if (s.sent == request.size()) {
          s.state = State::Head;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = evs[k].data.u64;
          epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev);
        }
        continue;
      }
      for (;;) {
        const ssize_t r = recv(s.fd, buf.data(), buf.size(), 0);
        if (r > 0) {
          const bool had_first = s.t_first != 0;
          s.in.append(buf.data(), static_cast<std::size_t>(r));
          if (s.state == State::Head) parse_head(s, tn);
          else if (s.state == State::Body) decode_body(s, tn);
          if (!had_first && s.t_first != 0 && ++first_token_count == o.streams) {
            t_all_first = tn;
            rss_all_open = watched_rss(o);
            rss_peak = std::max(rss_peak, rss_all_open);
          }
          if (s.state == State::Done || s.state == State::Failed) break;
          if (static_cast<std::size_t>(r) < buf.size()) break;
          continue;
        }
        if (r == 0) {
          if (s.state == State::Body && s.close_delimited) {
            scan_events(s, tn);
            finish_body(s);
          } else {
            fail(s, s.state == State::Head ? "closed before the response head" : "closed before the body ended");
          }
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
          break;
        } else {
          fail(s, std::string("recv: ") + std::strerror(errno));
        }
        break;
      }
      if (s.state == State::Done || s.state == State::Failed) close_stream(s);
    }
  }
  const std::int64_t t_end = now_us();
  const long rss_end = watched_rss(o);
  rss_peak = std::max(rss_peak, rss_end);
  const long ticks1 = watched_ticks(o);

  int completed = 0, unfinished = 0, with_error = 0, over_1s = 0;
  std::map<std::string, int> failures, statuses;
  std::vector<std::int64_t> gaps, ttfts, connects;
  std::int64_t max_gap = 0;
  long long events = 0;
  for (auto& s : streams) {
    if (s.fd >= 0) {  // timed out
      fail(s, "unfinished at the deadline");
      close(s.fd);
      s.fd = -1;
    }
    if (s.status) ++statuses[std::to_string(s.status)];
    const bool ok = s.state == State::Done && s.status == 200 && s.done_seen && !s.error_seen && s.body_ended;
    if (ok) ++completed;
    else if (s.state == State::Done) ++failures[s.status != 200 ? "status " + std::to_string(s.status)
                                                 : s.error_seen ? "error event" : "no [DONE]"];
    else ++failures[s.failure.empty() ? "unknown" : s.failure];
    if (s.failure == "unfinished at the deadline") ++unfinished;
    if (s.error_seen) ++with_error;
    if (s.t_first) {
      ttfts.push_back(s.t_first - t0);
      gaps.push_back(s.max_gap);
      max_gap = std::max(max_gap, s.max_gap);
      if (s.max_gap > 1000000) ++over_1s;
    }
    if (s.t_connected) connects.push_back(s.t_connected - t0);
    events += s.events;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double client_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  const double clk = static_cast<double>(sysconf(_SC_CLK_TCK));

  std::string fl;
  for (auto& [k, v] : failures) fl += (fl.empty() ? "" : ",") + ("\"" + json_escape(k) + "\":" + std::to_string(v));
  std::string st;
  for (auto& [k, v] : statuses) st += (st.empty() ? "" : ",") + ("\"" + k + "\":" + std::to_string(v));
  std::printf(
      "{\"streams\":%d,\"completed\":%d,\"completed_fraction\":%.6f,\"unfinished\":%d,\"with_error_event\":%d,"
      "\"statuses\":{%s},\"failures\":{%s},\"events\":%lld,\"max_open\":%d,"
      "\"max_gap_ms\":%.3f,\"gap_p50_ms\":%.3f,\"gap_p99_ms\":%.3f,\"streams_with_gap_over_1s\":%d,"
      "\"ttft_p50_ms\":%.3f,\"ttft_p99_ms\":%.3f,\"ttft_max_ms\":%.3f,\"connect_max_ms\":%.3f,"
      "\"all_connected_ms\":%.3f,\"all_first_token_ms\":%.3f,\"wall_s\":%.3f,"
      "\"rss_before_kb\":%ld,\"rss_all_open_kb\":%ld,\"rss_peak_kb\":%ld,\"rss_end_kb\":%ld,"
      "\"watched_cpu_s\":%.3f,\"client_cpu_s\":%.3f}\n",
      o.streams, completed, static_cast<double>(completed) / o.streams, unfinished, with_error, st.c_str(),
      fl.c_str(), events, max_open, static_cast<double>(max_gap) / 1000.0, pct(gaps, 50), pct(gaps, 99), over_1s,
      pct(ttfts, 50), pct(ttfts, 99), pct(ttfts, 100), pct(connects, 100),
      t_all_connected ? static_cast<double>(t_all_connected - t0) / 1000.0 : -1.0,
      t_all_first ? static_cast<double>(t_all_first - t0) / 1000.0 : -1.0, static_cast<double>(t_end - t0) / 1e6,
      rss0, rss_all_open, rss_peak, rss_end, static_cast<double>(ticks1 - ticks0) / clk, client_cpu);
  return completed == o.streams ? 0 : 1;
}
