// Reads the usage of a whole (non-streamed) answer without building a JSON
// document: the gateway passes most answers on unchanged and needs only the
// token counts from them, so it validates the JSON and picks the counts out
// in one pass, with no allocation.
#pragma once

#include "gateway/protocol/OpenAiWire.hpp"

#include <optional>
#include <string_view>

namespace hgw::protocol {

// nullopt when `body` is not one valid JSON object. Otherwise the usage, read
// exactly as read_usage() reads it from the parsed object (known=false when the
// answer has none).
std::optional<TokenUsage> scan_answer_usage(std::string_view body);

}  // namespace hgw::protocol
