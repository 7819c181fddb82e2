// The request body, read once: parsed into the call's arena, its model and the
// fields the gateway interprets validated (RequestValidation), then decoded by
// the client's codec into the OpenAI request the pipeline works on. In two
// steps, because a Responses API turn loads its stored conversation between
// them (Conversation.hpp).
#pragma once

#include "gateway/pipeline/Call.hpp"

#include <optional>
#include <string>

namespace hgw::pipeline {

struct IntakeError {
  std::string message, code;  // a 400 invalid_request_error unless status says otherwise
  unsigned status = 400;
  std::string type = "invalid_request_error";
};

// Parses and validates the body in the client's own format.
std::optional<IntakeError> parse_request(Call& call);
// The client's request → the pipeline's OpenAI request (call.body).
std::optional<IntakeError> decode_request(Call& call);

}  // namespace hgw::pipeline
