// The rule every judge call follows — `hybridgw eval`'s (JudgeClient) and the
// online shadow judge's (gateway/shadow/ShadowJudge): a reply that is not the
// expected JSON is asked for once more, with the bad reply and a note saying
// what was wrong with it (retry_request); a second bad reply leaves the verdict
// unscored — never a guessed score. Pure: the caller sends request() and feeds
// back the judge's text, so the same rule works over any transport.
#pragma once

#include "gateway/eval/JudgePrompt.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hgw::eval {

template <class Verdict>
class JudgeRetry {
 public:
  using Parse = Parsed<Verdict> (*)(std::string_view reply);
  static constexpr int kMaxAttempts = 2;  // the first ask and one retry

  JudgeRetry(boost::json::object request, Parse parse) : request_(std::move(request)), parse_(parse) {}

  // What to send to the judge now.
  const boost::json::object& request() const { return request_; }

  // The text of the judge's reply to request(). True when done: a verdict, or
  // unscored after the retry; false when request() became the retry.
  bool on_reply(std::string_view text) {
    ++attempts_;
    auto parsed = parse_(text);
    if (parsed.value) {
      verdict_ = std::move(parsed.value);
      return true;
    }
    error_ = std::move(parsed.error);
    if (attempts_ >= kMaxAttempts) return true;
    request_ = retry_request(std::move(request_), text, error_);
    return false;
  }

  bool done() const { return verdict_.has_value() || attempts_ >= kMaxAttempts; }
  const std::optional<Verdict>& verdict() const { return verdict_; }
  // Why the last reply was not the expected JSON (when unscored).
  const std::string& error() const { return error_; }
  int attempts() const { return attempts_; }

 private:
  boost::json::object request_;
  Parse parse_;
  std::optional<Verdict> verdict_;
  std::string error_;
  int attempts_ = 0;
};

}  // namespace hgw::eval
