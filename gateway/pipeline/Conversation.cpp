#include "gateway/pipeline/Conversation.hpp"

#include "gateway/pipeline/ClientReplies.hpp"
#include "gateway/pipeline/CrossThread.hpp"
#include "gateway/pipeline/LocalAnswers.hpp"
#include "gateway/protocol/ResponsesJson.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <limits>
#include <random>

namespace hgw::pipeline {

namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "/v1/responses/";
// A stored conversation larger than this is not kept (the next turn would
// carry it all to the backend anyway; far past any context window).
constexpr std::size_t kMaxStoredBytes = 32 * 1024 * 1024;

std::string new_response_id() {
  thread_local std::mt19937_64 rng{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "resp_%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

// Ids the gateway made ("resp_" and letters, digits, '_' or '-'): anything
// else is not one of ours and is not looked up.
bool plausible_id(std::string_view id) {
  if (!id.starts_with("resp_") || id.size() > 128 || id.size() == 5) return false;
  return std::all_of(id.begin() + 5, id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string tenant_key(const Call& call) { return call.tenant ? call.tenant->name : std::string(); }

std::chrono::milliseconds store_timeout(const Call& call) {
  return std::chrono::milliseconds(std::max<std::uint32_t>(1000, 2 * call.config().state.redis_timeout_ms));
}

// The stored record of an id, or the error the client gets.
struct Loaded {
  std::optional<json::object> record;
  std::optional<IntakeError> error;
};

awaitable<Loaded> load(Services& services, Call& call, std::string_view id, std::string_view what) {
  Loaded out;
  auto not_found = [&] {
    out.error = IntakeError{std::string(what) + " '" + std::string(id.substr(0, 128)) +
                                "' is not a stored response of this tenant (never stored with store: true, "
                                "deleted, expired after state.responses_ttl_s, or another tenant's)",
                            "response_not_found", 404};
    return out;
  };
  if (call.config().state.responses_ttl_s == 0) {
    out.error = IntakeError{"this gateway keeps no responses (state.responses_ttl_s is 0): send the whole "
                            "conversation in 'input' instead of " +
                                std::string(what),
                            "response_not_found", 404};
    co_return out;
  }
  if (!plausible_id(id)) co_return not_found();
  auto* store = &services.conversations();
  auto start = [store, tenant = tenant_key(call), id = std::string(id)](std::function<void(state::ResponseLookup)> deliver) {
    store->get(tenant, id, std::move(deliver));
  };
  auto found = co_await await_from_thread<state::ResponseLookup>(store_timeout(call), std::move(start));
  if (!found || found->status == state::ResponseLookup::Status::failed) {
    const std::string why = found ? found->error : "no answer in time";
    out.error = IntakeError{"the state store cannot look up " + std::string(what) + " now (" + why + "); retry shortly",
                            "conversation_store_unavailable", 503, "service_unavailable"};
    co_return out;
  }
  if (found->status == state::ResponseLookup::Status::missing) co_return not_found();
  boost::system::error_code ec;
  json::value v = json::parse(found->json, ec);
  if (ec || !v.is_object()) {
    out.error = IntakeError{"the stored record of " + std::string(id) + " is damaged and cannot be used",
                            "conversation_store_unavailable", 503, "service_unavailable"};
    co_return out;
  }
  out.record = std::move(v.as_object());
  co_return out;
}

const json::array* array_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

std::string class_of(const json::object& record) {
  const json::value* c = record.if_contains("data_class");
  return c && c->is_string() ? std::string(c->as_string()) : std::string();
}

// The higher of two data classes in config order; a class the config no
// longer knows counts as the highest (the compliance decision says so).
std::string higher_class(const config::Config& cfg, const std::string& a, const std::string& b) {
  auto rank = [&](const std::string& c) {
    if (c.empty()) return -1;
    const int r = compliance::class_rank(cfg.compliance.classes, c);
    return r < 0 ? std::numeric_limits<int>::max() : r;
  };
  return rank(b) > rank(a) ? b : a;
}

// Stored responses whose items the input's item_references name, other than
// what `history` already holds; at most kMaxReferencedResponses of them.
constexpr std::size_t kMaxReferencedResponses = 16;
std::vector<std::string> referenced_responses(const json::object& body, const json::array& history) {
  std::vector<std::string> ids;
  const json::array* input = array_at(body, "input");
  if (!input) return ids;
  auto in_history = [&](std::string_view id) {
    return std::any_of(history.begin(), history.end(), [&](const json::value& item) {
      const json::object* o = item.if_object();
      const json::value* v = o ? o->if_contains("id") : nullptr;
      return v && v->is_string() && v->as_string() == id;
    });
  };
  for (const auto& v : *input) {
    const json::object* item = v.if_object();
    if (!item) continue;
    const json::value* type = item->if_contains("type");
    const json::value* id = item->if_contains("id");
    if (!type || !type->is_string() || type->as_string() != "item_reference" || !id || !id->is_string()) continue;
    if (in_history(id->as_string())) continue;
    std::string response = protocol::responses::detail::response_id_of_item(id->as_string());
    if (!plausible_id(response) || std::find(ids.begin(), ids.end(), response) != ids.end()) continue;
    if (ids.size() == kMaxReferencedResponses) break;
    ids.push_back(std::move(response));
  }
  return ids;
}

}  // namespace

awaitable<std::optional<IntakeError>> begin_turn(Services& services, Call& call) {
  call.responses = std::make_unique<ResponsesTurn>();
  ResponsesTurn& turn = *call.responses;
  turn.response_id = new_response_id();
  turn.created_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto& body = call.body.as_object();
  turn.request = json::value(body);  // the response echoes it; call.body becomes the chat request
  const json::value* store = body.if_contains("store");
  turn.store = !(store && store->is_bool() && !store->as_bool()) && call.config().state.responses_ttl_s > 0;
  const json::value* previous = body.if_contains("previous_response_id");
  if (previous && previous->is_string()) {
    turn.previous_id = std::string(previous->as_string());
    Loaded loaded = co_await load(services, call, turn.previous_id, "previous_response_id");
    if (loaded.error) co_return loaded.error;
    if (const json::array* items = array_at(*loaded.record, "conversation")) turn.history = *items;
    turn.history_class = higher_class(call.config(), turn.history_class, class_of(*loaded.record));
  }
  // item_reference inputs may name items of other stored responses (the AI
  // SDK refers to earlier outputs this way, without previous_response_id):
  // their records are loaded too, and their data class counts like history's.
  const std::vector<std::string> referenced = referenced_responses(body, turn.history);
  for (const std::string& id : referenced) {
    Loaded loaded = co_await load(services, call, id, "the response of an item_reference,");
    if (loaded.error) co_return loaded.error;
    if (const json::array* items = array_at(*loaded.record, "conversation"))
      for (const auto& item : *items) turn.referenced.push_back(item);
    turn.history_class = higher_class(call.config(), turn.history_class, class_of(*loaded.record));
  }
  co_return std::nullopt;
}

awaitable<void> keep_turn(const Services& services, const Call& call) {
  if (!call.responses || !call.responses->store || !call.responses->response.is_object()) co_return;
  const ResponsesTurn& turn = *call.responses;
  const json::object& response = turn.response.as_object();
  if (response.contains("error") && !response.at("error").is_null()) co_return;  // a failed response is not continued
  json::array conversation = turn.history;
  for (const auto& item : turn.input_items) conversation.push_back(item);
  if (const json::array* output = array_at(response, "output"))
    for (const auto& item : *output) conversation.push_back(item);
  std::string data_class = call.compliance ? call.compliance->data_class : turn.history_class;
  if (data_class.empty()) data_class = turn.history_class;
  json::object record{{"response", response},
                      {"input_items", turn.input_items},
                      {"conversation", std::move(conversation)},
                      {"data_class", data_class}};
  std::string text = json::serialize(record);
  if (text.size() > kMaxStoredBytes) {
    std::cerr << "hybridgw: response " << turn.response_id << " not stored: its conversation is "
              << text.size() / (1024 * 1024) << " MiB (at most 32 MiB are kept)\n";
    co_return;
  }
  const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(call.config().state.responses_ttl_s);
  auto* store = &services.conversations();
  auto start = [store, tenant = tenant_key(call), id = turn.response_id, text = std::move(text),
                expires](std::function<void(bool)> deliver) mutable {
    store->put(std::move(tenant), std::move(id), std::move(text), expires, std::move(deliver));
  };
  co_await await_from_thread<bool>(store_timeout(call), std::move(start));
}

bool is_stored_response_path(std::string_view path) { return path.starts_with(kPrefix) && path.size() > kPrefix.size(); }

namespace {

// A query parameter's value ("" when absent); no percent-decoding (the
// parameters read here take letters, digits and '_').
std::string_view query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

json::object input_items_page(const json::array& items, std::string_view target, std::string& error) {
  const std::string_view order = query_param(target, "order");
  if (!order.empty() && order != "asc" && order != "desc") {
    error = "order must be asc or desc";
    return {};
  }
  int limit = 20;
  if (const auto l = query_param(target, "limit"); !l.empty()) {
    const auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || p != l.data() + l.size() || limit < 1 || limit > 100) {
      error = "limit must be an integer from 1 to 100";
      return {};
    }
  }
  std::vector<const json::value*> ordered;
  for (const auto& item : items) ordered.push_back(&item);
  if (order != "asc") std::reverse(ordered.begin(), ordered.end());  // OpenAI's default: newest first
  std::size_t start = 0;
  if (const auto after = query_param(target, "after"); !after.empty()) {
    start = ordered.size();
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      const json::object* o = ordered[i]->if_object();
      const json::value* id = o ? o->if_contains("id") : nullptr;
      if (id && id->is_string() && id->as_string() == after) start = i + 1;
    }
  }
  json::array data;
  for (std::size_t i = start; i < ordered.size() && data.size() < static_cast<std::size_t>(limit); ++i)
    data.push_back(*ordered[i]);
  auto id_of = [](const json::value& v) -> json::value {
    const json::object* o = v.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    return id ? *id : json::value(nullptr);
  };
  json::object page{{"object", "list"},
                    {"data", data},
                    {"first_id", data.empty() ? json::value(nullptr) : id_of(data.front())},
                    {"last_id", data.empty() ? json::value(nullptr) : id_of(data.back())},
                    {"has_more", start + data.size() < ordered.size()}};
  return page;
}

}  // namespace

awaitable<void> serve_stored_response(Services& services, Call& call) {
  std::string_view rest = std::string_view(call.path).substr(kPrefix.size());
  const bool items = rest.ends_with("/input_items");
  if (items) rest.remove_suffix(std::string_view("/input_items").size());
  const std::string id(rest);
  const auto method = call.request.method();
  // (Messages are built before each co_await: see gateway/Asio.hpp.)
  if (id.find('/') != std::string::npos) {
    const std::string message = "unknown path " + quoted_path(call.path) +
                                "; stored responses answer GET /v1/responses/{id}, GET "
                                "/v1/responses/{id}/input_items and DELETE /v1/responses/{id}";
    co_return co_await reply_error(call, 404, message, "invalid_request_error", "unknown_url");
  }
  const bool get = method == http::verb::get, del = method == http::verb::delete_ && !items;
  if (!get && !del) {
    const std::string message =
        items ? "use GET /v1/responses/{id}/input_items" : "use GET or DELETE /v1/responses/{id}";
    co_return co_await reply_error(call, 405, message, "invalid_request_error", "method_not_allowed");
  }
  const std::string missing = "no stored response '" + quoted_path(id) + "' of this tenant";
  if (del) {
    auto* store = &services.conversations();
    if (!plausible_id(id) || call.config().state.responses_ttl_s == 0)
      co_return co_await reply_error(call, 404, missing, "invalid_request_error", "response_not_found");
    auto start = [store, tenant = tenant_key(call), id](std::function<void(state::ResponseLookup::Status)> deliver) {
      store->remove(tenant, id, std::move(deliver));
    };
    auto status = co_await await_from_thread<state::ResponseLookup::Status>(store_timeout(call), std::move(start));
    if (!status || *status == state::ResponseLookup::Status::failed) {
      const std::string message = "the state store cannot delete the response now; retry shortly";
      co_return co_await reply_error(call, 503, message, "service_unavailable", "conversation_store_unavailable", 1);
    }
    if (*status == state::ResponseLookup::Status::missing)
      co_return co_await reply_error(call, 404, missing, "invalid_request_error", "response_not_found");
    call.status = 200;
    auto res = json_response(
        call, 200, json::serialize(json::object{{"id", id}, {"object", "response.deleted"}, {"deleted", true}}));
    co_await call.channel.send(std::move(res));
    co_return;
  }
  Loaded loaded = co_await load(services, call, id, "response");
  if (loaded.error) {
    const IntakeError e = *loaded.error;
    co_return co_await reply_error(call, e.status, e.message, e.type, e.code);
  }
  std::string body;
  if (items) {
    std::string error;
    static const json::array kNone;
    const json::array* input = array_at(*loaded.record, "input_items");
    json::object page = input_items_page(input ? *input : kNone, call.request.target(), error);
    if (!error.empty()) co_return co_await reply_error(call, 400, error, "invalid_request_error", "invalid_request");
    body = json::serialize(page);
  } else {
    const json::value* response = loaded.record->if_contains("response");
    body = response ? json::serialize(*response) : "{}";
  }
  call.status = 200;
  auto res = json_response(call, 200, std::move(body));
  co_await call.channel.send(std::move(res));
}

}  // namespace hgw::pipeline
