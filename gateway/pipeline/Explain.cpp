#include "gateway/pipeline/Explain.hpp"

#include "gateway/pipeline/PolicyEvaluation.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/protocol/RequestValidation.hpp"

#include <sstream>

namespace hgw::pipeline {

namespace json = boost::json;

namespace {

ExplainResult bad_input(std::string message) {
  ExplainResult r;
  r.status = 400;
  r.json = json::object{{"error", json::object{{"message", message}, {"type", "invalid_request_error"}}}};
  r.table = "error: " + message + "\n";
  return r;
}

std::string table_of(const json::object& o, const routing::Decision& decision) {
  std::ostringstream out;
  const auto& req = o.at("request").as_object();
  out << "request   model=" << json::serialize(req.at("model")) << " endpoint=" << json::serialize(req.at("endpoint"))
      << " est_prompt_tokens=" << req.at("estimated_prompt_tokens") << " max_tokens=" << req.at("max_tokens")
      << " stream=" << req.at("stream") << "\n";
  out << "tenant    " << json::serialize(o.at("tenant")) << "\n";
  if (auto* c = o.if_contains("compliance")) {
    const auto& co = c->as_object();
    out << "data      class=" << json::serialize(co.at("data_class")) << " action=" << json::serialize(co.at("action"))
        << " detected=" << json::serialize(co.at("detected")) << " rules=" << json::serialize(co.at("rules_matched"))
        << "\n";
    for (const auto& note : co.at("notes").as_array()) out << "note      " << note.as_string() << "\n";
  }
  if (auto* b = o.if_contains("budget")) out << "budget    " << json::serialize(*b) << "\n";
  out << decision.to_table();
  if (auto* s = o.if_contains("status"); s && s->to_number<std::int64_t>() != 0)
    out << "result    " << s->to_number<std::int64_t>() << " " << json::serialize(o.at("error_code")) << ": "
        << json::serialize(o.at("error_message")) << "\n";
  return out.str();
}

}  // namespace

ExplainResult explain(const Snapshot& snap, std::string_view request_json, const std::string& tenant_name,
                      std::vector<std::pair<std::string, std::string>> headers, std::string endpoint) {
  const auto& cfg = snap.config();
  auto parsed = protocol::parse_json_body(request_json);
  if (!parsed.error.empty()) return bad_input(parsed.error);
  if (!parsed.value.is_object()) return bad_input("the request must be a JSON object");
  auto& body = parsed.value.as_object();
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string()) return bad_input("'model' is required and must be a string");

  PolicyRequest request;
  if (endpoint.empty())
    endpoint = body.contains("messages") ? "chat" : body.contains("prompt") ? "completions"
             : body.contains("input")    ? "embeddings"
                                         : "chat";
  if (endpoint == "chat") request.endpoint = policy::Endpoint::chat;
  else if (endpoint == "completions") request.endpoint = policy::Endpoint::completions;
  else if (endpoint == "embeddings") request.endpoint = policy::Endpoint::embeddings;
  else return bad_input("unknown endpoint '" + endpoint + "' (chat, completions, embeddings)");

  if (auto invalid = protocol::validate_request(body, request.endpoint); !invalid.empty())
    return bad_input(invalid);

  if (!tenant_name.empty()) {
    request.tenant = cfg.find_tenant(tenant_name);
    if (!request.tenant) return bad_input("unknown tenant '" + tenant_name + "'");
  }
  for (auto& [name, value] : headers) {
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "x-hybridgw-data-class") request.data_class_header = value;
    request.policy_headers.emplace_back(name, value);
  }
  request.body = &parsed.value;
  request.advance_weighted = false;
  request.explain = true;
  const PolicyVerdict p = evaluate_policies(snap, request);

  json::object o;
  o["request"] = json::object{{"model", *model},
                              {"endpoint", endpoint},
                              {"estimated_prompt_tokens", p.features.estimated_prompt_tokens},
                              {"max_tokens", p.features.max_tokens},
                              {"stream", p.features.stream},
                              {"has_tools", p.features.has_tools},
                              {"has_images", p.features.has_images},
                              {"json_mode", p.features.json_mode}};
  o["tenant"] = tenant_name.empty() ? json::value(nullptr) : json::value(tenant_name);
  if (p.compliance) {
    const auto& c = *p.compliance;
    json::object detected;
    for (const auto& [type, count] : c.detected) detected[type] = count;
    json::array rules, backends;
    for (const auto& r : c.rules_matched) rules.push_back(json::string(r));
    for (std::size_t i = 0; i < c.backends.size(); ++i)
      backends.push_back(json::object{{"backend", cfg.backends[i].name},
                                      {"eligible", c.backends[i].eligible},
                                      {"rule", c.backends[i].rule},
                                      {"reason", c.backends[i].reason}});
    json::array notes;  // how the class was raised: an unknown header class, a scan that did not complete
    for (const auto& n : c.notes) notes.push_back(json::string(n));
    o["compliance"] = json::object{{"data_class", c.data_class}, {"action", action_name(c.action)},
                                   {"detected", detected},       {"rules_matched", rules},
                                   {"backends", backends},       {"notes", notes}};
  }
  if (request.tenant && (request.tenant->budget.daily_usd || request.tenant->budget.monthly_usd))
    o["budget"] = json::object{{"exhausted", p.budget.exhausted}, {"window", p.budget.window}};
  o["decision"] = p.decision.to_json();
  o["status"] = p.status;
  if (p.status != 0) {
    o["error_code"] = p.error_code;
    o["error_message"] = p.error_message;
  }
  o["short_form"] = p.decision.short_form();
  ExplainResult r;
  r.table = table_of(o, p.decision);
  r.json = std::move(o);
  return r;
}

}  // namespace hgw::pipeline
