#include "gateway/server/Session.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "gateway/protocol/HttpWire.hpp"
#include "gateway/protocol/OpenAiWire.hpp"

namespace hgw::server {
namespace {

using namespace std::chrono_literals;

Response error_response(unsigned status, std::string_view message, std::string_view type,
                        std::string_view code) {
  Response res{status};
  res.add("Content-Type", "application/json");
  res.body = protocol::error_body(message, type, code);
  return res;
}

// Cancels the reads on a socket when a client is too slow, leaving the socket
// open so that the 408 can still be written. One per session, armed for each
// read: the timer and its shared state are allocated once per connection.
class SlowClientTimer {
 public:
  explicit SlowClientTimer(Socket& socket)
      : socket_(socket), state_(std::make_shared<State>(socket.get_executor())) {}
  ~SlowClientTimer() { disarm(); }

  void arm(std::uint32_t timeout_ms) {
    // A handler of an earlier arming may still be queued; the generation
    // tells it apart, so that it cannot cancel this read.
    const std::uint64_t generation = ++state_->generation;
    state_->fired = false;
    state_->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    state_->timer.async_wait([state = state_, generation, &socket = socket_](error_code ec) {
      if (ec || state->generation != generation) return;
      state->fired = true;
      error_code ignored;
      socket.cancel(ignored);
    });
  }
  void disarm() {
    ++state_->generation;
    state_->timer.cancel();
  }
  bool fired() const { return state_->fired; }

 private:
  struct State {
    explicit State(Executor ex) : timer(ex) {}
    Timer timer;
    std::uint64_t generation = 0;
    bool fired = false;
  };
  Socket& socket_;
  std::shared_ptr<State> state_;
};

// Whether a head has both Content-Length and Transfer-Encoding: one pass over
// its fields (two count() look-ups cost more than the whole pass).
bool has_length_and_encoding(const http::fields& head) {
  bool length = false, encoding = false;
  for (const auto& f : head) {
    length |= f.name() == http::field::content_length;
    encoding |= f.name() == http::field::transfer_encoding;
  }
  return length && encoding;
}

template <class Stream>
TcpStream& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

template <class Stream>
class Session final : public ClientChannel {
 public:
  Session(Stream& stream, std::shared_ptr<const SessionEnv> env)
      : stream_(stream), env_(std::move(env)), read_timer_(lowest(stream_).socket()) {}

  awaitable<void> run() {
    const auto& limits = env_->limits;
    for (bool first = true;; first = false) {
      if (env_->draining->load() && !first) break;

      http::request_parser<http::string_body> parser;
      parser.header_limit(limits.max_header_bytes);
      parser.body_limit(limits.max_body_bytes);
      // The first request's head must arrive within header_timeout_ms; on a
      // kept-alive connection the next head within idle_timeout_ms (an idle
      // connection closes quietly, a half-sent head gets its 408).
      read_timer_.arm(first ? limits.header_timeout_ms : limits.idle_timeout_ms);
      head_request_ = false;  // an error answer to a head that fails to parse has its body
      auto [hec, hn] = co_await http::async_read_header(stream_, buffer_, parser, use_nothrow);
      if (hec && read_timer_.fired()) hec = beast::error::timeout;
      read_timer_.disarm();
      if (hec) {
        co_await answer_read_error(hec, parser.got_some() || buffer_.size() > 0 || hn > 0, true);
        break;
      }
      const auto received_at = Clock::now();
      auto& head = parser.get();
      version_ = head.version();
      head_request_ = head.method() == http::verb::head;
      if (has_length_and_encoding(head)) {
        // Request smuggling guard (RFC 9112 §6.3): never guess which one counts.
        co_await reply_and_close(error_response(400, "request has both Content-Length and Transfer-Encoding",
                                                "invalid_request_error", "bad_request"));
        break;
      }
      if (auto len = parser.content_length(); len && *len > limits.max_body_bytes) {
        co_await reply_and_close(error_response(
                                                413,
                                                "request body of " + std::to_string(*len) + " bytes exceeds the limit of " +
                                                std::to_string(limits.max_body_bytes) + " bytes (server.limits.max_body_bytes)",
                                                "invalid_request_error", "request_too_large"));
        break;
      }
      if (beast::iequals(head[http::field::expect], "100-continue")) {
        out_.clear();
        protocol::append_status_line(100, version_, out_);
        out_ += "\r\n";
        if (!co_await write_out()) break;
      }
      // A body that came with the head (the usual case) needs no timer.
      const auto body_length = parser.content_length();
      const bool body_buffered = body_length && buffer_.size() >= *body_length;
      if (!body_buffered) read_timer_.arm(limits.header_timeout_ms);
      auto [bec, bn] = co_await http::async_read(stream_, buffer_, parser, use_nothrow);
      if (!body_buffered) {
        if (bec && read_timer_.fired()) bec = beast::error::timeout;
        read_timer_.disarm();
      }
      if (bec) {
        co_await answer_read_error(bec, true, false);
        break;
      }
      Request request = parser.release();
      keep_alive_ = request.keep_alive();
      answered_ = streaming_ = false;
      co_await env_->handler->handle(request, received_at, *this);
      co_await settle_read_ahead();
      if (broken_ || !keep_alive_ || env_->draining->load()) break;
    }
    co_await settle_read_ahead();
    co_await close();
  }

