#include "tests/sim/SimSession.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <optional>
#include <type_traits>

#include "tests/sim/ControlEndpoints.hpp"
#include "tests/sim/HttpWire.hpp"
#include "tests/sim/ResponseBuilder.hpp"
#include "tests/sim/SimState.hpp"

namespace hgw::sim {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::uint64_t body_limit = 64ull << 20;  // benchmarks send large prompts
constexpr std::uint32_t header_limit = 64u << 10;

// One client connection. Keeps itself alive through shared_from_this in its
// pending operations; all handlers run on the connection's strand.
//
// While an answer is delayed (latency, ttft, token delay, stall, hang) a
// "watch" read stays pending on the socket, so a client that goes away is
// noticed at once (open_connections / cancelled_streams are what the
// gateway's cancellation tests look at). Bytes the watch reads are kept: they
// are the next keep-alive request.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, net::ssl::context* ctx, std::shared_ptr<SimState> state)
      : stream_(make_stream(std::move(socket), ctx)),
        timer_(stream_.get_executor()),
        state_(std::move(state)) {
    state_->connection_opened();
  }

  ~Session() {
    if (!closed_) state_->connection_closed();
  }

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::on_run, this->shared_from_this()));
  }

 private:
  enum class Next { finish, close, stream, stall };
  enum class Close { graceful, reset };

  static Stream make_stream(tcp::socket&& socket, net::ssl::context* ctx) {
    if constexpr (tls) return Stream(std::move(socket), *ctx);
    else return Stream(std::move(socket));
  }

  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }
  std::shared_ptr<Session> self() { return this->shared_from_this(); }

  void on_run() {
    if constexpr (tls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
      stream_.async_handshake(net::ssl::stream_base::server,
                              beast::bind_front_handler(&Session::on_handshake, self()));
    } else {
      do_read();
    }
  }

  void on_handshake(error_code ec) {
    if (ec) return close(Close::graceful);
    beast::get_lowest_layer(stream_).expires_never();
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(body_limit);
    parser_->header_limit(header_limit);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, self()));
  }

  void on_read(error_code ec, std::size_t) {
    if (closed_) return;
    if (ec) {
      // A malformed request gets an answer; a vanished client does not.
      if (ec.category() != http::make_error_code(http::error::bad_method).category() ||
          ec == http::error::end_of_stream || ec == http::error::partial_message)
        return close(Close::graceful);
      unsigned status = ec == http::error::body_limit ? 413 : ec == http::error::header_limit ? 431 : 400;
      keep_alive_ = false;
      return execute(error_plan(status, "Bad HTTP request: " + ec.message(), "invalid_request_error",
                                "bad_request"));
    }
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    chunked_ = req.version() >= 11;  // HTTP/1.0 clients get a close-delimited stream
    Plan plan;
    try {
      plan = respond_to(req);
    } catch (const std::exception& e) {  // bad_alloc and the like: answer, don't die
      plan = error_plan(500, std::string("hybridgw-sim internal error: ") + e.what(), "server_error",
                        "server_error");
    }
    execute(std::move(plan));
  }

  Plan respond_to(http::request<http::string_body>& req) {
    const std::string_view method = req.method_string(), target = req.target();
    if (is_control_target(target)) return handle_control(method, target, req.body(), *state_);
    Inbound in;
    in.method = method;
    in.target = target;
    in.body = req.body();
    if (auto it = req.find("x-sim-echo"); it != req.end()) in.echo = it->value() == "1";
    if (auto it = req.find("x-sim-fault"); it != req.end()) {
      in.has_fault_header = true;
      in.fault_header = it->value();
    }
    Plan plan = build_response(in, *state_);
    // Recorded before any byte of the answer goes out (faulted requests too).
    ReceivedRequest rec;
    rec.method = method;
    rec.target = target;
    rec.headers.reserve(8);
    for (const auto& field : req) rec.headers.emplace_back(field.name_string(), field.value());
    rec.body = std::move(req.body());
    state_->record(std::move(rec));
    return plan;
  }

  void execute(Plan plan) {
    plan_ = std::move(plan);
    next_chunk_ = 0;
    head_sent_ = false;
    stalled_ = false;
    responding_ = true;
    switch (plan_.kind) {
      case Plan::Kind::reset:
        return close(Close::reset);
      case Plan::Kind::hang:
        return start_watch();
      case Plan::Kind::full:
        if (plan_.delay_ms > 0) {
          start_watch();
          return wait(plan_.delay_ms, &Session::send_full);
        }
        return send_full();
      case Plan::Kind::stream:
        for (const auto& c : plan_.chunks)
          if (c.delay_ms > 0) {
            start_watch();
            break;
          }
        return next_stream_step();
    }
  }

  void wait(int ms, void (Session::*then)()) {
    after_timer_ = then;
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait(beast::bind_front_handler(&Session::on_timer, self()));
  }

  void on_timer(error_code ec) {
    if (ec || closed_) return;
    (this->*after_timer_)();
  }

  Head head(BodyFraming framing, std::size_t length) const {
    return Head{plan_.status, plan_.content_type, state_->name(), &plan_.headers,
                keep_alive_,  framing,            length};
  }

  // Status line, headers and body in one write. cut: half the body, then close.
  void send_full() {
    out_.clear();
    append_head(out_, head(BodyFraming::content_length, plan_.body.size()));
    const bool cut = plan_.cut_after >= 0;
    out_.append(plan_.body, 0, cut ? plan_.body.size() / 2 : plan_.body.size());
    write(cut ? Next::close : Next::finish);
  }

  void next_stream_step() {
    const auto i = static_cast<int>(next_chunk_);
    if (i == plan_.cut_after) {
      if (head_sent_) return close(Close::graceful);
      return write_head_only(Next::close);
    }
    if (i == plan_.stall_after) {
      if (!head_sent_) return write_head_only(Next::stall);
      stalled_ = true;
      return start_watch();  // nothing more is sent; wait for the client to leave
    }
    if (next_chunk_ == plan_.chunks.size()) return finish_response();
    const int delay = plan_.chunks[next_chunk_].delay_ms;
    if (delay > 0) return wait(delay, &Session::send_chunk);
    send_chunk();
  }

  BodyFraming stream_framing() const { return chunked_ ? BodyFraming::chunked : BodyFraming::until_close; }

  void write_head_only(Next next) {
    out_.clear();
    append_head(out_, head(stream_framing(), 0));
    head_sent_ = true;
    write(next);
  }

  // One SSE event per write; the headers ride with the first one and the
  // terminating chunk with the last one.
  void send_chunk() {
    out_.clear();
    if (!head_sent_) {
      append_head(out_, head(stream_framing(), 0));
      head_sent_ = true;
    }
    const auto& data = plan_.chunks[next_chunk_++].data;
    if (!chunked_) {
      out_ += data;
    } else {
      append_chunk(out_, data);
      const auto n = static_cast<int>(plan_.chunks.size());
      if (next_chunk_ == plan_.chunks.size() && plan_.cut_after != n && plan_.stall_after != n)
        out_ += last_chunk;
    }
    write(Next::stream);
  }

  void write(Next next) {
    next_ = next;
    net::async_write(stream_, net::buffer(out_), beast::bind_front_handler(&Session::on_write, self()));
  }

  void on_write(error_code ec, std::size_t) {
    if (closed_) return;
    if (ec) return client_gone();
    switch (next_) {
      case Next::finish: return finish_response();
      case Next::close: return close(Close::graceful);
      case Next::stream: return next_stream_step();
      case Next::stall:
        stalled_ = true;
        return start_watch();
    }
  }

  void finish_response() {
    responding_ = false;
    const bool stream_until_close = plan_.kind == Plan::Kind::stream && !chunked_;
    if (!keep_alive_ || stream_until_close) return close(Close::graceful);
    if (watching_) {
      read_after_watch_ = true;  // the pending watch read receives the next request
      return;
    }
    do_read();
  }

  void start_watch() {
    if (watching_ || closed_) return;
    // A hung or stalled answer never reads another request: drop the bytes.
    if (plan_.kind == Plan::Kind::hang || stalled_) buffer_.consume(buffer_.size());
    // A pipelined request is already buffered and is served next: a pending
    // watch read would keep finish_response() waiting for bytes that may
    // never come, so this answer goes unwatched (write errors still count).
    else if (buffer_.size() > 0) return;
    watching_ = true;
    stream_.async_read_some(buffer_.prepare(4096),
                            beast::bind_front_handler(&Session::on_watch, self()));
  }

  void on_watch(error_code ec, std::size_t n) {
    watching_ = false;
    if (closed_) return;
    if (ec) {
      if (responding_) return client_gone();
      return close(Close::graceful);
    }
    buffer_.commit(n);
    if (responding_) {
      // Hung/stalled: keep watching (start_watch drops the bytes). Otherwise
      // the bytes are a pipelined request: start_watch() declines and
      // finish_response() parses it.
      start_watch();
      return;
    }
    if (read_after_watch_) {
      read_after_watch_ = false;
      do_read();
    }
  }

  void client_gone() {
    if (responding_ && plan_.streaming_request) state_->stream_cancelled();
    close(Close::graceful);
  }

  // Closes the TCP socket directly, without a TLS close_notify: every path
  // here is either the end of the conversation or a deliberate fault. `reset`
  // sets SO_LINGER 0 so the peer sees RST. cut uses a FIN so the chunks
  // already written are delivered before the connection ends.
  void close(Close how) {
    if (closed_) return;
    closed_ = true;
    responding_ = false;
    timer_.cancel();
    error_code ec;
    if (how == Close::reset) socket().set_option(tcp::socket::linger(true, 0), ec);
    else socket().shutdown(tcp::socket::shutdown_send, ec);
    socket().close(ec);
    state_->connection_closed();
  }

  Stream stream_;
  net::steady_timer timer_;
  std::shared_ptr<SimState> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Plan plan_;
  std::string out_;  // the one write in flight
  std::size_t next_chunk_ = 0;
  void (Session::*after_timer_)() = nullptr;
  Next next_ = Next::finish;
  bool keep_alive_ = true, chunked_ = true, head_sent_ = false, stalled_ = false;
  bool responding_ = false, watching_ = false, read_after_watch_ = false, closed_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, net::ssl::context* tls, const tcp::endpoint& ep,
           std::shared_ptr<SimState> state)
      : ioc_(ioc), tls_(tls), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()),
        state_(std::move(state)) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      // e.g. EMFILE under a benchmark: back off instead of spinning.
      retry_.expires_after(std::chrono::milliseconds(10));
      retry_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) self->do_accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls_)
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), tls_, state_)->run();
    else
      std::make_shared<Session<beast::tcp_stream>>(std::move(socket), nullptr, state_)->run();
    do_accept();
  }

  net::io_context& ioc_;
  net::ssl::context* tls_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<SimState> state_;
};

}  // namespace

unsigned short start_listener(net::io_context& ioc, net::ssl::context* tls, const std::string& host,
                              unsigned short port, std::shared_ptr<SimState> state) {
  const tcp::endpoint ep(net::ip::make_address(host), port);
  auto listener = std::make_shared<Listener>(ioc, tls, ep, std::move(state));
  listener->do_accept();
  return listener->port();
}

}  // namespace hgw::sim
