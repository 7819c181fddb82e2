// The assistant's text in an answer, for the judge to read. Pure.
//
// A shadow answer is a whole answer in the OpenAI format (its backend's codec
// translated it). The primary answer is what the client received, in the
// client's own format: an Anthropic client got what an Anthropic backend
// sends, a Responses client what a Responses backend sends, so the backend
// codec of that same format turns it back into the OpenAI format — whole, or
// event by event for a stream.
#pragma once

#include "gateway/protocol/Codec.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace hgw::shadow {

// The text of choices[0] of a chat.completion (message content, tool calls
// rendered after it as hybridgw eval does) or of a text_completion (text);
// nullopt when there is none.
std::optional<std::string> openai_answer_text(const boost::json::object& answer);

// The text of an answer as a client of `client` received it: a whole body, or
// the bytes of its stream (SSE, as sent). nullopt when it cannot be read.
std::optional<std::string> client_answer_text(const protocol::ClientCodec& client, bool streamed,
                                              std::string_view bytes);

}  // namespace hgw::shadow