  // ---- ClientChannel ----------------------------------------------------
  awaitable<bool> send(Response response) override {
    if (broken_) co_return false;
    answered_ = true;
    out_.clear();
    append_whole_response(response, version_, stays_open(), out_);
    // The answer to HEAD is the head alone, Content-Length included (RFC 9110
    // §9.3.2): a client reads no body, so body bytes would be taken for the
    // start of the next response.
    if (head_request_) out_.resize(out_.size() - response.body.size());
    co_return co_await write_out();
  }

  awaitable<bool> start_stream(Response head) override {
    if (broken_) co_return false;
    // HTTP/1.0 has no chunked encoding: the body then ends where the
    // connection does.
    chunked_ = version_ != 10;
    if (!chunked_) keep_alive_ = false;
    answered_ = streaming_ = true;
    // A stream may stay open for minutes and reads nothing meanwhile: the
    // request's read buffer goes back now (it is made again for the next
    // request), unless it holds bytes of a pipelined one or a TLS read-ahead
    // is reading into it.
    if (buffer_.size() == 0 && !read_ahead_) buffer_.shrink_to_fit();
    out_.clear();
    append_response_head(head, version_, stays_open(), out_);
    out_ += chunked_ ? "Transfer-Encoding: chunked\r\n\r\n" : "\r\n";
    const bool written = co_await write_out();
    // The head is the largest write of a stream: its capacity would stay with
    // the session for as long as the stream lasts; chunks need far less.
    std::string().swap(out_);
    co_return written;
  }

  awaitable<bool> send_chunk(std::string_view data) override {
    if (broken_) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    out_.clear();
    if (chunked_)
      protocol::append_chunk(data, out_);
    else
      out_ = data;
    co_return co_await write_out();
  }

  awaitable<bool> finish_stream() override {
    streaming_ = false;
    if (broken_) co_return false;
    if (!chunked_) co_return true;  // closing the connection ends the body
    out_.assign(protocol::kLastChunk);
    co_return co_await write_out();
  }

  bool answered() const override { return answered_; }
  bool streaming() const override { return streaming_; }

  std::shared_ptr<CloseWatch> watch_close(std::function<void()> on_close) override {
    auto watch = std::make_shared<CloseWatch>();
    watch->on_close = std::move(on_close);
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      // A wait for readability, then a peek outside Asio. Not an Asio
      // receive with message_peek, though that saves the epoll_ctl a wait
      // costs (Asio's waits are not speculative): a peek that finds the
      // close reads 0 bytes, which Asio takes for a drained edge-triggered
      // socket, so the session's next read is queued behind it without being
      // tried and the connection stays open, in CLOSE-WAIT, until
      // idle_timeout_ms. The handler may run after the request ended (with
      // the next request's bytes, or at the close); it only acts while the
      // watch is active, and the socket is open for as long as that is so.
      auto& sock = stream_.socket();
      const int fd = sock.native_handle();
      sock.async_wait(Socket::wait_read, [watch, fd](error_code ec) {
        if (ec || !watch->active) return;
        char probe[1];
        const ssize_t n = ::recv(fd, probe, 1, MSG_PEEK | MSG_DONTWAIT);
        const bool closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
        // Bytes of a pipelined request mean the client is still there.
        watch->active = false;
        if (closed) watch->on_close();
      });
    } else {
      watch_tls(watch);
    }
    return watch;
  }

 private:
  awaitable<void> answer_read_error(const error_code& ec, bool got_bytes, bool in_header) {
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted)
      co_return;
    if (ec == beast::error::timeout) {
      if (got_bytes)
        co_await reply_and_close(error_response(408,
                                                in_header
                                                    ? "request head not complete within server.limits.header_timeout_ms"
                                                    : "request body not complete within server.limits.header_timeout_ms",
                                                "invalid_request_error", "request_timeout"));
      co_return;
    }
    if (ec == http::error::header_limit) {
      co_await reply_and_close(error_response(431,
                                              "request headers exceed " + std::to_string(env_->limits.max_header_bytes) +
                                                  " bytes (server.limits.max_header_bytes)",
                                              "invalid_request_error", "headers_too_large"));
      co_return;
    }
    if (ec == http::error::body_limit) {
      co_await reply_and_close(error_response(413,
                                              "request body exceeds the limit of " +
                                                  std::to_string(env_->limits.max_body_bytes) +
                                                  " bytes (server.limits.max_body_bytes)",
                                              "invalid_request_error", "request_too_large"));
      co_return;
    }
    co_await reply_and_close(error_response(400, "malformed HTTP request: " + ec.message(), "invalid_request_error",
                                            "bad_request"));
  }

