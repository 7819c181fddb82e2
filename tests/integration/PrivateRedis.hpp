// A redis-server of the test's own on a free loopback port, with its data in
// an append-only file so that a restart keeps it: killed and started again to
// test what the gateway does while Redis is gone.
#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace hgw::test {

class PrivateRedis {
 public:
  PrivateRedis();   // starts it; port() == 0 when redis-server is not installed
  ~PrivateRedis();
  unsigned short port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void kill();      // SIGKILL: as a crash
  bool start();     // again on the same port, with the same data
  // A command's reply, through redis-cli (tests only).
  std::string cli(const std::string& args) const;

 private:
  std::filesystem::path dir_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace hgw::test
