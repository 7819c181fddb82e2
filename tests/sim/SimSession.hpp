// The simulator's network side: a listener and one session per connection, in
// the style of Beast's example/http/server/async. All Beast code of the
// simulator lives in SimSession.cpp so it is compiled once.
#pragma once

#include <memory>
#include <string>

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace hgw::sim {

class SimState;

// Binds host:port synchronously (throws std::system_error), then accepts in the
// background on `ioc`; with `tls` every connection speaks HTTPS. Returns the
// bound port. Everything stops when `ioc` is stopped and destroyed.
unsigned short start_listener(boost::asio::io_context& ioc, boost::asio::ssl::context* tls,
                              const std::string& host, unsigned short port,
                              std::shared_ptr<SimState> state);

}  // namespace hgw::sim
