#include "gateway/pipeline/TokenCount.hpp"

#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/protocol/OpenAiWire.hpp"


namespace hgw::pipeline {

namespace json = boost::json;

awaitable<void> serve_token_count(Call& call) {
  boost::system::error_code ec;
  json::value body = json::parse(call.request.body(), ec);
  std::string problem;
  if (ec || !body.is_object()) {
    problem = "the body must be a JSON object: a Messages request with model and messages";
  } else if (const auto* model = body.as_object().if_contains("model"); !model || !model->is_string()) {
    problem = "$.model: required, a string naming a model this gateway serves";
  } else if (const auto* messages = body.as_object().if_contains("messages"); !messages || !messages->is_array()) {
    problem = "$.messages: required, an array of messages";
  }
  if (!problem.empty()) co_return co_await reply_error(call, 400, problem, "invalid_request_error", "invalid_request");

  const auto& request = body.as_object();
  const std::string_view model = request.at("model").as_string();
  const auto& cfg = call.config();
  const auto* route = cfg.find_route_by_model(model);
  if (!route) {
    const std::string message = "model '" + std::string(model) + "' is not served here; GET /v1/models lists them";
    co_return co_await reply_error(call, 404, message, "invalid_request_error", "model_not_found");
  }
  if (call.tenant && !call.tenant->may_use(route->name)) {
    const std::string message = "Tenant '" + call.tenant->name + "' is not allowed to use route '" + route->name + "'.";
    co_return co_await reply_error(call, 403, message, "permission_error", "route_not_allowed");
  }
  call.route = route;
  std::uint64_t tokens = protocol::features_of(request, policy::Endpoint::messages).estimated_prompt_tokens;
  // Tool definitions count too: agents send dozens of them.
  if (const auto* tools = request.if_contains("tools"); tools && tools->is_array())
    tokens += (json::serialize(*tools).size() + 3) / 4;
  call.status = 200;
  call.outcome = "success";
  auto res = json_response(call, 200, json::serialize(json::object{{"input_tokens", tokens}}));
  res.add("x-hybridgw-token-count", "estimated");
  co_await call.channel.send(std::move(res));
}

}  // namespace hgw::pipeline