  // A TLS client that leaves sends close_notify: bytes on the socket that only
  // the TLS layer can read. So a TLS session reads ahead while a request is
  // being answered: an end of stream or an error means the client is gone;
  // data is the client's next (pipelined) request, kept in the read buffer.
  // One read at a time, settled before the next request is read.
  struct ReadAhead {
    explicit ReadAhead(Executor ex) : done(ex) {}
    Timer done;  // cancelled when the read completes
    bool pending = true;
  };

  void watch_tls(const std::shared_ptr<CloseWatch>& watch) {
    tls_watch_ = watch;
    if (read_ahead_ || buffer_.size() > 0) return;  // already reading, or pipelined bytes: still there
    read_ahead_ = std::make_shared<ReadAhead>(lowest(stream_).get_executor());
    stream_.async_read_some(buffer_.prepare(4096), [this, ra = read_ahead_](error_code ec, std::size_t n) {
      ra->pending = false;
      ra->done.cancel();
      buffer_.commit(n);
      auto watch = std::move(tls_watch_);
      if (!watch || !watch->active) return;
      watch->active = false;
      if (ec && ec != net::error::operation_aborted) watch->on_close();
    });
  }

  awaitable<void> settle_read_ahead() {
    tls_watch_.reset();
    auto ra = std::move(read_ahead_);
    if (!ra || !ra->pending) co_return;
    error_code ignored;
    lowest(stream_).socket().cancel(ignored);
    ra->done.expires_at(Timer::time_point::max());
    co_await ra->done.async_wait(use_nothrow);  // until the read's handler ran
  }

  // The session ends after this answer: say so in it.
  awaitable<void> reply_and_close(Response response) {
    keep_alive_ = false;
    co_await send(std::move(response));
  }

  // Whether the connection stays open after this answer: only if the client
  // wants it and we are not draining.
  bool stays_open() {
    if (env_->draining->load()) keep_alive_ = false;
    return keep_alive_;
  }

  // Writes out_ in one go. Slow readers must not hold a session forever.
  awaitable<bool> write_out() {
    std::size_t written = 0;
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      bool failed = false;
      written = write_now(stream_.socket(), out_, failed);
      if (failed) broken_ = true;
      if (failed || written == out_.size()) co_return !broken_;
    }
    lowest(stream_).expires_after(std::chrono::milliseconds(env_->limits.idle_timeout_ms));
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(out_) + written, use_nothrow);
    lowest(stream_).expires_never();
    if (ec) broken_ = true;
    co_return !broken_;
  }

  awaitable<void> close();

  Stream& stream_;
  std::shared_ptr<const SessionEnv> env_;
  // Our own timer, not the stream's expiry: a stream that expires closes the
  // socket, and a slow client must still receive its 408.
  SlowClientTimer read_timer_;
  beast::flat_buffer buffer_;
  std::string out_;  // the bytes of the next write, reused across requests
  unsigned version_ = 11;
  bool head_request_ = false;  // the current request is HEAD: no body in its answer
  bool chunked_ = true;  // the current stream's body is chunked (HTTP/1.1)
  bool keep_alive_ = true;
  bool broken_ = false;
  bool answered_ = false, streaming_ = false;  // of the current request
  std::shared_ptr<ReadAhead> read_ahead_;          // TLS only
  std::shared_ptr<CloseWatch> tls_watch_;
};

template <>
awaitable<void> Session<TcpStream>::close() {
  error_code ignored;
  stream_.socket().shutdown(Socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
  co_return;
}

template <>
awaitable<void> Session<beast::ssl_stream<TcpStream>>::close() {
  if (!broken_) {
    lowest(stream_).expires_after(1s);
    co_await stream_.async_shutdown(use_nothrow);
  }
  error_code ignored;
  lowest(stream_).socket().close(ignored);
}

struct ConnectionCount {
  std::atomic<long>* counter;
  ~ConnectionCount() {
    if (counter) counter->fetch_sub(1);
  }
};

}  // namespace

awaitable<void> run_plain_session(Socket socket, std::shared_ptr<const SessionEnv> env) {
  ConnectionCount count{env->open_connections};
  set_nodelay(socket);
  TcpStream stream(std::move(socket));
  Session<TcpStream> session(stream, env);
  co_await session.run();
}

awaitable<void> run_tls_session(Socket socket, ssl::context& tls,
                                std::shared_ptr<const SessionEnv> env) {
  ConnectionCount count{env->open_connections};
  set_nodelay(socket);
  beast::ssl_stream<TcpStream> stream(std::move(socket), tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(env->limits.header_timeout_ms));
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_nothrow);
  if (ec) co_return;
  Session<beast::ssl_stream<TcpStream>> session(stream, env);
  co_await session.run();
}

awaitable<void> reject_connection(Socket socket, unsigned status, std::string body) {
  set_nodelay(socket);
  TcpStream stream(std::move(socket));
  Response res{status};
  res.add("Content-Type", "application/json");
  res.add("Retry-After", "1");
  res.body = std::move(body);
  std::string out;
  append_whole_response(res, 11, false, out);
  stream.expires_after(std::chrono::seconds(2));
  co_await net::async_write(stream, net::buffer(out), use_nothrow);
  error_code ignored;
  stream.socket().shutdown(Socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

}  // namespace hgw::server
