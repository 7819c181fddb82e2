#include "gateway/shadow/ShadowJudge.hpp"

#include "gateway/eval/JudgePrompt.hpp"
#include "gateway/eval/JudgeRetry.hpp"
#include "gateway/shadow/AnswerText.hpp"

namespace hgw::shadow {

namespace json = boost::json;

const char* to_string(Judgement::Result r) {
  switch (r) {
    case Judgement::Result::scored: return "scored";
    case Judgement::Result::unscored: return "unscored";
    case Judgement::Result::failed: return "error";
    case Judgement::Result::timed_out: return "timeout";
    case Judgement::Result::dropped: return "dropped";
  }
  return "error";
}

namespace {

Judgement::Result result_of(BackendReply::Result r) {
  switch (r) {
    case BackendReply::Result::answered: return Judgement::Result::scored;
    case BackendReply::Result::timed_out: return Judgement::Result::timed_out;
    case BackendReply::Result::refused:
    case BackendReply::Result::cancelled: return Judgement::Result::dropped;
    case BackendReply::Result::failed: return Judgement::Result::failed;
  }
  return Judgement::Result::failed;
}

// One question to the judge, with its one retry. True with `verdict` set;
// false with j.result and j.detail saying why not.
template <class Verdict>
awaitable<bool> ask(BackgroundContext& ctx, int judge, const std::string& request_id, json::object& request,
                    typename eval::JudgeRetry<Verdict>::Parse parse, Judgement& j, Verdict& verdict) {
  const auto& backend = ctx.snap->config().backends[judge];
  eval::JudgeRetry<Verdict> rounds(std::move(request), parse);
  while (!rounds.done()) {
    std::string body, why;
    if (!encode_request(backend, rounds.request(), body, why)) {
      j.result = Judgement::Result::failed;
      j.detail = "judge " + backend.name + " cannot take the question: " + why;
      co_return false;
    }
    ++j.requests;
    auto reply = co_await call_backend(ctx, judge, policy::Endpoint::chat, body, request_id);
    j.cost_usd += reply.cost_usd;
    if (reply.result != BackendReply::Result::answered) {
      j.result = result_of(reply.result);
      j.detail = reply.detail;
      co_return false;
    }
    auto text = openai_answer_text(reply.answer);
    if (!text) {
      j.result = Judgement::Result::failed;
      j.detail = "judge " + backend.name + " sent an answer without text";
      co_return false;
    }
    rounds.on_reply(*text);
  }
  if (!rounds.verdict()) {
    j.result = Judgement::Result::unscored;
    j.detail = "the judge's reply was not the expected JSON, also after one retry: " + rounds.error();
    co_return false;
  }
  verdict = *rounds.verdict();
  co_return true;
}

}  // namespace

awaitable<Judgement> judge_pair(BackgroundContext& ctx, int judge, const eval::EvalCase& conversation,
                                const std::string& primary, const std::string& shadow,
                                const std::string& request_id) {
  Judgement j;
  const std::string rubric(eval::default_rubric());
  const std::string& model = ctx.snap->config().backends[judge].model;
  const auto parse_score = &eval::parse_score;
  const auto parse_pair = &eval::parse_pair;

  // Named locals around every co_await (GCC 12, gateway/Asio.hpp).
  eval::ScoreVerdict primary_score, shadow_score;
  auto q1 = eval::score_request(conversation, primary, rubric, model);
  bool ok = co_await ask<eval::ScoreVerdict>(ctx, judge, request_id, q1, parse_score, j, primary_score);
  if (!ok) co_return j;
  auto q2 = eval::score_request(conversation, shadow, rubric, model);
  ok = co_await ask<eval::ScoreVerdict>(ctx, judge, request_id, q2, parse_score, j, shadow_score);
  if (!ok) co_return j;
  // Both orders: the primary's answer shown first, then the shadow's.
  eval::PairVerdict primary_first, shadow_first;
  auto q3 = eval::pair_request(conversation, primary, shadow, rubric, model);
  ok = co_await ask<eval::PairVerdict>(ctx, judge, request_id, q3, parse_pair, j, primary_first);
  if (!ok) co_return j;
  auto q4 = eval::pair_request(conversation, shadow, primary, rubric, model);
  ok = co_await ask<eval::PairVerdict>(ctx, judge, request_id, q4, parse_pair, j, shadow_first);
  if (!ok) co_return j;
  j.result = Judgement::Result::scored;
  j.primary_score = primary_score.score;
  j.shadow_score = shadow_score.score;
  j.pair = eval::combine_orders(primary_first.winner, shadow_first.winner);
  co_return j;
}

}  // namespace hgw::shadow
