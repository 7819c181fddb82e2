// The online judge of a route (routes[].judge): primary vs shadow answer on
// one request, with hybridgw eval's prompt, rubric and JSON parsing
// (gateway/eval/JudgePrompt) — each answer scored 1–10, then the pair
// compared in both orders (primary shown first, then shadow first) so that a
// judge's position bias cancels out (gateway/eval/PairRule). Each question is
// asked of the judge backend directly (BackendCall); a reply that is not the
// expected JSON is asked again once (gateway/eval/JudgeRetry), and a second
// bad reply leaves the judgement unscored — never a guessed score. The four
// questions are asked one after the other and the first that fails ends the
// judgement: a judgement has all its verdicts or none.
#pragma once

#include "gateway/eval/CaseReader.hpp"
#include "gateway/eval/PairRule.hpp"
#include "gateway/shadow/BackendCall.hpp"

#include <string>

namespace hgw::shadow {

struct Judgement {
  enum class Result {
    scored,    // both scores and both orders
    unscored,  // a reply was not the expected JSON, also after its retry
    failed,    // the judge backend failed (error status, transport, open circuit)
    timed_out, // the judge backend timed out
    dropped,   // no free slot at the judge backend, or cancelled
  };
  Result result = Result::failed;
  int primary_score = 0, shadow_score = 0;        // 1..10 when scored
  eval::PairOutcome pair = eval::PairOutcome::tie;  // a = primary, b = shadow
  int requests = 0;                                // sent to the judge, retries included
  double cost_usd = 0;                             // of those requests
  std::string detail;                              // why, when not scored
};

const char* to_string(Judgement::Result);

// `conversation`: the request as the judge reads it (messages; no reference).
// The arguments must outlive the call (the caller's named locals).
awaitable<Judgement> judge_pair(BackgroundContext& ctx, int judge_backend, const eval::EvalCase& conversation,
                                const std::string& primary_answer, const std::string& shadow_answer,
                                const std::string& request_id);

}  // namespace hgw::shadow
