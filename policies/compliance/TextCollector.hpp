// Every text of a request body that the model will see, as mutable pointers
// into the parsed JSON so that redaction can rewrite them in place.
#pragma once

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <vector>

#include "policies/RequestFeatures.hpp"

namespace hgw::compliance {

// chat:        messages[].content (string, or parts of type "text"), messages[].name,
//              messages[].tool_calls[].function.arguments, legacy function_call.arguments,
//              and tools[].function.description (the model reads tool descriptions).
// completions: prompt (string or array of strings; token-id arrays have no text), suffix.
// embeddings:  input (string or array of strings).
// messages:    system (string or text blocks), messages[].content (string, or blocks:
//              text.text, every string inside tool_use.input, tool_result.content
//              (string or text blocks), document blocks with a text source),
//              and tools[].description.
// The pointers stay valid while `body` is not restructured. Never throws on odd
// shapes: what is not where it should be is simply not collected.
std::vector<boost::json::string*> collect_texts(boost::json::value& body, policy::Endpoint endpoint);

}  // namespace hgw::compliance
