#include "gateway/eval/GatewayClient.hpp"

#include <charconv>

namespace hgw::eval {

GatewayClient::GatewayClient(Executor ex, unsigned short port, std::chrono::milliseconds timeout)
    : stream_(ex), port_(port), timeout_(timeout) {}

void GatewayClient::close() {
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  connected_ = false;
}

awaitable<error_code> GatewayClient::exchange(const http::request<http::string_body>& req,
                                              http::response<http::string_body>& res, bool& got_bytes) {
  got_bytes = false;
  if (!connected_) {
    buffer_.clear();
    stream_.expires_after(timeout_);
    auto [ec] = co_await stream_.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port_),
                                               use_nothrow);
    if (ec) co_return ec;
    set_nodelay(stream_.socket());
    connected_ = true;
  }
  stream_.expires_after(timeout_);
  auto [wec, written] = co_await http::async_write(stream_, req, use_nothrow);
  if (wec) co_return wec;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256ull << 20);
  auto [rec, read] = co_await http::async_read(stream_, buffer_, parser, use_nothrow);
  got_bytes = read > 0;
  if (rec) co_return rec;
  res = parser.release();
  co_return error_code{};
}

awaitable<GatewayReply> GatewayClient::post_json(std::string target, std::string body, std::string api_key) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
  req.set(http::field::content_type, "application/json");
  if (!api_key.empty()) req.set(http::field::authorization, "Bearer " + api_key);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  GatewayReply reply;
  http::response<http::string_body> res;
  const auto start = Clock::now();
  const bool reused = connected_;
  bool got_bytes = false;
  error_code ec = co_await exchange(req, res, got_bytes);
  // A kept-alive connection the gateway closed while idle fails before any
  // byte of an answer: the request was not processed, so it may go again.
  if (ec && reused && !got_bytes && ec != net::error::operation_aborted) {
    close();
    ec = co_await exchange(req, res, got_bytes);
  }
  reply.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (ec) {
    close();
    reply.error = "no answer from the in-process gateway: " + ec.message();
    co_return reply;
  }
  if (!res.keep_alive()) close();
  reply.status = res.result_int();
  auto header = [&](std::string_view name) { return std::string(res[name]); };
  reply.backend = header("x-hybridgw-backend");
  reply.route = header("x-hybridgw-route");
  reply.decision = header("x-hybridgw-decision");
  if (auto cost = header("x-hybridgw-cost-usd"); !cost.empty()) {
    double v = 0;
    auto [p, err] = std::from_chars(cost.data(), cost.data() + cost.size(), v);
    if (err == std::errc() && p == cost.data() + cost.size()) reply.cost_usd = v;
  }
  reply.body = std::move(res.body());
  co_return reply;
}

}  // namespace hgw::eval
