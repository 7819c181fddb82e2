// What the policies may know about a request: a small view computed once from
// the parsed body and headers by the pipeline. Policies never see sockets or
// the raw body; this view is all that routing, cost and budgets decide on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hgw::policy {

enum class Endpoint { chat, completions, embeddings, messages, responses };

const char* to_string(Endpoint);

struct RequestFeatures {
  Endpoint endpoint = Endpoint::chat;
  std::string model;                      // the client-facing model name
  bool stream = false;
  std::uint64_t estimated_prompt_tokens = 0;
  std::uint64_t max_tokens = 0;           // 0 = not given by the client
  bool has_tools = false;
  bool has_images = false;
  bool json_mode = false;
  // Request headers with lowercase names (only those policies may look at).
  std::vector<std::pair<std::string, std::string>> headers;

  std::string_view header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers)
      if (name == lowercase_name) return value;
    return {};
  }
};

}  // namespace hgw::policy
