#include "tests/sim/ControlEndpoints.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <optional>

#include "tests/sim/FaultSpec.hpp"
#include "tests/sim/SimState.hpp"

namespace hgw::sim {
namespace json = boost::json;
namespace {

Plan ok(json::value body = json::object{{"ok", true}}) {
  Plan p;
  p.body = json::serialize(body);
  return p;
}

Plan bad(std::string_view message) {
  return error_plan(400, message, "invalid_request_error", "bad_request");
}

json::value requests_json(const SimState& state) {
  json::array out;
  for (const auto& r : state.received()) {
    json::object headers;
    for (const auto& [name, value] : r.headers) {
      // Repeated headers are joined as HTTP allows for list-valued fields.
      if (auto existing = headers.if_contains(name)) {
        std::string joined(existing->get_string());
        joined += ", ";
        joined += value;
        *existing = joined;
      } else {
        headers[name] = value;
      }
    }
    out.push_back(json::object{{"method", r.method},
                               {"target", r.target},
                               {"headers", std::move(headers)},
                               {"body", r.body}});
  }
  return out;
}

std::optional<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

Plan set_fault(std::string_view body, SimState& state) {
  auto o = parse_object(body);
  if (!o) return bad("body must be a JSON object {\"fault\":\"<spec>\",\"count\":N}");
  auto spec = o->if_contains("fault");
  if (!spec || !spec->is_string()) return bad("'fault' must be a string");
  int count = -1;
  if (auto c = o->if_contains("count")) {
    if (!c->is_int64()) return bad("'count' must be an integer");
    count = static_cast<int>(c->get_int64());
  }
  auto parsed = parse_fault(spec->get_string());
  if (!parsed.ok()) return bad(parsed.error);
  state.set_fault(parsed.spec, count);
  return ok();
}

Plan set_options(std::string_view body, SimState& state) {
  auto o = parse_object(body);
  if (!o) return bad("body must be a JSON object");
  std::pair<const char*, std::atomic<int>*> knobs[] = {
      {"latency_ms", &state.latency_ms}, {"ttft_ms", &state.ttft_ms},
      {"token_delay_ms", &state.token_delay_ms}, {"tokens", &state.tokens},
      {"cached_tokens", &state.cached_tokens}};
  for (const auto& member : *o) {
    // A named member, not a structured binding: clang 14 (the fuzz and
    // sanitizer builds) cannot capture bindings in a lambda.
    const auto& key = member.key();
    const auto& value = member.value();
    auto it = std::find_if(std::begin(knobs), std::end(knobs),
                           [&](const auto& k) { return key == k.first; });
    if (it == std::end(knobs)) return bad("unknown option '" + std::string(key) + "'");
    if (!value.is_int64() || value.get_int64() < 0) return bad("'" + std::string(key) + "' must be a non-negative integer");
  }
  for (const auto& [key, value] : *o)
    for (auto& [name, knob] : knobs)
      if (key == name) *knob = static_cast<int>(value.get_int64());
  return ok();
}

}  // namespace

Plan handle_control(std::string_view method, std::string_view target, std::string_view body,
                    SimState& state) {
  const auto path = target.substr(0, target.find('?'));
  if (path == "/_sim/requests") {
    if (method == "GET") return ok(requests_json(state));
    if (method == "DELETE") {
      state.clear_received();
      return ok();
    }
  } else if (path == "/_sim/fault") {
    if (method == "POST" || method == "PUT") return set_fault(body, state);
    if (method == "DELETE") {
      state.clear_fault();
      return ok();
    }
  } else if (path == "/_sim/stats") {
    if (method == "GET")
      return ok(json::object{{"received", state.received_count()},
                             {"open_connections", state.open_connections()},
                             {"cancelled_streams", state.cancelled_streams()}});
  } else if (path == "/_sim/options") {
    if (method == "POST" || method == "PUT") return set_options(body, state);
  } else {
    return error_plan(404, "unknown control endpoint " + std::string(path), "invalid_request_error",
                      "not_found");
  }
  return error_plan(405, "method " + std::string(method) + " not allowed on " + std::string(path),
                    "invalid_request_error", "method_not_allowed");
}

}  // namespace hgw::sim
