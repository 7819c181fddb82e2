#include "gateway/protocol/UsageScanner.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>
#include <string>

namespace hgw::protocol {

namespace {

namespace json = boost::json;

// The counters read_usage() knows, OpenAI's and Anthropic's.
enum class Counter { none, prompt, completion, input, output, cache_read, cache_creation, cached, details };

Counter counter_of(std::string_view key, bool in_details) {
  if (in_details) return key == "cached_tokens" ? Counter::cached : Counter::none;
  if (key == "prompt_tokens") return Counter::prompt;
  if (key == "completion_tokens") return Counter::completion;
  if (key == "input_tokens") return Counter::input;
  if (key == "output_tokens") return Counter::output;
  if (key == "cache_read_input_tokens") return Counter::cache_read;
  if (key == "cache_creation_input_tokens") return Counter::cache_creation;
  if (key == "prompt_tokens_details") return Counter::details;
  return Counter::none;
}

// SAX handler: tracks the nesting depth and where "usage" (a member of the top
// object) and its "prompt_tokens_details" are.
struct UsageHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  int depth = 0;
  bool top_is_object = false;
  int usage_depth = 0;    // depth of the usage object while inside it, else 0
  int details_depth = 0;  // depth of prompt_tokens_details while inside it
  bool usage_seen = false;
  bool next_is_usage = false, next_is_details = false;
  Counter pending = Counter::none;  // the counter the next value belongs to
  std::string key;                  // a key split into parts
  UsageCounts counts;

  std::optional<std::uint64_t>* slot(Counter c) {
    switch (c) {
      case Counter::prompt: return &counts.prompt;
      case Counter::completion: return &counts.completion;
      case Counter::cached: return &counts.cached;
      case Counter::input: return &counts.input;
      case Counter::output: return &counts.output;
      case Counter::cache_read: return &counts.cache_read;
      case Counter::cache_creation: return &counts.cache_creation;
      case Counter::none:
      case Counter::details: return nullptr;
    }
    return nullptr;
  }

  bool at_usage_level() const { return usage_depth != 0 && depth == usage_depth && details_depth == 0; }
  bool at_details_level() const { return details_depth != 0 && depth == details_depth; }

  void on_value(std::uint64_t v) {
    if (auto* s = slot(pending)) *s = v;
    pending = Counter::none;
    next_is_usage = next_is_details = false;
  }
  // A count that is not a number reads as 0 (but is there).
  void on_other_value() { on_value(0); }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (depth == 0) top_is_object = true;
    ++depth;
    if (next_is_usage) {
      usage_depth = depth;
      usage_seen = true;
    } else if (next_is_details) {
      details_depth = depth;
    } else {
      on_other_value();
    }
    pending = Counter::none;
    next_is_usage = next_is_details = false;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    if (depth == details_depth) details_depth = 0;
    if (depth == usage_depth) usage_depth = 0;
    --depth;
    return true;
  }
  bool on_array_begin(json::error_code&) {
    on_other_value();
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth;
    return true;
  }
  bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
    key.append(part.data(), part.size());
    return true;
  }
  bool on_key(json::string_view part, std::size_t, json::error_code&) {
    std::string_view k(part.data(), part.size());
    if (!key.empty()) {
      key.append(part.data(), part.size());
      k = key;
    }
    pending = Counter::none;
    next_is_usage = next_is_details = false;
    if (depth == 1 && k == "usage") {
      // A repeated key: the last one wins, as in the parsed object.
      if (usage_seen) counts = {};
      next_is_usage = true;
    } else if (at_usage_level()) {
      pending = counter_of(k, false);
      if (pending == Counter::details) {
        next_is_details = true;
        counts.cached.reset();  // a repeated key: the last one wins, as in the parsed object
      }
    } else if (at_details_level()) {
      pending = counter_of(k, true);
    }
    key.clear();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) {
    on_other_value();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code&) {
    on_value(v > 0 ? static_cast<std::uint64_t>(v) : 0);
    return true;
  }
  bool on_uint64(std::uint64_t v, json::string_view, json::error_code&) {
    on_value(v);
    return true;
  }
  bool on_double(double v, json::string_view, json::error_code&) {
    on_value(count_from_double(v));
    return true;
  }
  bool on_bool(bool, json::error_code&) {
    on_other_value();
    return true;
  }
  bool on_null(json::error_code&) {
    on_other_value();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

std::optional<TokenUsage> scan_answer_usage(std::string_view body) {
  json::basic_parser<UsageHandler> parser(json::parse_options{});
  json::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (ec || used != body.size() || !parser.done() || !parser.handler().top_is_object) return std::nullopt;
  return usage_from(parser.handler().counts);
}

}  // namespace hgw::protocol
