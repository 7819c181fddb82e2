// Shadow traffic for one live request (routes[].shadow, README "Is the local
// model good enough?"). ProxyHandler calls start_shadow() once the request is
// answered and accounted — after, never instead of, the real answer, and
// without making the client wait: it decides and copies at once, and the
// mirrored request runs on its own on the same io thread.
//
// What is mirrored: a request the tap drew (shadow.sample) that the route
// answered with 200. It goes to the shadow backend only when the request's
// compliance decision lets that backend take it — the redacted body for a
// remote backend when the request was redacted — and as a whole answer in
// that backend's protocol, streamed client requests included. Each mirrored
// request ends in one outcome of hybridgw_shadow_requests_total:
//   success     the shadow backend answered (2xx, a JSON object)
//   error       it failed: error status, transport error, open circuit, an
//               answer that is not JSON, a request its codec cannot express
//   timeout     one of its timeouts (connect, first token, idle, total)
//   dropped     not sent or abandoned: the route has shadow.max_inflight in
//               flight on this replica, the backend has no free concurrency
//               slot, the gateway is over server.limits.max_inflight or drains
//   ineligible  not sent: the request's data class excludes the backend, the
//               backend does not serve the endpoint, or it is the backend that
//               answered the request
// When the tap also drew the judge (judge.sample) and the shadow answered a
// chat request, ShadowJudge compares the two answers; each judgement ends in
// one outcome of hybridgw_judgements_total (scored, unscored, error, timeout,
// dropped, or ineligible: the judge may not see this request's data — it is
// not eligible for it, or the request was redacted for it — or an answer
// could not be kept or read). A scored judgement is recorded in
// hybridgw_judge_score, hybridgw_judge_wins_total and the cost report.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/Services.hpp"
#include "gateway/shadow/ShadowTap.hpp"
#include "gateway/upstream/PoolSet.hpp"

namespace hgw::shadow {

// `executor`: the io thread of the request (its pools are `pools`).
void start_shadow(pipeline::Services& services, upstream::PoolSet& pools, pipeline::Call& call,
                  const ShadowTap& tap, Executor executor);

}  // namespace hgw::shadow
