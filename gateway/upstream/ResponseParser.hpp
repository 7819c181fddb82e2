// The upstream response as an attempt reads it: the status, the few fields
// the gateway acts on, and a body that goes straight to the caller's string.
// Beast's basic_parser with its hooks (the custom-parser pattern of Beast's
// documentation): response_parser<> would keep every field of every answer
// in a list of allocations the gateway never reads, and copy the body through
// a buffer of its own.
#pragma once

#include "gateway/Asio.hpp"

#include <cstring>
#include <string>
#include <string_view>

namespace hgw::upstream {

// A field value kept without allocating for the usual lengths.
class FieldValue {
 public:
  void assign_first(std::string_view v) {
    if (set_) return;
    set_ = true;
    if (v.size() <= sizeof inline_) {
      std::memcpy(inline_, v.data(), v.size());
      size_ = v.size();
      long_ = false;
    } else {
      overflow_.assign(v);
      long_ = true;
    }
  }
  std::string_view view() const { return long_ ? std::string_view(overflow_) : std::string_view(inline_, size_); }

 private:
  char inline_[64];
  std::size_t size_ = 0;
  bool set_ = false, long_ = false;
  std::string overflow_;
};

class ResponseParser final : public http::basic_parser<false> {
 public:
  unsigned status() const { return status_; }
  std::string_view content_type() const { return content_type_.view(); }
  std::string_view retry_after() const { return retry_after_.view(); }
  std::string_view retry_after_ms() const { return retry_after_ms_.view(); }

  // Where body bytes go while a read is under way (null between reads).
  void body_to(std::string* target) { target_ = target; }

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override {
    status_ = static_cast<unsigned>(code);
  }
  // The first of repeated fields counts, as a Beast field look-up gives it.
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code&) override {
    if (name == http::field::content_type)
      content_type_.assign_first({value.data(), value.size()});
    else if (name == http::field::retry_after)
      retry_after_.assign_first({value.data(), value.size()});
    else if (name == http::field::unknown && beast::iequals(name_string, "retry-after-ms"))
      retry_after_ms_.assign_first({value.data(), value.size()});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, error_code& ec) override { return take(body, ec); }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec) override {
    return take(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t take(beast::string_view body, error_code& ec) {
    if (!target_) {
      ec = http::error::need_buffer;  // nowhere to put it yet: the next read gives a target
      return 0;
    }
    target_->append(body.data(), body.size());
    return body.size();
  }

  unsigned status_ = 0;
  FieldValue content_type_, retry_after_, retry_after_ms_;
  std::string* target_ = nullptr;
};

}  // namespace hgw::upstream
