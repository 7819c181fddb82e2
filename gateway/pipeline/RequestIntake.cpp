#include "gateway/pipeline/RequestIntake.hpp"

#include "gateway/protocol/RequestValidation.hpp"

namespace hgw::pipeline {

std::optional<IntakeError> parse_request(Call& call) {
  auto parsed = protocol::parse_json_body(call.request.body(), call.body.storage());
  if (!parsed.error.empty()) return IntakeError{parsed.error, "invalid_json"};
  if (!parsed.value.is_object()) return IntakeError{"request body must be a JSON object", "invalid_request"};
  call.body = std::move(parsed.value);
  auto& body = call.body.as_object();
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty())
    return IntakeError{"'model' is required and must be a string", "missing_model"};
  call.client_model = std::string(model->as_string());
  if (auto invalid = protocol::validate_request(body, call.endpoint); !invalid.empty())
    return IntakeError{invalid, "invalid_request"};
  return std::nullopt;
}

std::optional<IntakeError> decode_request(Call& call) {
  auto decoded = call.client->decode(call.body, call.endpoint, call.client_context());
  if (!decoded.error.empty()) return IntakeError{decoded.error, "invalid_request"};
  call.endpoint = decoded.endpoint;
  call.body_is_request_text = call.client->keeps_body() && !call.responses;
  if (call.responses) call.responses->input_items = std::move(decoded.input_items);
  return std::nullopt;
}

}  // namespace hgw::pipeline
