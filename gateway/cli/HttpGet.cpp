#include "gateway/cli/HttpGet.hpp"

#include "gateway/Asio.hpp"

#include <boost/url/parse.hpp>

namespace hgw::cli {

HttpGetResult http_get(const std::string& base_url, const std::string& path, const std::string& bearer) {
  HttpGetResult r;
  auto url = boost::urls::parse_uri(base_url);
  if (!url || url->scheme() != "http" || url->host().empty()) {
    r.error = "admin URL must look like http://127.0.0.1:9090 (got '" + base_url + "')";
    return r;
  }
  const std::string host(url->host());
  const std::string port = url->has_port() ? std::string(url->port()) : "80";
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(host, port));
    set_nodelay(stream.socket());
    std::string target = std::string(url->encoded_path());
    while (!target.empty() && target.back() == '/') target.pop_back();
    http::request<http::empty_body> req{http::verb::get, target + path, 11};
    req.set(http::field::host, host + ":" + port);
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    r.status = res.result_int();
    r.body = std::move(res.body());
  } catch (const std::exception& e) {
    r.error = "cannot reach " + base_url + ": " + e.what();
  }
  return r;
}

}  // namespace hgw::cli
