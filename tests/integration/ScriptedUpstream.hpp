// A loopback upstream driven by a lambda (userver's HTTP mock): for each
// request it receives it writes whatever bytes the lambda returns — a whole
// HTTP response, or a stream cut anywhere — and closes the connection. For
// answers the simulator does not make (a stream the client's codec cannot
// translate, say).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hgw::test {

class ScriptedUpstream {
 public:
  // respond(request bytes) → response bytes.
  explicit ScriptedUpstream(std::function<std::string(const std::string&)> respond);
  ~ScriptedUpstream();
  unsigned short port() const { return port_; }
  std::vector<std::string> requests() const;

  // An HTTP/1.1 SSE response whose body is `events` (already framed), chunked.
  static std::string sse_response(const std::vector<std::string>& events);

 private:
  void serve();
  std::function<std::string(const std::string&)> respond_;
  int listen_fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace hgw::test
