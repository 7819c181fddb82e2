#include "policies/cost/CostReport.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "policies/cost/BreakEven.hpp"
#include "policies/cost/Budget.hpp"
#include "policies/cost/Pricing.hpp"

namespace hgw::cost {

namespace {

std::vector<std::string> route_backends(const config::RouteConfig& r) {
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  for (const auto& t : r.targets) add(t.backend);
  for (const auto& w : r.when)
    for (const auto& t : w.targets) add(t.backend);
  if (r.shadow) add(r.shadow->backend);
  return out;
}

boost::json::object quality_json(const std::vector<QualityRow>& quality, const std::string& route,
                                 const std::string& backend) {
  QualityRow q;
  for (const auto& r : quality)
    if (r.route == route && r.backend == backend) q = r;
  boost::json::object o;
  o["judged"] = q.judged;
  o["wins"] = q.wins;
  o["ties"] = q.ties;
  o["losses"] = q.judged >= q.wins + q.ties ? q.judged - q.wins - q.ties : 0;
  if (q.judged) {
    o["mean_judge_score"] = q.score_sum / static_cast<double>(q.judged);
    o["win_rate"] = (static_cast<double>(q.wins) + static_cast<double>(q.ties) / 2) / static_cast<double>(q.judged);
  } else {
    o["mean_judge_score"] = nullptr;
    o["win_rate"] = nullptr;
  }
  return o;
}

boost::json::object break_even_json(const config::BackendConfig& remote, const config::BackendConfig& local,
                                    double tokens_per_day, double peak_tps, double input_share) {
  const BreakEven be = break_even(remote, local, tokens_per_day, peak_tps, input_share);
  boost::json::object o;
  o["remote"] = remote.name;
  o["local"] = local.name;
  o["valid"] = be.valid;
  o["break_even_tokens_per_day"] = be.break_even_tokens_per_day;
  o["never_cheaper"] = be.never_cheaper;
  o["observed_tokens_per_day"] = be.observed_tokens_per_day;
  o["local_cheaper_at_observed"] = be.local_cheaper_at_observed;
  o["remote_usd_per_day_observed"] = be.observed_remote_usd_per_day;
  o["local_usd_per_day"] = be.local_usd_per_day;
  o["utilisation"] = be.utilisation;
  o["gpus_configured"] = be.gpus_configured;
  o["gpus_needed_for_peak"] = be.gpus_needed_for_peak;
  if (!be.note.empty()) o["note"] = be.note;
  return o;
}

boost::json::array pairs_json(const config::Config& cfg, const config::BackendConfig& self,
                              const std::vector<std::string>& targets, double tokens_per_day,
                              double peak_tps, double input_share) {
  boost::json::array arr;
  for (const auto& name : targets) {
    const auto* other = cfg.find_backend(name);
    if (!other || other->name == self.name || other->locality == self.locality) continue;
    if (self.locality == config::Locality::local)
      arr.push_back(break_even_json(*other, self, tokens_per_day, peak_tps, input_share));
    else
      arr.push_back(break_even_json(self, *other, tokens_per_day, peak_tps, input_share));
  }
  return arr;
}

boost::json::object window_json(const config::Config& cfg, const std::vector<UsageRow>& rows,
                                const std::vector<QualityRow>& quality, double days) {
  boost::json::object w;
  w["days"] = days;
  boost::json::array routes;
  for (const auto& route : cfg.routes) {
    auto names = route_backends(route);
    for (const auto& r : rows)
      if (r.route == route.name && std::find(names.begin(), names.end(), r.backend) == names.end())
        names.push_back(r.backend);
    for (const auto& q : quality)
      if (q.route == route.name && std::find(names.begin(), names.end(), q.backend) == names.end())
        names.push_back(q.backend);
    boost::json::object ro;
    ro["route"] = route.name;
    std::uint64_t rin = 0, rout = 0, rreq = 0;
    double rspend = 0, rpeak = 0;
    boost::json::array backends;
    for (const auto& name : names) {
      UsageRow row;
      for (const auto& r : rows)
        if (r.route == route.name && r.backend == name) row = r;
      rin += row.input;
      rout += row.output;
      rreq += row.requests;
      rspend += row.cost_usd;
      rpeak += row.peak_tokens_per_hour;  // upper bound of the route's peak hour
      const std::uint64_t tokens = row.input + row.output;
      const double share = tokens ? static_cast<double>(row.input) / tokens : 0.75;
      const double per_day = tokens / days;
      const double peak_tps = row.peak_tokens_per_hour / 3600.0;
      boost::json::object bo;
      bo["backend"] = name;
      const auto* b = cfg.find_backend(name);
      bo["locality"] = b ? config::to_string(b->locality) : "unknown";
      bo["requests"] = row.requests;
      bo["input_tokens"] = row.input;
      bo["output_tokens"] = row.output;
      bo["cached_tokens"] = row.cached;
      bo["tokens"] = tokens;
      bo["spend_usd"] = row.cost_usd;
      bo["tokens_per_day"] = per_day;
      bo["peak_tokens_per_second"] = peak_tps;
      boost::json::array elsewhere;
      for (const auto& other_name : names) {
        if (other_name == name) continue;
        const auto* o = cfg.find_backend(other_name);
        if (!o) continue;
        const Pricing p = pricing_of(*o);
        boost::json::object e;
        e["backend"] = other_name;
        e["locality"] = config::to_string(o->locality);
        e["basis"] = !p.known ? "unknown" : (p.amortised ? "amortised" : "list price");
        e["cost_usd"] = cost_usd(p, Usage{row.input, row.output, row.cached});
        elsewhere.push_back(std::move(e));
      }
      bo["same_tokens_elsewhere"] = std::move(elsewhere);
      if (b && b->locality == config::Locality::local) {
        const auto& c = b->cost;
        if (c.tokens_per_second && *c.tokens_per_second > 0) {
          const std::uint32_t gpus = c.gpus ? c.gpus : 1;
          bo["utilisation"] = per_day / (*c.tokens_per_second * 86400.0);
          const double per_gpu = *c.tokens_per_second / gpus;
          bo["gpus_needed_for_peak"] =
              peak_tps > 0 ? static_cast<std::uint64_t>(std::ceil(peak_tps / per_gpu - 1e-9)) : 0;
        }
      }
      if (b) bo["break_even"] = pairs_json(cfg, *b, names, per_day, peak_tps, share);
      bo["quality"] = quality_json(quality, route.name, name);
      backends.push_back(std::move(bo));
    }
    const std::uint64_t rtokens = rin + rout;
    ro["requests"] = rreq;
    ro["tokens"] = rtokens;
    ro["spend_usd"] = rspend;
    ro["tokens_per_day"] = rtokens / days;
    ro["backends"] = std::move(backends);
    // Whole-route volume: would moving all of this route's traffic local pay off?
    boost::json::array route_pairs;
    const double share = rtokens ? static_cast<double>(rin) / rtokens : 0.75;
    for (const auto& ln : names) {
      const auto* l = cfg.find_backend(ln);
      if (!l || l->locality != config::Locality::local) continue;
      for (const auto& rn : names) {
        const auto* r = cfg.find_backend(rn);
        if (!r || r->locality != config::Locality::remote) continue;
        route_pairs.push_back(break_even_json(*r, *l, rtokens / days, rpeak / 3600.0, share));
      }
    }
    ro["break_even"] = std::move(route_pairs);
    routes.push_back(std::move(ro));
  }
  w["routes"] = std::move(routes);
  return w;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double num(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return 0;
}

std::string str(const boost::json::value* v) {
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

}  // namespace

boost::json::object cost_report(const config::Config& cfg, const std::vector<UsageRow>& day,
                                const std::vector<UsageRow>& week, const std::vector<UsageRow>& month,
                                std::chrono::system_clock::time_point now,
                                const std::vector<QualityRow>& quality_day,
                                const std::vector<QualityRow>& quality_week,
                                const std::vector<QualityRow>& quality_month) {
  boost::json::object o;
  o["generated_at"] = iso8601(now);
  boost::json::object windows;
  windows["day"] = window_json(cfg, day, quality_day, 1);
  windows["week"] = window_json(cfg, week, quality_week, 7);
  windows["month"] = window_json(cfg, month, quality_month, 30);
  o["windows"] = std::move(windows);
  return o;
}

std::string cost_report_table(const boost::json::object& report) {
  std::string out;
  out += "Cost report generated at " + str(report.if_contains("generated_at")) + "\n";
  const auto* windows = report.if_contains("windows");
  if (!windows || !windows->is_object()) return out;
  for (const char* wname : {"day", "week", "month"}) {
    const auto* w = windows->as_object().if_contains(wname);
    if (!w || !w->is_object()) continue;
    out += "\n== last " + std::string(wname) + " ==\n";
    const auto* routes = w->as_object().if_contains("routes");
    if (!routes || !routes->is_array()) continue;
    for (const auto& rv : routes->as_array()) {
      const auto& r = rv.as_object();
      out += "route " + str(r.if_contains("route")) + ": " + fmt("%.0f", num(r.at("tokens"))) + " tokens, " +
             fmt("$%.4f", num(r.at("spend_usd"))) + ", " + fmt("%.0f", num(r.at("tokens_per_day"))) +
             " tokens/day\n";
      out += "  " + pad("backend", 20) + pad("locality", 9) + pad("requests", 10) + pad("tokens", 12) +
             pad("spend", 12) + pad("util", 8) + pad("judged", 8) + pad("score", 7) + pad("win rate", 10) +
             "same tokens elsewhere\n";
      for (const auto& bv : r.at("backends").as_array()) {
        const auto& b = bv.as_object();
        std::string elsewhere;
        for (const auto& ev : b.at("same_tokens_elsewhere").as_array()) {
          const auto& e = ev.as_object();
          if (!elsewhere.empty()) elsewhere += ", ";
          elsewhere += str(e.if_contains("backend")) + " " + fmt("$%.4f", num(e.at("cost_usd"))) + " (" +
                       str(e.if_contains("basis")) + ")";
        }
        const auto* util = b.if_contains("utilisation");
        // Quality from shadow judgements: "-" where nothing was judged.
        std::string judged = "-", score = "-", win_rate = "-";
        if (const auto* q = b.if_contains("quality"); q && q->is_object() && num(q->as_object().at("judged")) > 0) {
          const auto& qo = q->as_object();
          judged = fmt("%.0f", num(qo.at("judged")));
          score = fmt("%.1f", num(qo.at("mean_judge_score")));
          win_rate = fmt("%.0f%%", num(qo.at("win_rate")) * 100);
        }
        out += "  " + pad(str(b.if_contains("backend")), 20) + pad(str(b.if_contains("locality")), 9) +
               pad(fmt("%.0f", num(b.at("requests"))), 10) + pad(fmt("%.0f", num(b.at("tokens"))), 12) +
               pad(fmt("$%.4f", num(b.at("spend_usd"))), 12) +
               pad(util ? fmt("%.1f%%", num(*util) * 100) : "-", 8) + pad(judged, 8) + pad(score, 7) +
               pad(win_rate, 10) + elsewhere + "\n";
      }
      for (const auto& pv : r.at("break_even").as_array()) {
        const auto& p = pv.as_object();
        out += "  break-even " + str(p.if_contains("local")) + " vs " + str(p.if_contains("remote")) + ": ";
        if (!p.at("valid").as_bool())
          out += "n/a (" + str(p.if_contains("note")) + ")\n";
        else if (p.at("never_cheaper").as_bool())
          out += "never (" + str(p.if_contains("note")) + ")\n";
        else
          out += fmt("%.0f", num(p.at("break_even_tokens_per_day"))) + " tokens/day; observed " +
                 fmt("%.0f", num(p.at("observed_tokens_per_day"))) + " → local " +
                 (p.at("local_cheaper_at_observed").as_bool() ? "cheaper" : "dearer") + "; utilisation " +
                 fmt("%.1f%%", num(p.at("utilisation")) * 100) + "; peak needs " +
                 fmt("%.0f", num(p.at("gpus_needed_for_peak"))) + " of " +
                 fmt("%.0f", num(p.at("gpus_configured"))) + " GPUs\n";
      }
    }
  }
  return out;
}

}  // namespace hgw::cost
