#include "tests/sim/FaultSpec.hpp"

#include <charconv>

namespace hgw::sim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, int& out) {
  s = trim(s);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

bool FaultSpec::empty() const {
  return status == 0 && retry_after_s < 0 && !context_length && !content_policy && !reset &&
         !hang && !no_done && slow_ttft_ms < 0 && cut < 0 && stall < 0 && malformed < 0 &&
         error_event < 0 && !preamble && !repeat_prefill;
}

bool FaultSpec::replaces_response() const {
  return status > 0 || context_length || content_policy || reset || hang;
}

FaultParseResult parse_fault(std::string_view text) {
  FaultParseResult r;
  const std::string_view original = text;
  auto fail = [&](std::string msg) {
    r.error = "invalid fault spec '" + std::string(original) + "': " + std::move(msg);
    return r;
  };
  bool any = false;
  while (!text.empty() || !any) {
    auto sep = text.find_first_of(",;");
    std::string_view item = trim(text.substr(0, sep));
    text = sep == std::string_view::npos ? std::string_view{} : text.substr(sep + 1);
    if (item.empty()) {
      if (text.empty()) break;
      continue;
    }
    any = true;
    std::string_view name = item, value;
    bool has_value = false;
    if (auto eq = item.find('='); eq != std::string_view::npos) {
      name = trim(item.substr(0, eq));
      value = trim(item.substr(eq + 1));
      has_value = true;
    }
    auto number = [&](int& field, int min, int max) -> bool {
      int v = 0;
      if (!has_value || !parse_int(value, v) || v < min || v > max) return false;
      field = v;
      return true;
    };
    auto flag = [&](bool& field) -> bool {
      if (has_value) return false;
      field = true;
      return true;
    };
    bool ok;
    if (name == "status") ok = number(r.spec.status, 200, 599);
    else if (name == "retry_after") ok = number(r.spec.retry_after_s, 0, 86400);
    else if (name == "slow_ttft") ok = number(r.spec.slow_ttft_ms, 0, 3600000);
    else if (name == "cut") ok = number(r.spec.cut, 0, 1000000);
    else if (name == "stall") ok = number(r.spec.stall, 0, 1000000);
    else if (name == "malformed") ok = number(r.spec.malformed, 0, 1000000);
    else if (name == "error_event") ok = number(r.spec.error_event, 0, 1000000);
    else if (name == "preamble") ok = flag(r.spec.preamble);
    else if (name == "repeat_prefill") ok = flag(r.spec.repeat_prefill);
    else if (name == "context_length") ok = flag(r.spec.context_length);
    else if (name == "content_policy") ok = flag(r.spec.content_policy);
    else if (name == "reset") ok = flag(r.spec.reset);
    else if (name == "hang") ok = flag(r.spec.hang);
    else if (name == "no_done") ok = flag(r.spec.no_done);
    else
      return fail("unknown fault '" + std::string(name) +
                  "' (known: status=N[,retry_after=S], context_length, content_policy, reset, "
                  "hang, slow_ttft=MS, cut=N, stall=N, malformed=N, error_event=N, preamble, repeat_prefill, no_done)");
    if (!ok) return fail("bad value for '" + std::string(name) + "'");
  }
  if (!any) return fail("empty");
  if (r.spec.retry_after_s >= 0 && r.spec.status == 0) return fail("retry_after needs status=N");
  return r;
}

}  // namespace hgw::sim
