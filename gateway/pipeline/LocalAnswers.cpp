#include "gateway/pipeline/LocalAnswers.hpp"

#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/Conversation.hpp"
#include "gateway/pipeline/TokenCount.hpp"
#include "gateway/config/ModelPattern.hpp"

#include <set>

namespace hgw::pipeline {

namespace json = boost::json;

std::optional<policy::Endpoint> proxied_endpoint(std::string_view path) {
  if (path == "/v1/chat/completions") return policy::Endpoint::chat;
  if (path == "/v1/completions") return policy::Endpoint::completions;
  if (path == "/v1/embeddings") return policy::Endpoint::embeddings;
  if (path == "/v1/messages") return policy::Endpoint::messages;
  if (path == "/v1/responses") return policy::Endpoint::responses;
  return std::nullopt;
}

namespace {

server::Response local_error(Call& call, unsigned status, std::string_view message, std::string_view code) {
  call.status = status;
  call.outcome = std::string(code);
  return json_response(call, status, call.client->error_body(status, message, "invalid_request_error", code));
}

// GET /v1/models: every exact model name of every route; a pattern is not a
// model a client can pick, so in its place come the models of the route's
// backends that it matches ("claude-*" in front of a backend serving
// claude-sonnet-4 lists claude-sonnet-4). Each id once, in config order.
json::array listed_models(const config::Config& cfg) {
  json::array data;
  std::set<std::string_view> seen;
  auto add = [&](std::string_view id) {
    if (seen.insert(id).second)
      data.push_back(json::object{{"id", id}, {"object", "model"}, {"owned_by", "hybridgw"}, {"created", 0}});
  };
  for (const auto& route : cfg.routes)
    for (const auto& model : route.models) {
      if (!config::is_model_pattern(model)) {
        add(model);
        continue;
      }
      for (const auto& target : route.targets)
        if (const auto* backend = cfg.find_backend(target.backend);
            backend && !config::is_model_pattern(backend->model) && config::model_matches(model, backend->model) &&
            cfg.find_route_by_model(backend->model) == &route)
          add(backend->model);
    }
  return data;
}

}  // namespace

std::string quoted_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path.substr(0, 256)) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (path.size() > 256) out += "...";
  return out;
}

std::optional<server::Response> answer_locally(Call& call) {
  const auto method = call.request.method();
  if (call.path == "/healthz" && (method == http::verb::get || method == http::verb::head)) {
    call.status = 200;
    return json_response(call, 200, R"({"status":"ok"})");
  }
  if (call.path == "/v1/models") {
    if (method != http::verb::get) return local_error(call, 405, "use GET /v1/models", "method_not_allowed");
    call.status = 200;
    const json::array data = listed_models(call.config());
    return json_response(call, 200, json::serialize(json::object{{"object", "list"}, {"data", data}}));
  }
  if (auto endpoint = proxied_endpoint(call.path)) {
    call.endpoint = *endpoint;
    call.client = &protocol::client_codec(*endpoint);
    if (method != http::verb::post) return local_error(call, 405, "use POST " + call.path, "method_not_allowed");
    return std::nullopt;
  }
  if (call.path == kCountTokensPath) {  // served after authentication (TokenCount.hpp)
    call.endpoint = policy::Endpoint::messages;
    call.client = &protocol::client_codec(policy::Endpoint::messages);
    if (method != http::verb::post) return local_error(call, 405, "use POST " + call.path, "method_not_allowed");
    return std::nullopt;
  }
  if (is_stored_response_path(call.path)) {  // served after authentication (Conversation.hpp)
    call.endpoint = policy::Endpoint::responses;
    call.client = &protocol::client_codec(policy::Endpoint::responses);
    return std::nullopt;
  }
  return local_error(call, 404,
                     "unknown path " + quoted_path(call.path) +
                         "; this gateway serves POST /v1/chat/completions, /v1/completions, "
                         "/v1/embeddings, /v1/messages, /v1/messages/count_tokens, /v1/responses and GET /v1/models",
                     "unknown_url");
}

}  // namespace hgw::pipeline
