// Asks the judge through the in-process gateway (route eval.judge.NAME, as the
// case's tenant: the judge sees the case's text, so the same compliance rules
// decide whether it may). A reply that is not the expected JSON is retried
// once with a note saying what was wrong; then the verdict is "unscored" —
// never a guessed score (JudgeRetry.hpp, shared with the shadow judge). A policy refusal (403) is "skipped" with the
// gateway's reason and never retried.
#pragma once

#include "gateway/eval/EvalSetup.hpp"
#include "gateway/eval/GatewayClient.hpp"
#include "gateway/eval/JudgePrompt.hpp"
#include "gateway/eval/JudgeRetry.hpp"

#include <optional>
#include <string>

namespace hgw::eval {

enum class JudgeCallStatus { ok, unscored, skipped };

template <class Verdict>
struct JudgeCall {
  JudgeCallStatus status = JudgeCallStatus::unscored;
  std::optional<Verdict> verdict;  // when ok
  std::string reason;              // unscored / skipped: why
  int attempts = 0;                // requests sent to the judge
  double cost_usd = 0;
};

class JudgeClient {
 public:
  JudgeClient(const EvalSetup& setup, std::string rubric) : setup_(setup), rubric_(std::move(rubric)) {}

  awaitable<JudgeCall<ScoreVerdict>> score(GatewayClient& client, const EvalCase& c, std::string answer) const;
  awaitable<JudgeCall<PairVerdict>> compare(GatewayClient& client, const EvalCase& c, std::string first,
                                            std::string second) const;

 private:
  template <class Verdict>
  awaitable<JudgeCall<Verdict>> ask(GatewayClient& client, const EvalCase& c, boost::json::object request,
                                    typename JudgeRetry<Verdict>::Parse parse) const;

  const EvalSetup& setup_;
  std::string rubric_;
};

}  // namespace hgw::eval
