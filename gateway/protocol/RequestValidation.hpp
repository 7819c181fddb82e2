// The fields of a request body that the gateway itself reads to decide —
// model, messages, stream, token limits, tools — must have the shape it
// relies on, or the request gets a 400 that names the field by its JSON path
// (`$.messages[2].content: expected a string, an array or null`) instead of a
// wrong decision or an upstream failure. Every other field passes through as
// the client sent it (and is scanned by compliance like everything else).
// null counts as absent for optional fields, as the SDKs send it.
#pragma once

#include "policies/RequestFeatures.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace hgw::protocol {

// The largest token count or n the gateway accepts: far above any model's
// window, and small enough that no estimate or charge can overflow.
inline constexpr std::uint64_t kMaxTokensField = 2'147'483'647;  // 2^31 - 1
inline constexpr std::uint64_t kMaxChoices = 128;                // OpenAI's limit for n

// "" when the body is acceptable, else the first problem as "$.path: what".
// `endpoint` is the client's endpoint (messages = the Anthropic format).
std::string validate_request(const boost::json::object& body, policy::Endpoint endpoint);

}  // namespace hgw::protocol
