// `hybridgw explain` and POST /admin/explain: the routing decision for a
// request body, through the same planning code as live traffic, sending
// nothing anywhere. Output holds names, classes, counts and reasons only —
// never detected values or secrets.
#pragma once

#include "gateway/pipeline/Snapshot.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hgw::pipeline {

struct ExplainResult {
  unsigned status = 200;       // 200 explained (even when the decision is a refusal); 400 bad input
  boost::json::object json;
  std::string table;           // readable form
};

// endpoint: "chat" | "completions" | "embeddings", or "" to infer from the body
// (messages → chat, prompt → completions, input → embeddings).
ExplainResult explain(const Snapshot& snap, std::string_view request_json, const std::string& tenant,
                      std::vector<std::pair<std::string, std::string>> headers,
                      std::string endpoint = {});

}  // namespace hgw::pipeline
