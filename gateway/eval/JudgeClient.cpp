#include "gateway/eval/JudgeClient.hpp"

namespace hgw::eval {
namespace json = boost::json;

template <class Verdict, class Parse>
awaitable<JudgeCall<Verdict>> JudgeClient::ask(GatewayClient& client, const EvalCase& c, json::object request,
                                               Parse parse) const {
  JudgeCall<Verdict> call;
  std::string key;
  if (auto it = setup_.tenant_keys.find(c.tenant); it != setup_.tenant_keys.end()) key = it->second;
  std::string last_error;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ++call.attempts;
    auto reply = co_await client.post_json("/v1/chat/completions", json::serialize(request), key);
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
    auto parsed = parse(answer->text);
    if (parsed.value) {
      call.status = JudgeCallStatus::ok;
      call.verdict = std::move(parsed.value);
      co_return call;
    }
    last_error = parsed.error;
    if (attempt == 1) request = retry_request(std::move(request), answer->text, parsed.error);
  }
  call.status = JudgeCallStatus::unscored;
  call.reason = "the judge's reply was not the expected JSON, also after one retry: " + last_error;
  co_return call;
}

awaitable<JudgeCall<ScoreVerdict>> JudgeClient::score(GatewayClient& client, const EvalCase& c,
                                                      std::string answer) const {
  co_return co_await ask<ScoreVerdict>(client, c, score_request(c, answer, rubric_, setup_.judge_model),
                                       [](std::string_view r) { return parse_score(r); });
}

awaitable<JudgeCall<PairVerdict>> JudgeClient::compare(GatewayClient& client, const EvalCase& c, std::string first,
                                                       std::string second) const {
  co_return co_await ask<PairVerdict>(client, c, pair_request(c, first, second, rubric_, setup_.judge_model),
                                      [](std::string_view r) { return parse_pair(r); });
}

}  // namespace hgw::eval
