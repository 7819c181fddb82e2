// The Asio/Beast vocabulary used across the data plane. Every I/O call uses
// `use_nothrow` so errors come back as values: no exceptions on the data path.
//
// GCC 12 miscompiles some coroutine expressions (seen here as SIGILL and
// double frees): keep co_await out of ?:, && and ||, and build strings and
// lambdas that an awaited call takes in statements of their own before it.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <string_view>

namespace hgw {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Every io thread runs its own io_context, so the data plane names that
// executor type instead of the type-erased any_io_executor: no executor copy,
// comparison or work-tracking query goes through a function table.
using Executor = net::io_context::executor_type;
template <class T>
using awaitable = net::awaitable<T, Executor>;
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable_t<Executor>{});
using Socket = net::basic_stream_socket<tcp, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;
using Resolver = net::ip::basic_resolver<tcp, Executor>;
using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Executor>;
using TcpStream = beast::basic_stream<tcp, Executor>;

// Sets TCP_NODELAY: every socket in the gateway does (no Nagle delay on SSE chunks).
template <class AnySocket>
void set_nodelay(AnySocket& s) {
  error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
}

// Writes what a plain socket takes at once, without waiting: most heads and
// whole answers fit in the send buffer, and then no timer is armed and no
// coroutine suspends. The rest, if any, is for an async write. Returns the
// bytes written; `failed` is set when the connection is broken.
inline std::size_t write_now(Socket& s, std::string_view data, bool& failed) {
  error_code ec;
  if (!s.non_blocking()) s.non_blocking(true, ec);  // async operations are not affected
  if (ec) return 0;
  const std::size_t n = s.write_some(net::buffer(data.data(), data.size()), ec);
  failed = ec && ec != net::error::would_block && ec != net::error::try_again;
  return ec ? 0 : n;
}

}  // namespace hgw
