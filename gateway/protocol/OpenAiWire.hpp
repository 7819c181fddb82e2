// The OpenAI wire format as the gateway needs it: error bodies, usage, and the
// request features and rewrites of DESIGN.md §1 ("parse once, re-serialise only
// when something must change").
#pragma once

#include "policies/RequestFeatures.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hgw::protocol {

// A member of the internal chat request (POST /v1/responses) carrying what
// only a native Responses backend understands: hosted tools, include,
// reasoning with its summary, prompt_cache_key, developer roles, … Chat and
// Anthropic codecs never send it; the Responses backend codec puts it back.
inline constexpr std::string_view kNativeResponsesExtras = "hybridgw_responses";

struct TokenUsage {
  std::uint64_t input = 0, output = 0, cached = 0;
  bool known = false;
};
// Usage of several attempts of one answer (a continued stream): their sum,
// known when a part is; and what is left of a total without one part, each
// count at least zero.
TokenUsage operator+(TokenUsage a, const TokenUsage& b);
TokenUsage without(TokenUsage total, const TokenUsage& part);

// The OpenAI usage object: prompt, completion and total tokens, cached tokens
// in prompt_tokens_details.
boost::json::object openai_usage(const TokenUsage& u);

// {"error":{"message":…,"type":…,"code":…}}
std::string error_body(std::string_view message, std::string_view type, std::string_view code);

// Where a JSON parse failed, for a 400 a person can act on.
struct JsonParseResult {
  boost::json::value value;
  std::string error;  // empty on success, else "invalid JSON at line L column C: reason"
};
// The value is allocated from `storage` (a request's arena, say).
JsonParseResult parse_json_body(std::string_view body, boost::json::storage_ptr storage = {});

// A JSON number as a token count: negative (and NaN) is 0, fractions are cut,
// and a count beyond 2^64 saturates (converting it would be undefined).
std::uint64_t count_from_double(double v);

// The counters a usage object may carry, OpenAI's and Anthropic's; a member
// that is there but not a number counts as 0.
struct UsageCounts {
  std::optional<std::uint64_t> prompt, completion, cached;              // OpenAI
  std::optional<std::uint64_t> input, output, cache_read, cache_creation;  // Anthropic
};
// What the counters mean: OpenAI's when prompt or completion counts are there,
// else Anthropic's, whose cache reads are folded into input (OpenAI's
// convention, cached ⊆ input, is kept everywhere). known=false when neither.
TokenUsage usage_from(const UsageCounts& counts);

// Reads usage from an OpenAI object ("usage": {prompt_tokens, completion_tokens,
// prompt_tokens_details.cached_tokens}) or an Anthropic one (input_tokens,
// output_tokens, cache_read_input_tokens). Returns known=false if absent/null.
TokenUsage read_usage(const boost::json::object& response);

// Features of an OpenAI-style request body for the policies. The prompt token
// estimate is bytes ÷ 4 of everything the model would read (no tokenizer: the
// estimate only sizes budgets and context windows, usage corrects it later).
policy::RequestFeatures features_of(const boost::json::object& body, policy::Endpoint endpoint);

// Prepares the body for one backend: sets "model" and, for streams, asks for a
// usage chunk. Returns whether the client itself asked for usage in the stream.
bool client_wants_stream_usage(const boost::json::object& body);
std::string upstream_body(const boost::json::object& body, std::string_view backend_model, bool stream);
// The same body made from the client's own bytes (`text`, which `body` is the
// parse of) with only the "model" value replaced — no serialising — when that
// is all upstream_body would change: nullopt when it would change more (a
// stream without include_usage, the Responses extras), or when the text is
// not plainly what the parse holds (an escaped top-level key, a key repeated
// at any depth: the backend might read the copy the policies did not see).
std::optional<std::string> upstream_body_from_text(std::string_view text, const boost::json::object& body,
                                                   std::string_view backend_model, bool stream);

}  // namespace hgw::protocol
