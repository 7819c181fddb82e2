// OpenAI Responses API request (POST /v1/responses) → OpenAI Chat Completions
// request, for backends that speak only chat (vLLM, llama.cpp, Ollama, …).
// Pure: JSON in, JSON out; errors are returned as strings that name the JSON
// path and say what to do, never thrown.
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace hgw::protocol::responses {

// Finds an item the gateway stored earlier by its id (for "item_reference"
// inputs); nullptr when it does not know the id.
using ItemLookup = std::function<const boost::json::object*(std::string_view item_id)>;

struct RequestOptions {
  // The id the response to this request will have: ids of input items that
  // come without one are derived from it (see ResponsesJson.hpp).
  std::string_view response_id;
  // Resolves item_reference inputs that are not in `history`. Empty: only
  // `history` is searched.
  ItemLookup find_item;
  // Tools that only OpenAI can run (web_search, file_search, custom, …):
  // false refuses the request with an error naming the tool; true leaves them
  // out, so that the model answers without them. Codex CLI sends web_search
  // with every request, so it needs true to work on chat backends. A
  // tool_choice that forces such a tool is refused either way.
  bool drop_hosted_tools = false;
};

struct RequestTranslation {
  boost::json::object chat_body;   // the chat.completions request ("model" as the client sent it)
  boost::json::array input_items;  // this turn's input as normalised items with ids (storage, GET input_items)
  std::string error;               // non-empty: the request cannot be translated (400 for the client)
};

// `history` is the stored conversation of previous_response_id: the input and
// output items of the earlier turns, in order (nullptr when there is none).
//
// Mapping: instructions → first system message (this request's only: earlier
// turns' instructions are not carried over, as OpenAI does); message items →
// messages (developer → system; input_image → image_url part); consecutive
// function_call items → one assistant message with tool_calls (merged into a
// preceding assistant text message); function_call_output → tool message;
// reasoning items → dropped; item_reference → the referenced item.
// Function tools (those of a namespace flattened: the model calls them by
// their own names and the response translators give the namespace back),
// tool_choice, parallel_tool_calls, text.format (→ response_format),
// max_output_tokens (→ max_tokens), temperature, top_p, reasoning.effort (→
// reasoning_effort), user and stream are mapped. Fields
// with no chat equivalent (metadata, store, previous_response_id, include,
// truncation, …) are not sent.
RequestTranslation responses_request_to_chat(const boost::json::object& request, const boost::json::array* history,
                                             const RequestOptions& options = {});

}  // namespace hgw::protocol::responses
