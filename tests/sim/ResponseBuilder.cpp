#include "tests/sim/ResponseBuilder.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>

#include "tests/sim/FaultSpec.hpp"
#include "tests/sim/JudgeModel.hpp"
#include "tests/sim/ResponsesApi.hpp"
#include "tests/sim/SimState.hpp"
#include "tests/sim/SimToolCall.hpp"

namespace hgw::sim {
namespace json = boost::json;
namespace {

enum class Endpoint { chat, completions, embeddings, models, messages, responses, unknown };

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Suffix match so that any prefix works (/v1/..., Azure's /openai/deployments/x/...).
Endpoint endpoint_of(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (ends_with(path, "/chat/completions")) return Endpoint::chat;
  if (ends_with(path, "/completions")) return Endpoint::completions;
  if (ends_with(path, "/embeddings")) return Endpoint::embeddings;
  if (ends_with(path, "/models")) return Endpoint::models;
  if (ends_with(path, "/messages")) return Endpoint::messages;
  if (ends_with(path, "/responses")) return Endpoint::responses;
  return Endpoint::unknown;
}

const char* error_type_for(unsigned status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

const char* error_code_for(unsigned status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "invalid_api_key";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 429: return "rate_limit_exceeded";
    case 503: return "service_unavailable";
    default: return status >= 500 ? "server_error" : "simulated_error";
  }
}

// Text of a message "content": a string, or an array of parts with "text".
std::string text_of(const json::value* content) {
  if (!content) return {};
  if (auto s = content->if_string()) return std::string(*s);
  std::string out;
  if (auto parts = content->if_array())
    for (const auto& part : *parts) {
      if (auto s = part.if_string()) out += *s;
      else if (auto obj = part.if_object())
        if (auto text = obj->if_contains("text"); text && text->is_string())
          out += text->get_string();
    }
  return out;
}

// The fields every generating endpoint reads, extracted once.
struct Request {
  json::object body;
  std::string model;
  bool stream = false;
  bool include_usage = false;
  std::optional<std::int64_t> max_tokens;
  std::size_t prompt_chars = 0;
  std::string last_user_text;  // echo source
  // A trailing assistant message to continue (Anthropic's prefill; on chat
  // completions only with vLLM's continue_final_message: true).
  std::optional<std::string> prefill;
};

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  auto v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (auto i = v->if_int64()) return *i;
  if (auto u = v->if_uint64()) return static_cast<std::int64_t>(*u);
  if (auto d = v->if_double()) return static_cast<std::int64_t>(*d);
  return std::nullopt;
}

void read_messages(const json::object& body, Request& r, bool prefill_allowed) {
  auto messages = body.if_contains("messages");
  if (!messages || !messages->is_array()) return;
  std::string last_role, last_text;
  for (const auto& m : messages->get_array()) {
    auto obj = m.if_object();
    if (!obj) continue;
    auto text = text_of(obj->if_contains("content"));
    r.prompt_chars += text.size();
    auto role = obj->if_contains("role");
    last_role = role && role->is_string() ? std::string(role->get_string()) : std::string();
    last_text = text;
    if (last_role == "user") r.last_user_text = std::move(text);
  }
  if (prefill_allowed && last_role == "assistant") r.prefill = std::move(last_text);
}

void read_prompt(const json::value* prompt, Request& r) {
  if (!prompt) return;
  if (auto s = prompt->if_string()) {
    r.prompt_chars += s->size();
    r.last_user_text = std::string(*s);
  } else if (auto a = prompt->if_array()) {
    for (const auto& p : *a)
      if (auto s = p.if_string()) {
        r.prompt_chars += s->size();
        r.last_user_text = std::string(*s);
      } else {
        r.prompt_chars += json::serialize(p).size();  // token arrays
      }
  }
}

Request read_request(json::object body, Endpoint ep) {
  Request r;
  if (auto m = body.if_contains("model"); m && m->is_string()) r.model = m->get_string();
  if (auto s = body.if_contains("stream"); s && s->is_bool()) r.stream = s->get_bool();
  if (auto so = body.if_contains("stream_options"); so && so->is_object())
    if (auto iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool())
      r.include_usage = iu->get_bool();
  r.max_tokens = int_field(body, "max_completion_tokens");
  if (!r.max_tokens) r.max_tokens = int_field(body, "max_tokens");
  switch (ep) {
    case Endpoint::chat: {
      const auto* cont = body.if_contains("continue_final_message");
      read_messages(body, r, cont && cont->is_bool() && cont->get_bool());
      break;
    }
    case Endpoint::messages:
      r.prompt_chars += text_of(body.if_contains("system")).size();
      read_messages(body, r, true);
      break;
    case Endpoint::completions: read_prompt(body.if_contains("prompt"), r); break;
    case Endpoint::embeddings: read_prompt(body.if_contains("input"), r); break;
    case Endpoint::responses: {
      auto in = read_responses_input(body);
      r.prompt_chars = in.prompt_chars;
      r.last_user_text = std::move(in.last_user_text);
      r.max_tokens = in.max_output_tokens;
      break;
    }
    default: break;
  }
  r.body = std::move(body);
  return r;
}

json::object usage_openai(int prompt, int completion, int cached) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

std::string sse(const json::object& o) {
  std::string s = "data: ";
  s += json::serialize(o);
  s += "\n\n";
  return s;
}

std::string sse_event(std::string_view event, const json::object& o) {
  std::string s = "event: ";
  s += event;
  s += "\ndata: ";
  s += json::serialize(o);
  s += "\n\n";
  return s;
}

// The error a backend sends inside a stream that has started, in each dialect.
std::string stream_error_event(Endpoint ep, int sequence_number) {
  const char* message = "hybridgw-sim: error_event fault (the backend failed mid-stream)";
  if (ep == Endpoint::messages)
    return sse_event("error", {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", message}}}});
  if (ep == Endpoint::responses)
    return sse_event("error", {{"type", "error"},
                               {"code", "server_error"},
                               {"message", message},
                               {"param", nullptr},
                               {"sequence_number", sequence_number}});
  return sse({{"error", {{"message", message}, {"type", "server_error"}, {"code", "server_error"}}}});
}

Plan json_plan(unsigned status, const json::value& body) {
  Plan p;
  p.status = status;
  p.body = json::serialize(body);
  return p;
}

// Everything a generating endpoint needs to produce content and usage.
struct Generation {
  std::vector<std::string> pieces;  // one per chunk / token
  bool truncated = false;           // hit max_tokens
  int prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  std::string text() const {
    std::string t;
    for (const auto& p : pieces) t += p;
    return t;
  }
};

// The answer "tok0 tok1 … tok{n-1} " goes on after a prefill from the first
// token it does not hold, with a space first when the prefill does not end
// in one (as a model continues a cut-off text); repeat_prefill: the answer
// first says the prefill again, as some models do.
void continue_after_prefill(const std::string& prefill, bool repeat_prefill, Generation& g) {
  std::size_t have = 0;
  for (std::size_t at = prefill.find("tok"); at != std::string::npos; at = prefill.find("tok", at + 3)) ++have;
  std::vector<std::string> rest;
  for (std::size_t i = have; i < g.pieces.size(); ++i) rest.push_back(g.pieces[i]);
  const bool ends_in_space = !prefill.empty() && (prefill.back() == ' ' || prefill.back() == '\n');
  if (!rest.empty() && !ends_in_space && !prefill.empty()) rest.front() = " " + rest.front();
  if (repeat_prefill && !prefill.empty()) rest.insert(rest.begin(), prefill);
  g.pieces = std::move(rest);
}

Generation generate(const Request& r, bool echo, const Timing& t) {
  Generation g;
  g.prompt_tokens = estimate_tokens(r.prompt_chars);
  g.cached_tokens = t.cached_tokens;
  if (is_judge_model(r.model)) {
    g.pieces = split_utf8(judge_reply(r.model, r.body), 4);  // ~4 bytes a token, as estimate_tokens
  } else if (echo) {
    g.pieces = split_utf8(r.last_user_text, 3);
  } else {
    std::int64_t n = std::max(0, t.tokens);
    if (r.max_tokens && *r.max_tokens >= 0 && *r.max_tokens < n) {
      n = *r.max_tokens;
      g.truncated = true;
    }
    g.pieces.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) g.pieces.push_back("tok" + std::to_string(i) + " ");
  }
  g.completion_tokens = static_cast<int>(g.pieces.size());
  return g;
}

// Delay before chunk i of a stream whose first content chunk is `first_content`.
struct Pacing {
  int first_delay_ms, token_delay_ms;
};

Plan chat_response(const Request& r, const Generation& g, std::uint64_t id, const Pacing& pace,
                   bool no_done) {
  const std::string ident = "chatcmpl-sim-" + std::to_string(id);
  const auto created = static_cast<std::int64_t>(std::time(nullptr));
  const char* finish = g.truncated ? "length" : "stop";
  Plan p;
  if (!r.stream) {
    json::object o{{"id", ident},
                   {"object", "chat.completion"},
                   {"created", created},
                   {"model", r.model},
                   {"choices", json::array{json::object{
                                   {"index", 0},
                                   {"message", {{"role", "assistant"}, {"content", g.text()}}},
                                   {"finish_reason", finish}}}},
                   {"usage", usage_openai(g.prompt_tokens, g.completion_tokens, g.cached_tokens)}};
    p.body = json::serialize(o);
    return p;
  }
  p.kind = Plan::Kind::stream;
  auto chunk = [&](json::array choices) {
    return json::object{{"id", ident},
                        {"object", "chat.completion.chunk"},
                        {"created", created},
                        {"model", r.model},
                        {"choices", std::move(choices)}};
  };
  const std::size_t n = std::max<std::size_t>(1, g.pieces.size());  // at least the role chunk
  for (std::size_t i = 0; i < n; ++i) {
    json::object delta;
    if (i == 0) delta["role"] = "assistant";
    delta["content"] = i < g.pieces.size() ? g.pieces[i] : std::string();
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
    choice["finish_reason"] = i + 1 == n ? json::value(finish) : json::value(nullptr);
    p.chunks.push_back({sse(chunk(json::array{std::move(choice)})),
                        i == 0 ? pace.first_delay_ms : pace.token_delay_ms});
  }
  if (r.include_usage) {
    auto last = chunk(json::array{});
    last["usage"] = usage_openai(g.prompt_tokens, g.completion_tokens, g.cached_tokens);
    p.chunks.push_back({sse(last), 0});
  }
  if (!no_done) p.chunks.push_back({"data: [DONE]\n\n", 0});
  return p;
}

Plan completion_response(const Request& r, const Generation& g, std::uint64_t id,
                         const Pacing& pace, bool no_done) {
  const std::string ident = "cmpl-sim-" + std::to_string(id);
  const auto created = static_cast<std::int64_t>(std::time(nullptr));
  const char* finish = g.truncated ? "length" : "stop";
  auto object = [&](std::string text, json::value fin) {
    return json::object{{"id", ident},
                        {"object", "text_completion"},
                        {"created", created},
                        {"model", r.model},
                        {"choices", json::array{json::object{{"text", std::move(text)},
                                                             {"index", 0},
                                                             {"logprobs", nullptr},
                                                             {"finish_reason", std::move(fin)}}}}};
  };
  Plan p;
  if (!r.stream) {
    auto o = object(g.text(), finish);
    o["usage"] = usage_openai(g.prompt_tokens, g.completion_tokens, g.cached_tokens);
    p.body = json::serialize(o);
    return p;
  }
  p.kind = Plan::Kind::stream;
  const std::size_t n = std::max<std::size_t>(1, g.pieces.size());
  for (std::size_t i = 0; i < n; ++i)
    p.chunks.push_back({sse(object(i < g.pieces.size() ? g.pieces[i] : std::string(),
                                   i + 1 == n ? json::value(finish) : json::value(nullptr))),
                        i == 0 ? pace.first_delay_ms : pace.token_delay_ms});
  if (r.include_usage) {
    json::object last{{"id", ident}, {"object", "text_completion"}, {"created", created},
                      {"model", r.model}, {"choices", json::array{}}};
    last["usage"] = usage_openai(g.prompt_tokens, g.completion_tokens, g.cached_tokens);
    p.chunks.push_back({sse(last), 0});
  }
  if (!no_done) p.chunks.push_back({"data: [DONE]\n\n", 0});
  return p;
}

Plan messages_response(const Request& r, const Generation& g, std::uint64_t id,
                       const Pacing& pace, bool no_done) {
  const std::string ident = "msg_sim_" + std::to_string(id);
  const char* stop = g.truncated ? "max_tokens" : "end_turn";
  Plan p;
  if (!r.stream) {
    json::object o{{"id", ident},
                   {"type", "message"},
                   {"role", "assistant"},
                   {"model", r.model},
                   {"content", json::array{json::object{{"type", "text"}, {"text", g.text()}}}},
                   {"stop_reason", stop},
                   {"stop_sequence", nullptr},
                   {"usage", {{"input_tokens", g.prompt_tokens},
                              {"output_tokens", g.completion_tokens},
                              {"cache_read_input_tokens", g.cached_tokens}}}};
    p.body = json::serialize(o);
    return p;
  }
  p.kind = Plan::Kind::stream;
  json::object start{{"type", "message_start"},
                     {"message", {{"id", ident},
                                  {"type", "message"},
                                  {"role", "assistant"},
                                  {"model", r.model},
                                  {"content", json::array{}},
                                  {"stop_reason", nullptr},
                                  {"stop_sequence", nullptr},
                                  {"usage", {{"input_tokens", g.prompt_tokens},
                                             {"output_tokens", 1},
                                             {"cache_read_input_tokens", g.cached_tokens}}}}}};
  p.chunks.push_back({sse_event("message_start", start), pace.first_delay_ms});
  p.chunks.push_back({sse_event("content_block_start",
                                {{"type", "content_block_start"},
                                 {"index", 0},
                                 {"content_block", {{"type", "text"}, {"text", ""}}}}),
                      0});
  for (std::size_t i = 0; i < g.pieces.size(); ++i)
    p.chunks.push_back({sse_event("content_block_delta",
                                  {{"type", "content_block_delta"},
                                   {"index", 0},
                                   {"delta", {{"type", "text_delta"}, {"text", g.pieces[i]}}}}),
                        i == 0 ? 0 : pace.token_delay_ms});
  p.chunks.push_back(
      {sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}), 0});
  p.chunks.push_back({sse_event("message_delta",
                                {{"type", "message_delta"},
                                 {"delta", {{"stop_reason", stop}, {"stop_sequence", nullptr}}},
                                 {"usage", {{"output_tokens", g.completion_tokens}}}}),
                      0});
  // Anthropic's terminal marker plays the role of OpenAI's [DONE].
  if (!no_done) p.chunks.push_back({sse_event("message_stop", {{"type", "message_stop"}}), 0});
  return p;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Deterministic unit vector of 8 dimensions derived from the input text.
json::array embedding_of(std::string_view text) {
  double v[8], norm = 0;
  const auto seed = fnv1a(text);
  for (int d = 0; d < 8; ++d) {
    v[d] = static_cast<double>(splitmix(seed + d) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    norm += v[d] * v[d];
  }
  norm = norm > 0 ? std::sqrt(norm) : 1.0;
  json::array out;
  for (double x : v) out.push_back(static_cast<float>(x / norm));
  return out;
}

Plan embeddings_response(const Request& r) {
  std::vector<std::string> inputs;
  if (auto in = r.body.if_contains("input")) {
    if (auto s = in->if_string()) inputs.emplace_back(*s);
    else if (auto a = in->if_array()) {
      bool all_numbers = !a->empty();
      for (const auto& x : *a) all_numbers = all_numbers && x.is_number();
      if (all_numbers) inputs.push_back(json::serialize(*a));  // one tokenised input
      else
        for (const auto& x : *a)
          inputs.push_back(x.is_string() ? std::string(x.get_string()) : json::serialize(x));
    }
  }
  if (inputs.empty())
    return error_plan(400, "'input' must be a non-empty string or array", "invalid_request_error",
                      "invalid_input");
  json::array data;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    data.push_back(json::object{{"object", "embedding"},
                                {"index", i},
                                {"embedding", embedding_of(inputs[i])}});
  const int prompt = estimate_tokens(r.prompt_chars);
  return json_plan(200, json::object{{"object", "list"},
                                     {"data", std::move(data)},
                                     {"model", r.model},
                                     {"usage", {{"prompt_tokens", prompt}, {"total_tokens", prompt}}}});
}

Plan models_response(const SimState& state) {
  json::array data;
  for (const auto& m : state.models())
    data.push_back(json::object{{"id", m}, {"object", "model"}, {"created", 0},
                                {"owned_by", state.name()}});
  return json_plan(200, json::object{{"object", "list"}, {"data", std::move(data)}});
}

// A fault that replaces the response entirely (status, context_length, ...).
Plan fault_response(const FaultSpec& f, const Request* r, bool anthropic) {
  Plan p;
  if (f.reset) p.kind = Plan::Kind::reset;
  else if (f.hang) p.kind = Plan::Kind::hang;
  else if (f.context_length) {
    const int tokens = r ? estimate_tokens(r->prompt_chars) : 0;
    p = error_plan(400,
                   "This model's maximum context length is 8192 tokens. However, your messages "
                   "resulted in " + std::to_string(std::max(tokens, 8193)) +
                       " tokens. Please reduce the length of the messages.",
                   "invalid_request_error", "context_length_exceeded", anthropic);
  } else if (f.content_policy) {
    p = error_plan(400,
                   "The response was filtered due to the prompt triggering the content "
                   "management policy (simulated content filter). Please modify your prompt "
                   "and retry.",
                   "invalid_request_error", "content_policy_violation", anthropic);
  } else {
    const auto status = static_cast<unsigned>(f.status);
    p = error_plan(status,
                   status == 429 ? "Rate limit reached (simulated by hybridgw-sim)."
                                 : "Simulated upstream error (status " + std::to_string(status) + ").",
                   error_type_for(status), error_code_for(status), anthropic);
    if (f.retry_after_s >= 0) p.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
  }
  if (f.slow_ttft_ms >= 0) p.delay_ms = f.slow_ttft_ms;
  return p;
}

}  // namespace

int estimate_tokens(std::size_t chars) {
  return static_cast<int>(std::max<std::size_t>(1, (chars + 3) / 4));
}

std::vector<std::string> split_utf8(std::string_view text, std::size_t bytes) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = std::min(text.size(), pos + bytes);
    // Continuation bytes (10xxxxxx) belong to the character before them.
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    out.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

Plan error_plan(unsigned status, std::string_view message, std::string_view type,
                std::string_view code, bool anthropic) {
  json::object err{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  if (code == "context_length_exceeded") err["param"] = "messages";
  json::object o;
  if (anthropic) o["type"] = "error";
  o["error"] = std::move(err);
  return json_plan(status, o);
}

Plan build_response(const Inbound& in, SimState& state) {
  const Endpoint ep = endpoint_of(in.target);
  const bool anthropic = ep == Endpoint::messages;

  std::optional<FaultSpec> fault;
  if (in.has_fault_header) {
    auto parsed = parse_fault(in.fault_header);
    if (!parsed.ok()) return error_plan(400, parsed.error, "invalid_request_error", "invalid_fault", anthropic);
    fault = parsed.spec;
  }

  // Parse the body once for the generating endpoints; a model "fault:<spec>" needs it too.
  const bool wants_body = ep == Endpoint::chat || ep == Endpoint::completions ||
                          ep == Endpoint::embeddings || ep == Endpoint::messages ||
                          ep == Endpoint::responses;
  std::optional<Request> req;
  std::string json_error;
  if (wants_body) {
    boost::system::error_code ec;
    auto value = json::parse(in.body, ec);
    if (ec) json_error = "We could not parse the JSON body of your request (" + ec.message() + ").";
    else if (!value.is_object()) json_error = "The request body must be a JSON object.";
    else req = read_request(std::move(value.get_object()), ep);
  }
  if (!fault && req && req->model.starts_with("fault:")) {
    auto parsed = parse_fault(std::string_view(req->model).substr(6));
    if (!parsed.ok()) return error_plan(400, parsed.error, "invalid_request_error", "invalid_fault", anthropic);
    fault = parsed.spec;
  }
  if (!fault) fault = state.take_fault();
  const FaultSpec f = fault.value_or(FaultSpec{});

  if (f.replaces_response()) {
    Plan p = fault_response(f, req ? &*req : nullptr, anthropic);
    p.streaming_request = req && req->stream;
    return p;
  }

  const bool is_get = in.method == "GET";
  if (ep == Endpoint::unknown)
    return error_plan(404, "Unknown path " + std::string(in.target) + " (hybridgw-sim)",
                      "invalid_request_error", "not_found");
  if ((ep == Endpoint::models) != is_get || (!is_get && in.method != "POST"))
    return error_plan(405, "Method " + std::string(in.method) + " not allowed on " + std::string(in.target),
                      "invalid_request_error", "method_not_allowed", anthropic);
  if (ep == Endpoint::models) return models_response(state);
  if (!req) return error_plan(400, json_error, "invalid_request_error", "invalid_json", anthropic);

  const Timing t = state.timing();
  const bool echo = in.echo || req->model == "echo";
  Plan p;
  if (ep == Endpoint::embeddings) {
    p = embeddings_response(*req);
  } else {
    Generation g = generate(*req, echo, t);
    if (req->prefill && !echo && !is_judge_model(req->model)) {
      continue_after_prefill(*req->prefill, f.repeat_prefill, g);
      g.completion_tokens = static_cast<int>(g.pieces.size());
    }
    const Pacing pace{f.slow_ttft_ms >= 0 ? f.slow_ttft_ms : t.ttft_ms, t.token_delay_ms};
    const auto id = state.next_id();
    const auto call = ep == Endpoint::chat ? pick_chat_tool_call(req->body) : std::nullopt;
    if (call)
      p = chat_tool_call_plan(*call, {req->model, req->stream, req->include_usage, f.no_done, g.prompt_tokens,
                                      g.cached_tokens, id, pace.first_delay_ms, pace.token_delay_ms});
    else if (ep == Endpoint::chat) p = chat_response(*req, g, id, pace, f.no_done);
    else if (ep == Endpoint::responses)
      p = responses_plan(req->body, {g.pieces, g.truncated, g.prompt_tokens, g.completion_tokens, g.cached_tokens, id,
                                     pace.first_delay_ms, pace.token_delay_ms, f.no_done});
    else if (ep == Endpoint::completions) p = completion_response(*req, g, id, pace, f.no_done);
    else p = messages_response(*req, g, id, pace, f.no_done);
  }
  p.streaming_request = req->stream;
  if (p.kind == Plan::Kind::stream) {
    p.content_type = "text/event-stream";
    if (f.preamble && ep == Endpoint::chat) {
      json::object first{{"id", "chatcmpl-sim-preamble"},
                         {"object", "chat.completion.chunk"},
                         {"created", 0},
                         {"model", req->model},
                         {"choices", json::array{json::object{{"index", 0},
                                                              {"delta", {{"role", "assistant"}, {"content", ""}}},
                                                              {"logprobs", nullptr},
                                                              {"finish_reason", nullptr}}}}};
      const int delay = p.chunks.empty() ? 0 : p.chunks.front().delay_ms;
      if (!p.chunks.empty()) p.chunks.front().delay_ms = t.token_delay_ms;
      p.chunks.insert(p.chunks.begin(), {sse(first), delay});
    }
    if (f.malformed >= 0 && static_cast<std::size_t>(f.malformed) < p.chunks.size())
      p.chunks[f.malformed].data = "data: {not json\n\n";
    if (f.error_event >= 0 && static_cast<std::size_t>(f.error_event) < p.chunks.size()) {
      p.chunks.resize(f.error_event + 1);
      p.chunks.back().data = stream_error_event(ep, f.error_event);
    }
    p.cut_after = f.cut;
    p.stall_after = f.stall;
  } else {
    p.delay_ms = f.slow_ttft_ms >= 0 ? f.slow_ttft_ms : t.latency_ms;
    p.cut_after = f.cut >= 0 ? 0 : -1;
  }
  return p;
}

}  // namespace hgw::sim
