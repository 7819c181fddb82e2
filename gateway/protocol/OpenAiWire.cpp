#include "gateway/protocol/OpenAiWire.hpp"

#include "gateway/protocol/JsonText.hpp"

#include <algorithm>
#include <limits>

namespace hgw::protocol {

namespace json = boost::json;

std::string error_body(std::string_view message, std::string_view type, std::string_view code) {
  json::object err;
  err["message"] = message;
  err["type"] = type;
  if (code.empty())
    err["code"] = nullptr;
  else
    err["code"] = code;
  json::object o;
  o["error"] = std::move(err);
  return json::serialize(o);
}

JsonParseResult parse_json_body(std::string_view body, json::storage_ptr storage) {
  // Assigning a json::value keeps the target's storage: start from it.
  JsonParseResult result{json::value(storage), {}};
  // The parser's scratch space lives on the stack for ordinary request sizes.
  unsigned char scratch[4096];
  // A one-shot parser: the body is whole, and a stream_parser costs a few
  // percent more for the same parse.
  json::parser parser(json::storage_ptr(), json::parse_options(), scratch);
  parser.reset(storage);
  boost::system::error_code ec;
  const size_t consumed = parser.write(body.data(), body.size(), ec);
  if (ec) {
    // The offset of the error is what the parser consumed; turn it into line/column.
    const size_t at = std::min(consumed, body.size());
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at; ++i) {
      if (body[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    result.error = "invalid JSON at line " + std::to_string(line) + " column " +
                   std::to_string(column) + ": " + ec.message();
    return result;
  }
  result.value = parser.release();
  return result;
}

std::uint64_t count_from_double(double v) {
  if (!(v > 0)) return 0;
  if (v >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();  // 2^64
  return static_cast<std::uint64_t>(v);
}

namespace {
std::uint64_t u64(const json::value* v) {
  if (!v) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return v->as_int64() > 0 ? static_cast<std::uint64_t>(v->as_int64()) : 0;
  if (v->is_double()) return count_from_double(v->as_double());
  return 0;
}

void add_text_bytes(const json::value& v, std::uint64_t& bytes, bool& images) {
  if (v.is_string()) {
    bytes += v.as_string().size();
  } else if (v.is_array()) {
    for (const auto& part : v.as_array()) add_text_bytes(part, bytes, images);
  } else if (v.is_object()) {
    // One pass over the members (keys are unique after parsing), not a
    // look-up per key the text may be under.
    for (const auto& member : v.as_object()) {
      const std::string_view key = member.key();
      const json::value& x = member.value();
      if (key == "type") {
        if (const auto* t = x.if_string(); t && (*t == "image_url" || *t == "image" || *t == "input_image"))
          images = true;
      } else if (key == "text" || key == "content" || key == "arguments" || key == "input" || key == "function" ||
                 key == "tool_calls") {
        add_text_bytes(x, bytes, images);
      }
    }
  }
}
}  // namespace

TokenUsage usage_from(const UsageCounts& c) {
  TokenUsage u;
  if (c.prompt || c.completion) {
    u.input = c.prompt.value_or(0);
    u.output = c.completion.value_or(0);
    u.cached = c.cached.value_or(0);
    u.known = true;
  } else if (c.input || c.output) {
    u.cached = c.cache_read.value_or(0);
    u.input = c.input.value_or(0) + u.cached + c.cache_creation.value_or(0);
    u.output = c.output.value_or(0);
    u.known = true;
  }
  return u;
}

TokenUsage operator+(TokenUsage a, const TokenUsage& b) {
  a.input += b.input;
  a.output += b.output;
  a.cached += b.cached;
  a.known = a.known || b.known;
  return a;
}

TokenUsage without(TokenUsage total, const TokenUsage& part) {
  total.input -= std::min(total.input, part.input);
  total.output -= std::min(total.output, part.output);
  total.cached -= std::min(total.cached, part.cached);
  return total;
}

json::object openai_usage(const TokenUsage& u) {
  return {{"prompt_tokens", u.input},
          {"completion_tokens", u.output},
          {"total_tokens", u.input + u.output},
          {"prompt_tokens_details", {{"cached_tokens", u.cached}}}};
}

TokenUsage read_usage(const json::object& response) {
  const auto* usage_v = response.if_contains("usage");
  if (!usage_v || !usage_v->is_object()) return {};
  const auto& usage = usage_v->as_object();
  auto count = [](const json::object& o, std::string_view key) -> std::optional<std::uint64_t> {
    const auto* v = o.if_contains(key);
    return v ? std::optional<std::uint64_t>(u64(v)) : std::nullopt;
  };
  UsageCounts c;
  c.prompt = count(usage, "prompt_tokens");
  c.completion = count(usage, "completion_tokens");
  if (auto* d = usage.if_contains("prompt_tokens_details"); d && d->is_object())
    c.cached = count(d->as_object(), "cached_tokens");
  c.input = count(usage, "input_tokens");
  c.output = count(usage, "output_tokens");
  c.cache_read = count(usage, "cache_read_input_tokens");
  c.cache_creation = count(usage, "cache_creation_input_tokens");
  return usage_from(c);
}

policy::RequestFeatures features_of(const json::object& body, policy::Endpoint endpoint) {
  policy::RequestFeatures f;
  f.endpoint = endpoint;
  // One pass over the members (keys are unique after parsing).
  const json::value *max_completion = nullptr, *max_tokens = nullptr;
  std::uint64_t bytes = 0;
  for (const auto& member : body) {
    const std::string_view key = member.key();
    const json::value& v = member.value();
    if (key == "model") {
      if (v.is_string()) f.model = v.get_string();
    } else if (key == "stream") {
      if (v.is_bool()) f.stream = v.get_bool();
    } else if (key == "max_completion_tokens") {
      max_completion = &v;
    } else if (key == "max_tokens") {
      max_tokens = &v;
    } else if (key == "tools" || key == "functions") {
      if (v.is_array() && !v.get_array().empty()) f.has_tools = true;
    } else if (key == "response_format") {
      if (const auto* rf = v.if_object())
        if (auto* type = rf->if_contains("type"); type && type->is_string())
          f.json_mode = type->get_string() == "json_object" || type->get_string() == "json_schema";
    } else if (key == "messages" || key == "prompt" || key == "input" || key == "system") {
      add_text_bytes(v, bytes, f.has_images);
    }
  }
  // max_completion_tokens wins; max_tokens counts when it is absent or 0.
  if (max_completion) f.max_tokens = u64(max_completion);
  if (max_tokens && f.max_tokens == 0) f.max_tokens = u64(max_tokens);
  f.estimated_prompt_tokens = (bytes + 3) / 4;
  return f;
}

bool client_wants_stream_usage(const json::object& body) {
  const auto* so = body.if_contains("stream_options");
  if (!so || !so->is_object()) return false;
  const auto* iu = so->as_object().if_contains("include_usage");
  return iu && iu->is_bool() && iu->as_bool();
}

namespace {

// Serialises JSON straight into `out` (no intermediate string per value).
class JsonAppender {
 public:
  explicit JsonAppender(std::string& out) : out_(out) {}
  void value(const json::value& v) {
    serializer_.reset(&v);
    drain();
  }
  void string(std::string_view s) {
    serializer_.reset(s);
    drain();
  }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    string(k);
    out_ += ':';
  }
  void raw(std::string_view text) { out_ += text; }
  void begin_object() {
    out_ += '{';
    first_ = true;
  }
  void end_object() {
    out_ += '}';
    first_ = false;
  }

 private:
  void drain() {
    char buf[2048];
    while (!serializer_.done()) out_ += serializer_.read(buf, sizeof buf);
  }
  std::string& out_;
  json::serializer serializer_;
  bool first_ = true;
};

}  // namespace

std::optional<std::string> upstream_body_from_text(std::string_view text, const json::object& body,
                                                   std::string_view backend_model, bool stream) {
  if (body.contains(kNativeResponsesExtras)) return std::nullopt;
  if (stream && !client_wants_stream_usage(body)) return std::nullopt;
  const auto model = find_top_level_string(text, "model");
  if (!model || model->members != count_members(body)) return std::nullopt;
  std::string out;
  out.reserve(text.size() + backend_model.size() + 16);
  out.append(text.substr(0, model->value_begin));
  JsonAppender(out).string(backend_model);
  out.append(text.substr(model->value_end));
  return out;
}

std::string upstream_body(const json::object& body, std::string_view backend_model, bool stream) {
  // Written member by member instead of copying the object to change two
  // members: the request's own values are serialised where they are.
  std::string out;
  out.reserve(1024 + body.size() * 64);  // one allocation for an ordinary chat request
  JsonAppender json(out);
  bool model_written = false, options_written = false;
  json.begin_object();
  for (const auto& member : body) {
    if (member.key() == kNativeResponsesExtras) continue;  // for Responses backends only
    if (member.key() == "model") {
      json.key("model");
      json.string(backend_model);
      model_written = true;
    } else if (stream && member.key() == "stream_options") {
      // Usage must be known for cost and budgets even when the client did not ask.
      json.key("stream_options");
      json.begin_object();
      if (member.value().is_object())
        for (const auto& option : member.value().get_object())
          if (option.key() != "include_usage") {
            json.key(option.key());
            json.value(option.value());
          }
      json.key("include_usage");
      json.raw("true");
      json.end_object();
      options_written = true;
    } else {
      json.key(member.key());
      json.value(member.value());
    }
  }
  if (!model_written) {
    json.key("model");
    json.string(backend_model);
  }
  if (stream && !options_written) {
    json.key("stream_options");
    json.raw("{\"include_usage\":true}");
  }
  json.end_object();
  return out;
}

}  // namespace hgw::protocol
