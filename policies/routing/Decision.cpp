#include "policies/routing/Decision.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdio>

namespace hgw::routing {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::selected: return "selected";
    case Verdict::fallback: return "fallback";
    case Verdict::rejected: return "rejected";
  }
  return "rejected";
}

namespace {
// On the stack for the handful of candidates a route has (short_form runs on every request).
boost::container::small_vector<const CandidateTrace*, 8> ordered(const std::vector<CandidateTrace>& trace) {
  boost::container::small_vector<const CandidateTrace*, 8> out;
  for (const auto& c : trace)
    if (c.verdict != Verdict::rejected) out.push_back(&c);
  // Insertion sort, stable: std::stable_sort asks the heap for a scratch
  // buffer on every call, which costs more than sorting a route's few backends.
  for (std::size_t i = 1; i < out.size(); ++i)
    for (std::size_t j = i; j > 0 && out[j]->order < out[j - 1]->order; --j) std::swap(out[j], out[j - 1]);
  return out;
}
}  // namespace

std::string Decision::short_form() const {
  // Sent on every answer (x-hybridgw-decision): appended in place.
  std::string s;
  s.reserve(64 + route.size() + rule.size() + trace.size() * 24);
  s.append("route=").append(route).append(";rule=").append(rule).append(";strategy=").append(strategy);
  s.append(";order=");
  bool first = true;
  for (const auto* c : ordered(trace)) {
    if (!first) s += ',';
    s += c->backend;
    first = false;
  }
  first = true;
  for (const auto& c : trace) {
    if (c.verdict != Verdict::rejected) continue;
    s.append(first ? ";rejected=" : ",").append(c.backend).append(":").append(c.policy);
    first = false;
  }
  if (downgraded) s += ";downgraded=1";
  if (status) s.append(";status=").append(std::to_string(status));
  return s;
}

boost::json::object Decision::to_json() const {
  boost::json::object o;
  o["route"] = route;
  o["rule"] = rule;
  o["strategy"] = strategy;
  boost::json::array ord;
  for (const auto* c : ordered(trace)) ord.push_back(boost::json::string(c->backend));
  o["order"] = std::move(ord);
  o["downgraded"] = downgraded;
  boost::json::array cands;
  for (const auto& c : trace) {
    boost::json::object j;
    j["backend"] = c.backend;
    j["verdict"] = to_string(c.verdict);
    if (c.order >= 0) j["order"] = c.order;
    j["policy"] = c.policy;
    j["reason"] = c.reason;
    j["estimated_cost_usd"] = c.estimated_cost_usd;
    cands.push_back(std::move(j));
  }
  o["candidates"] = std::move(cands);
  if (status) {
    boost::json::object e;
    e["status"] = status;
    e["code"] = error_code;
    e["message"] = error_message;
    if (retry_after_s) e["retry_after_s"] = retry_after_s;
    o["error"] = std::move(e);
  }
  return o;
}

std::string Decision::to_table() const {
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s + ' ';
  };
  size_t wb = 7;
  for (const auto& c : trace) wb = std::max(wb, c.backend.size());
  std::string s = "route: " + route + "   rule: " + rule + "   strategy: " + strategy;
  if (downgraded) s += "   (downgraded: budget exhausted)";
  s += "\n";
  s += pad("#", 3) + pad("backend", wb) + pad("verdict", 10) + pad("policy", 16) + pad("est. cost", 12) + "reason\n";
  for (const auto& c : trace) {
    char cost[32];
    std::snprintf(cost, sizeof cost, "$%.6f", c.estimated_cost_usd);
    std::string verdict = to_string(c.verdict);
    if (c.verdict == Verdict::fallback) verdict += " " + std::to_string(c.order);
    s += pad(c.order >= 0 ? std::to_string(c.order) : "-", 3) + pad(c.backend, wb) + pad(verdict, 10) +
         pad(c.policy, 16) + pad(cost, 12) + c.reason + "\n";
  }
  if (status) s += "error " + std::to_string(status) + " " + error_code + ": " + error_message + "\n";
  return s;
}

}  // namespace hgw::routing
