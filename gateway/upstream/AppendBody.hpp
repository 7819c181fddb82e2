// A Beast body that appends what the parser reads to a caller's string: the
// response body goes from the connection's buffer straight to where the
// relay wants it, with no intermediate buffer per exchange (a 16 KB one was
// an allocation per request and the largest part of an open stream's memory).
#pragma once

#include "gateway/Asio.hpp"

#include <boost/optional.hpp>

#include <cstdint>
#include <string>

namespace hgw::upstream {

struct AppendBody {
  // Where the next bytes go; set before each read (null: the body is not read yet).
  using value_type = std::string*;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& target) : target_(target) {}

    void init(const boost::optional<std::uint64_t>&, error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      std::size_t n = 0;
      if (!target_) {
        ec = http::error::need_buffer;  // nowhere to put it yet: the next read_some gives a target
        return 0;
      }
      for (const auto b : beast::buffers_range_ref(buffers)) {
        target_->append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }

    void finish(error_code& ec) { ec = {}; }

   private:
    value_type& target_;
  };
};

}  // namespace hgw::upstream
