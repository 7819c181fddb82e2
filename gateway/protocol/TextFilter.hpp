// A transformation of the model's answer text that may hold back a few bytes
// across chunk boundaries (placeholder restoration, output filtering).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace hgw::protocol {

class TextFilter {
 public:
  virtual ~TextFilter() = default;
  // Returns the text that may be emitted now.
  virtual std::string feed(std::string_view chunk) = 0;
  // Returns what was held back; called once at the end of the answer.
  virtual std::string flush() = 0;
  // Set when the filter demands that the answer stop (output filter "stop").
  virtual bool stopped() const { return false; }
  virtual std::string stop_reason() const { return {}; }
  // A filter for one tool call's arguments (the other strings of an answer):
  // placeholders are restored there too, while the output filter, which is
  // about what the model says, applies to the text only. nullptr: none needed.
  virtual std::unique_ptr<TextFilter> for_arguments() const { return nullptr; }
};

}  // namespace hgw::protocol
