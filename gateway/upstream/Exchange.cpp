#include "gateway/upstream/Exchange.hpp"

#include <algorithm>

namespace hgw::upstream {

const char* to_string(TransportFailure f) {
  switch (f) {
    case TransportFailure::none: return "none";
    case TransportFailure::connect_error: return "connect_error";
    case TransportFailure::tls_error: return "tls_error";
    case TransportFailure::timeout_connect: return "timeout_connect";
    case TransportFailure::timeout_first_token: return "timeout_first_token";
    case TransportFailure::timeout_idle: return "timeout_idle";
    case TransportFailure::timeout_total: return "timeout_total";
    case TransportFailure::reset: return "reset";
    case TransportFailure::malformed: return "malformed";
    case TransportFailure::cancelled: return "cancelled";
  }
  return "none";
}

namespace {

// Starts an operation on whichever stream the connection has. Not a coroutine:
// the operation's awaitable is the same type for both streams, so it is
// handed back as it is, without a frame of its own.
template <class Op>
awaitable<std::tuple<error_code, std::size_t>> on_stream(UpstreamConnection& c, Op op) {
  if (auto* tls = c.tls()) return op(*tls);
  return op(c.tcp());
}

// An HTTP parse error (not a transport one): the upstream spoke something
// other than HTTP/1.1.
bool is_http_parse_error(const error_code& ec) {
  static const auto& http_category = error_code(http::error::bad_version).category();
  return ec.category() == http_category && ec != http::error::end_of_stream &&
         ec != http::error::partial_message && ec != http::error::need_buffer;
}

}  // namespace

Exchange::~Exchange() {
  // A connection is reused only when the response was read completely and the
  // upstream allows keep-alive; anything else (abort, error) closes it.
  if (conn_ && !aborted_ && parser_ && parser_->is_done() && parser_->keep_alive()) {
    conn_->requests_served++;
    pool_.give_back(std::move(conn_));
  } else if (conn_) {
    conn_->close();
  }
}

Clock::duration Exchange::bounded(std::uint32_t timeout_ms, bool* by_deadline) const {
  const auto op = std::chrono::milliseconds(timeout_ms);
  const auto left = std::max<Clock::duration>(deadline_ - Clock::now(), std::chrono::milliseconds(1));
  *by_deadline = left < op;
  return std::min<Clock::duration>(op, left);
}

TransportFailure Exchange::classify(const error_code& ec, TransportFailure on_timeout,
                                    bool deadline_bound) const {
  if (aborted_) return TransportFailure::cancelled;
  if (ec == beast::error::timeout)
    return deadline_bound ? TransportFailure::timeout_total : on_timeout;
  if (is_http_parse_error(ec)) return TransportFailure::malformed;
  return TransportFailure::reset;
}

awaitable<TransportFailure> Exchange::open_fresh() {
  auto ex = co_await net::this_coro::executor;
  conn_ = pool_.make(ex);
  const auto& b = pool_.backend();
  bool by_deadline = false;
  const auto timeout = bounded(b.timeouts.connect_ms, &by_deadline);
  bool in_tls = false;
  const error_code ec = co_await conn_->connect(b.host, b.port, timeout, &in_tls);
  if (aborted_) co_return TransportFailure::cancelled;
  if (!ec) co_return TransportFailure::none;
  if (ec == beast::error::timeout)
    co_return by_deadline ? TransportFailure::timeout_total : TransportFailure::timeout_connect;
  co_return in_tls ? TransportFailure::tls_error : TransportFailure::connect_error;
}

awaitable<TransportFailure> Exchange::write_and_read_head(const std::string& wire, bool* nothing_received) {
  *nothing_received = false;
  const auto& b = pool_.backend();
  bool by_deadline = false;
  conn_->tcp().expires_after(bounded(b.timeouts.first_token_ms, &by_deadline));
  std::size_t written = 0;
  bool write_failed = false;
  if (!conn_->is_tls()) written = write_now(conn_->tcp().socket(), wire, write_failed);
  error_code wec = write_failed ? net::error::connection_reset : error_code{};
  if (!write_failed && written < wire.size()) {
    auto [ec, n] = co_await on_stream(
        *conn_, [&](auto& s) { return net::async_write(s, net::buffer(wire) + written, use_nothrow); });
    wec = ec;
  }
  if (wec) {
    *nothing_received = true;
    co_return classify(wec, TransportFailure::timeout_first_token, by_deadline);
  }
  parser_.emplace();
  parser_->header_limit(64 * 1024);
  parser_->body_limit(boost::none);  // streamed through; the pipeline bounds what it keeps
  auto [rec, rn] = co_await on_stream(
      *conn_, [&](auto& s) { return http::async_read_header(s, conn_->buffer(), *parser_, use_nothrow); });
  if (rec) {
    *nothing_received = (rn == 0 && conn_->buffer().size() == 0);
    co_return classify(rec, TransportFailure::timeout_first_token, by_deadline);
  }
  co_return TransportFailure::none;
}

awaitable<TransportFailure> Exchange::send(const std::string& request) {
  // A client that left before the upstream call began (its close can be seen
  // while the request is being prepared) is not sent upstream at all.
  if (aborted_) co_return TransportFailure::cancelled;
  conn_ = pool_.take_idle();
  if (conn_) {
    bool nothing_received = false;
    auto failure = co_await write_and_read_head(request, &nothing_received);
    // A pooled connection the upstream closed while idle fails before any
    // response byte: replace it transparently, the request was never processed.
    if (failure != TransportFailure::reset || !nothing_received || aborted_) co_return failure;
    conn_->close();
  }
  auto failure = co_await open_fresh();
  if (failure != TransportFailure::none) co_return failure;
  bool ignored = false;
  co_return co_await write_and_read_head(request, &ignored);
}

awaitable<TransportFailure> Exchange::read_some(std::string& out, bool first_token) {
  const auto& b = pool_.backend();
  const std::size_t before = out.size();
  while (!parser_->is_done()) {
    bool by_deadline = false;
    conn_->tcp().expires_after(
        bounded(first_token ? b.timeouts.first_token_ms : b.timeouts.idle_ms, &by_deadline));
    parser_->body_to(&out);  // the parser appends body bytes to out
    auto [ec, n] = co_await on_stream(
        *conn_, [&](auto& s) { return http::async_read_some(s, conn_->buffer(), *parser_, use_nothrow); });
    parser_->body_to(nullptr);
    if (ec && ec != http::error::need_buffer)
      co_return classify(ec, first_token ? TransportFailure::timeout_first_token
                                         : TransportFailure::timeout_idle,
                         by_deadline);
    if (out.size() > before) break;
  }
  conn_->tcp().expires_never();
  co_return TransportFailure::none;
}

awaitable<TransportFailure> Exchange::read_all(std::string& out, std::size_t max_bytes) {
  while (!done()) {
    auto failure = co_await read_some(out, false);
    if (failure != TransportFailure::none) co_return failure;
    if (out.size() > max_bytes) co_return TransportFailure::malformed;
  }
  co_return TransportFailure::none;
}

void Exchange::abort() {
  aborted_ = true;
  if (conn_) conn_->close();
}

}  // namespace hgw::upstream
