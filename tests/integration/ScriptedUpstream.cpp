#include "tests/integration/ScriptedUpstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace hgw::test {

ScriptedUpstream::ScriptedUpstream(std::function<std::string(const std::string&)> respond)
    : respond_(std::move(respond)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("ScriptedUpstream: cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptedUpstream::~ScriptedUpstream() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<std::string> ScriptedUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::string ScriptedUpstream::sse_response(const std::vector<std::string>& events) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const auto& e : events) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", e.size());
    out += size + e + "\r\n";
  }
  return out + "0\r\n\r\n";
}

void ScriptedUpstream::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // The request: its head, then Content-Length bytes of body.
    std::string req;
    char buf[4096];
    std::size_t need = std::string::npos;
    while (need == std::string::npos || req.size() < need) {
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 2000) <= 0) break;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<std::size_t>(n));
      if (need == std::string::npos) {
        const auto end = req.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        std::size_t length = 0;
        if (auto cl = req.find("Content-Length: "); cl != std::string::npos && cl < end)
          length = std::stoul(req.substr(cl + 16));
        need = end + 4 + length;
      }
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
    }
    const std::string out = respond_(req);
    for (std::size_t sent = 0; sent < out.size();) {
      const ssize_t n = ::write(fd, out.data() + sent, out.size() - sent);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    ::usleep(20'000);  // let the gateway read it all before the close
    ::close(fd);
  }
}

}  // namespace hgw::test
