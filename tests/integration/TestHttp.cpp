#include "tests/integration/TestHttp.hpp"

#include "gateway/Asio.hpp"

#include <boost/asio/connect.hpp>
#include <thread>

namespace hgw::test {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <class Fields>
std::map<std::string, std::string> headers_of(const Fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& f : fields) out[lower(std::string(f.name_string()))] = std::string(f.value());
  return out;
}

http::request<http::string_body> make_request(unsigned short port, const std::string& method,
                                              const std::string& target, const std::string& body,
                                              const Headers& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  return req;
}

}  // namespace

HttpResult http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body, const Headers& headers, std::chrono::milliseconds timeout) {
  HttpResult r;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);
  auto req = make_request(port, method, target, body, headers);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  error_code ec;
  stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](error_code e) {
    if (e) {
      ec = e;
      return;
    }
    http::async_write(stream, req, [&](error_code e, std::size_t) {
      if (e) {
        ec = e;
        return;
      }
      http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    });
  });
  ioc.run();
  if (ec) {
    r.error = ec.message();
    if (!parser.is_header_done()) return r;
  }
  auto msg = parser.release();
  r.status = msg.result_int();
  r.headers = headers_of(msg.base());
  r.body = std::move(msg.body());
  return r;
}

struct HttpConnection::Impl {
  explicit Impl(unsigned short p) : port(p), stream(ioc) {}
  unsigned short port;
  net::io_context ioc;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
};

HttpConnection::HttpConnection(unsigned short port) : impl_(std::make_unique<Impl>(port)) {
  error_code ec;
  impl_->stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  impl_->connected = !ec;
}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::open() const { return impl_->connected && impl_->stream.socket().is_open(); }

unsigned short HttpConnection::local_port() const {
  error_code ec;
  return impl_->stream.socket().local_endpoint(ec).port();
}

bool HttpConnection::server_closes_after_half_close(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  error_code ec;
  s.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return false;
  s.stream.expires_after(timeout);
  char byte;
  error_code read_ec;
  std::size_t n = 0;
  s.stream.async_read_some(net::buffer(&byte, 1), [&](error_code e, std::size_t k) {
    read_ec = e;
    n = k;
  });
  s.ioc.run();
  s.ioc.restart();
  return read_ec == net::error::eof && n == 0;
}

HttpResult HttpConnection::request(const std::string& method, const std::string& target, const std::string& body,
                                   const Headers& headers, std::chrono::milliseconds timeout) {
  HttpResult r;
  if (!open()) {
    r.error = "not connected";
    return r;
  }
  auto& s = *impl_;
  auto req = make_request(s.port, method, target, body, headers);
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  error_code ec;
  s.stream.expires_after(timeout);
  http::async_write(s.stream, req, [&](error_code e, std::size_t) {
    if (e) {
      ec = e;
      return;
    }
    http::async_read(s.stream, s.buffer, parser, [&](error_code e2, std::size_t) { ec = e2; });
  });
  s.ioc.run();
  s.ioc.restart();
  if (ec) {
    r.error = ec.message();
    if (!parser.is_header_done()) return r;
  }
  auto msg = parser.release();
  r.status = msg.result_int();
  r.headers = headers_of(msg.base());
  r.body = std::move(msg.body());
  return r;
}

StreamResult http_stream(unsigned short port, const std::string& target, const std::string& body,
                         const Headers& headers, std::chrono::milliseconds timeout,
                         const std::function<bool(const std::string&)>& on_piece) {
  StreamResult r;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);
  error_code ec;
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    r.error = ec.message();
    return r;
  }
  set_nodelay(stream.socket());
  auto req = make_request(port, "POST", target, body, headers);
  r.sent_at = std::chrono::steady_clock::now();
  http::write(stream, req, ec);
  if (ec) {
    r.error = ec.message();
    return r;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  bool stop = false;
  http::async_read_header(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
  ioc.run();
  ioc.restart();
  if (ec) {
    r.error = ec.message();
    return r;
  }
  r.status = parser.get().result_int();
  r.headers = headers_of(parser.get().base());
  char buf[64 * 1024];
  while (!parser.is_done() && !stop) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof buf;
    http::async_read_some(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    ioc.run();
    ioc.restart();
    const std::size_t got = sizeof buf - parser.get().body().size;
    if (got > 0) {
      std::string piece(buf, got);
      r.pieces.emplace_back(std::chrono::steady_clock::now(), piece);
      r.body += piece;
      if (on_piece && !on_piece(piece)) stop = true;
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      r.error = ec.message();
      break;
    }
  }
  r.complete = parser.is_done();
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
  return r;
}

std::string raw_exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout,
                         bool half_close, std::chrono::milliseconds half_close_after) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);
  error_code ec;
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return "connect failed: " + ec.message();
  if (!bytes.empty()) net::write(stream.socket(), net::buffer(bytes), ec);
  if (half_close) {
    std::this_thread::sleep_for(half_close_after);
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    std::size_t n = 0;
    error_code rec;
    stream.async_read_some(net::buffer(buf), [&](error_code e, std::size_t k) {
      rec = e;
      n = k;
    });
    ioc.run();
    ioc.restart();
    out.append(buf, n);
    if (rec) break;
  }
  return out;
}

std::vector<SseItem> parse_sse(const std::string& body) {
  std::vector<SseItem> out;
  SseItem cur;
  bool has = false;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    std::string line = body.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (has) out.push_back(cur);
      cur = {};
      has = false;
    } else if (line.rfind("data:", 0) == 0) {
      std::string v = line.substr(5);
      if (!v.empty() && v[0] == ' ') v.erase(0, 1);
      cur.data += (has ? "\n" : "") + v;
      has = true;
    } else if (line.rfind("event:", 0) == 0) {
      std::string v = line.substr(6);
      if (!v.empty() && v[0] == ' ') v.erase(0, 1);
      cur.event = v;
    }
    if (nl == body.size()) break;
    pos = nl + 1;
  }
  if (has) out.push_back(cur);
  return out;
}

}  // namespace hgw::test
