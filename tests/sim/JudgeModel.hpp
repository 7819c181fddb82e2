// The simulator's judge: a chat request for model "judge" (or "judge-first")
// that carries `hybridgw eval`'s judge prompt gets a deterministic JSON verdict
// derived from the answer(s) being judged, so that eval's tests know every
// score in advance. Pure (no sockets): ResponseBuilder asks it for the text.
//
// The prompt is found in the first user message that holds <answer>…</answer>
// (a score) or <answer_a>…</answer_a> and <answer_b>…</answer_b> (a pairwise
// comparison). Markers inside a judged answer steer the verdict:
//   score=N                 (N = 1..10) that answer scores N; without it, a
//                           stable hash: 1 + FNV-1a(answer) mod 10 (white
//                           space around the answer ignored)
//   judge=malformed         the reply is not JSON, on every attempt
//   judge=malformed-once    not JSON on the first attempt (one user turn),
//                           valid JSON on a retry (more than one user turn)
// Pairwise: the higher score wins ("A" or "B"), equal scores are a "tie" —
// except with model "judge-first", which always prefers the first answer
// (a judge with position bias).
#pragma once

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace hgw::sim {

bool is_judge_model(std::string_view model);

// The assistant text for a judge request (the whole chat request body).
// A prompt without the expected tags gets a plain-text (non-JSON) complaint.
std::string judge_reply(std::string_view model, const boost::json::object& body);

// The score the judge gives an answer (see the markers above).
int judge_score(std::string_view answer);

}  // namespace hgw::sim
