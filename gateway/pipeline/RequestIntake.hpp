// The request body, read once: parsed into the call's arena, its model and the
// fields the gateway interprets validated (RequestValidation), then decoded by
// the client's codec into the OpenAI request the pipeline works on.
#pragma once

#include "gateway/pipeline/Call.hpp"

#include <optional>
#include <string>

namespace hgw::pipeline {

struct IntakeError {
  std::string message, code;  // a 400 invalid_request_error
};

std::optional<IntakeError> take_in(Call& call);

}  // namespace hgw::pipeline
