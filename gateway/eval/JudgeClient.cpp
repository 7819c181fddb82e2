#include "gateway/eval/JudgeClient.hpp"

namespace hgw::eval {
namespace json = boost::json;

template <class Verdict>
awaitable<JudgeCall<Verdict>> JudgeClient::ask(GatewayClient& client, const EvalCase& c, json::object request,
                                               typename JudgeRetry<Verdict>::Parse parse) const {
  JudgeCall<Verdict> call;
  std::string key;
  if (auto it = setup_.tenant_keys.find(c.tenant); it != setup_.tenant_keys.end()) key = it->second;
  JudgeRetry<Verdict> rounds(std::move(request), parse);
  while (!rounds.done()) {
    ++call.attempts;
    std::string body = json::serialize(rounds.request());
    auto reply = co_await client.post_json("/v1/chat/completions", std::move(body), key);
    call.cost_usd += reply.cost_usd.value_or(0);
    if (reply.status != 200) {
      call.status = is_policy_refusal(reply) ? JudgeCallStatus::skipped : JudgeCallStatus::unscored;
      call.reason = "judge request: " + failure_reason(reply);
      co_return call;
    }
    std::string error;
    auto answer = read_chat_answer(reply.body, error);
    if (!answer) {
      call.reason = "judge answer: " + error;
      co_return call;
    }
    rounds.on_reply(answer->text);
  }
  if (rounds.verdict()) {
    call.status = JudgeCallStatus::ok;
    call.verdict = rounds.verdict();
    co_return call;
  }
  call.status = JudgeCallStatus::unscored;
  call.reason = "the judge's reply was not the expected JSON, also after one retry: " + rounds.error();
  co_return call;
}

awaitable<JudgeCall<ScoreVerdict>> JudgeClient::score(GatewayClient& client, const EvalCase& c,
                                                      std::string answer) const {
  auto request = score_request(c, answer, rubric_, setup_.judge_model);
  co_return co_await ask<ScoreVerdict>(client, c, std::move(request), &parse_score);
}

awaitable<JudgeCall<PairVerdict>> JudgeClient::compare(GatewayClient& client, const EvalCase& c, std::string first,
                                                       std::string second) const {
  auto request = pair_request(c, first, second, rubric_, setup_.judge_model);
  co_return co_await ask<PairVerdict>(client, c, std::move(request), &parse_pair);
}

}  // namespace hgw::eval
