// A routing decision and its explanation (the trace). Produced by plan(); the
// gateway follows `order`, `hybridgw explain` prints it, the short form goes
// out in the x-hybridgw-decision header. Contains only names from the
// configuration and numbers: never request data or secrets.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hgw::routing {

enum class Verdict { selected, fallback, rejected };
const char* to_string(Verdict);

struct CandidateTrace {
  std::string backend;
  Verdict verdict = Verdict::rejected;
  int order = -1;               // position in Decision::order (0 = selected), -1 = rejected
  std::string policy;           // who decided: the strategy name, or compliance | health |
                                // circuit_breaker | context_window | budget | config
  std::string reason;
  double estimated_cost_usd = 0;
};

struct Decision {
  std::string route;
  std::string rule;             // when-rule name, or "default"
  std::string strategy;
  std::vector<int> order;       // backend indices into config.backends, try in this order
  std::vector<CandidateTrace> trace;  // every target of the chosen rule, in config order
  bool downgraded = false;      // budget exhausted with on_exhausted=downgrade
  int status = 0;               // set when order is empty: 400, 403, 429, 503
  std::string error_code, error_message;
  std::uint32_t retry_after_s = 0;    // 429 budget_exceeded: seconds until the window resets

  bool ok() const { return status == 0 && !order.empty(); }
  // "route=chat;rule=default;strategy=priority;order=local-qwen,openai;rejected=openai-gpt4o:compliance"
  // (+ ";downgraded=1" and ";status=503" when they apply).
  std::string short_form() const;
  boost::json::object to_json() const;
  std::string to_table() const;
};

}  // namespace hgw::routing
