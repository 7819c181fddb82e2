// The state of one request as it moves through the pipeline, and the result
// of one upstream attempt. Internal to gateway/pipeline.
#pragma once

#include "gateway/pipeline/Snapshot.hpp"
#include "gateway/protocol/Codec.hpp"
#include "gateway/protocol/OpenAiWire.hpp"
#include "gateway/server/ClientChannel.hpp"
#include "gateway/state/QuotaStore.hpp"
#include "policies/compliance/ComplianceDecision.hpp"
#include "policies/failover/Outcome.hpp"
#include "policies/routing/Decision.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

namespace hgw::pipeline {

class Services;
struct StreamContinuation;

// POST /v1/responses: what a turn carries beyond the chat request the
// pipeline works on (Conversation.hpp keeps and finds conversations).
struct ResponsesTurn {
  std::string response_id;             // "resp_…", made by the gateway
  std::int64_t created_at = 0;         // unix seconds
  boost::json::value request;          // the client's request as it came (echoed in the response)
  bool store = true;                   // kept for previous_response_id and GET /v1/responses/{id}
  std::string previous_id;             // previous_response_id ("" when none)
  boost::json::array history;          // the stored conversation before this turn
  boost::json::array referenced;       // items of other stored responses named by item_reference
  std::string history_class;           // the highest data class of those stored turns
  boost::json::array input_items;      // this turn's input, as items with ids
  boost::json::value response;         // the response object once answered (what is stored)
};

struct Call {
  Call(const Services& sv, std::shared_ptr<Snapshot> s, server::Request& r, server::ClientChannel& c,
       Clock::time_point t)
      : services(sv), snap(std::move(s)), request(r), channel(c), received_at(t) {}

  const Services& services;  // for its test seam (Services::fault_point)
  std::shared_ptr<Snapshot> snap;
  server::Request& request;
  server::ClientChannel& channel;
  Clock::time_point received_at;

  std::string request_id;
  std::string path;
  // The endpoint the request is served as (the client's, or chat for an
  // Anthropic client), and the codec of the client's wire format.
  policy::Endpoint endpoint = policy::Endpoint::chat;
  const protocol::ClientCodec* client = &protocol::client_codec(policy::Endpoint::chat);
  std::string client_model;  // the model name the client asked for

  const config::TenantConfig* tenant = nullptr;
  int tenant_index = -1;
  const config::RouteConfig* route = nullptr;
  int route_index = -1;

  // The request's JSON lives in an arena freed with the call: parsing a body
  // allocates once instead of once per key and string. Its first block is
  // sized to the body (a parsed body takes about 1.5 times its text), because
  // a stream keeps it open as long as it lasts: a fixed 8 KB was a third of
  // an open stream's memory.
  static std::size_t first_arena_block(std::size_t body_bytes) {
    return std::clamp<std::size_t>(body_bytes + body_bytes / 2 + 512, 1024, 1 << 20);
  }
  boost::json::monotonic_resource arena{first_arena_block(request.body().size())};
  boost::json::value body = boost::json::value(boost::json::storage_ptr(&arena));  // parsed once
  // body is exactly the parse of request.body(), unchanged since: an upstream
  // body that only changes the model may be made from the client's bytes.
  bool body_is_request_text = false;
  std::optional<boost::json::value> redacted_body;  // for remote backends when a rule redacts
  std::vector<std::pair<std::string, std::string>> redaction_mapping;
  policy::RequestFeatures features;
  bool client_wants_usage = false;
  std::optional<compliance::ComplianceDecision> compliance;
  routing::Decision decision;
  std::string decision_short;              // decision.short_form(), made once (header and log)
  // The tenant's budget reservation and rate-limit charge (QuotaAdmission).
  bool quota_taken = false;
  struct HeldQuota {  // what settling needs of the grant
    std::uint64_t reservation = 0;
    double reserved_usd = 0;
    bool local = false;
  } quota;
  std::string quota_day_key, quota_month_key;
  std::uint64_t quota_tokens = 0;

  // Outcome, filled as the request proceeds.
  unsigned status = 0;
  std::string outcome = "success";
  int backend = -1;                        // the backend that answered (or was tried last)
  int attempts = 0;
  protocol::TokenUsage usage;
  double cost_usd = 0;
  double ttft_s = -1;
  Clock::duration upstream_time{};
  bool stream = false;
  bool downgraded = false;

  // POST /v1/responses only.
  std::unique_ptr<ResponsesTurn> responses;  // a pointer: most calls have none, and a stream keeps its Call

  // A broken stream being continued on another backend (StreamContinuation.hpp),
  // the usage of the attempts it follows (accounted under their backends), and
  // "from>to:reason" of each continuation, for the logs.
  std::shared_ptr<StreamContinuation> continuation;
  std::vector<std::pair<int, protocol::TokenUsage>> earlier_usage;
  std::string continued;

  const config::Config& config() const { return snap->config(); }
  // What the client's codec needs beyond the body.
  protocol::ClientContext client_context() const {
    protocol::ClientContext c;
    c.model = client_model;
    c.request_id = request_id;
    if (responses) {
      c.response_id = responses->response_id;
      c.created_at = responses->created_at;
      c.request = responses->request.if_object();
      c.history = responses->previous_id.empty() ? nullptr : &responses->history;
      c.stored = responses->store;
      c.referenced = responses->referenced.empty() ? nullptr : &responses->referenced;
    }
    return c;
  }
};

struct AttemptResult {
  failover::Outcome outcome = failover::Outcome::success;
  bool bytes_sent = false;                 // committed: something reached the client
  unsigned upstream_status = 0;
  std::string upstream_body;               // an upstream error reply, passed on as is when final
  const protocol::BackendCodec* upstream_codec = nullptr;  // the dialect of upstream_body
  std::optional<std::chrono::milliseconds> retry_after;
  std::string detail;                      // for the error message a person reads
  // A committed stream broke and call.continuation holds it, open, for the
  // next target that can continue it (routes[].failover.mid_stream).
  bool continuable = false;
};

}  // namespace hgw::pipeline
