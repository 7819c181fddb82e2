#include "gateway/eval/CaseReader.hpp"

#include "gateway/config/DidYouMean.hpp"
#include "policies/auth/ApiKey.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace hgw::eval {
namespace json = boost::json;
namespace {

const std::vector<std::string> kRoles = {"system", "developer", "user", "assistant", "tool", "function"};

// What is sent and judged, tenant included (it changes the policy applied).
void set_fingerprint(EvalCase& c) {
  json::object o{{"messages", c.messages}, {"params", c.params}, {"reference", c.reference}, {"tenant", c.tenant}};
  c.fingerprint = auth::sha256_digest_line(json::serialize(o)).substr(7);
}

std::string describe(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
    default: return "a number";
  }
}

// The problems of one message, or "" when it is acceptable.
std::string check_message(const json::value& m, std::size_t k) {
  const std::string where = "messages[" + std::to_string(k) + "]";
  auto obj = m.if_object();
  if (!obj) return where + " must be an object with \"role\" and \"content\", got " + describe(m);
  auto role = obj->if_contains("role");
  if (!role || !role->is_string()) return where + " needs a string \"role\" (user, assistant, system, ...)";
  const std::string r(role->get_string());
  bool known = false;
  for (const auto& k2 : kRoles) known = known || k2 == r;
  if (!known)
    return where + ": unknown role '" + r + "'; roles are system, developer, user, assistant, tool, function" +
           config::did_you_mean_suffix(r, kRoles);
  auto content = obj->if_contains("content");
  const bool tool_calls = obj->contains("tool_calls");
  if (!content && !tool_calls) return where + " needs \"content\" (a string or an array of parts)";
  if (content && !content->is_string() && !content->is_array() && !(content->is_null() && tool_calls))
    return where + ".content must be a string or an array of parts, got " + describe(*content);
  return {};
}

// One line's object -> a case, or the errors of that line.
void read_case(json::object o, int line, const std::string& prefix, EvalCase& c, std::vector<std::string>& errors) {
  auto error = [&](const std::string& message) { errors.push_back(prefix + message); };
  c.line = line;
  if (auto id = o.if_contains("id")) {
    if (id->is_string() && !id->get_string().empty()) c.id = std::string(id->get_string());
    else if (id->is_int64() || id->is_uint64()) c.id = json::serialize(*id);
    else error("\"id\" must be a non-empty string or an integer, got " + describe(*id));
    o.erase("id");
  }
  if (c.id.empty()) c.id = "line-" + std::to_string(line);

  if (auto m = o.if_contains("messages")) {
    if (!m->is_array() || m->get_array().empty()) {
      error("\"messages\" must be a non-empty array of {\"role\", \"content\"} objects");
    } else {
      std::size_t k = 0;
      for (const auto& msg : m->get_array())
        if (auto problem = check_message(msg, k++); !problem.empty()) error(problem);
      c.messages = m->get_array();
    }
    o.erase("messages");
  } else {
    error("missing \"messages\": a case is a chat request, e.g. {\"messages\":[{\"role\":\"user\",\"content\":\"...\"}]}");
  }

  if (auto ref = o.if_contains("reference")) {
    if (ref->is_string()) c.reference = std::string(ref->get_string());
    else if (!ref->is_null()) error("\"reference\" must be a string (the reference answer), got " + describe(*ref));
    o.erase("reference");
  }
  if (auto tags = o.if_contains("tags")) {
    if (!tags->is_array()) {
      error("\"tags\" must be an array of strings, got " + describe(*tags));
    } else {
      for (const auto& t : tags->get_array()) {
        if (t.is_string() && !t.get_string().empty()) {
          std::string tag(t.get_string());
          bool seen = false;
          for (const auto& have : c.tags) seen = seen || have == tag;
          if (!seen) c.tags.push_back(std::move(tag));
        } else {
          error("\"tags\" must hold non-empty strings, found " + describe(t));
        }
      }
    }
    o.erase("tags");
  }
  if (auto tenant = o.if_contains("tenant")) {
    if (tenant->is_string() && !tenant->get_string().empty()) c.tenant = std::string(tenant->get_string());
    else error("\"tenant\" must be the name of a configured tenant, got " + describe(*tenant));
    o.erase("tenant");
  }
  if (auto n = o.if_contains("n")) {
    if (!(n->is_int64() && n->get_int64() == 1) && !(n->is_uint64() && n->get_uint64() == 1))
      error("\"n\" must be 1: eval judges one answer per request (use --repeat K for several)");
  }
  // Eval chooses the model (the candidate) and reads whole answers.
  o.erase("model");
  o.erase("stream");
  o.erase("stream_options");
  c.params = std::move(o);
  set_fingerprint(c);
}

}  // namespace

CaseReadResult parse_cases(std::string_view text, const std::string& file_name) {
  CaseReadResult r;
  std::map<std::string, int> first_line;  // id -> line
  int line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string prefix = file_name + ":" + std::to_string(line) + ": ";

    json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t used = parser.write(raw.data(), raw.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) {
      r.errors.push_back(prefix + "not valid JSON at column " + std::to_string(used + 1) + " (" + ec.message() +
                         "); each line must be one JSON object");
      continue;
    }
    json::value v = parser.release();
    if (!v.is_object()) {
      r.errors.push_back(prefix + "expected a JSON object (a chat request), got " + describe(v));
      continue;
    }
    EvalCase c;
    const auto errors_before = r.errors.size();
    read_case(std::move(v.get_object()), line, prefix, c, r.errors);
    if (r.errors.size() != errors_before) continue;
    auto [it, fresh] = first_line.emplace(c.id, line);
    if (!fresh) {
      r.errors.push_back(prefix + "duplicate id '" + c.id + "' (first used on line " + std::to_string(it->second) +
                         "): ids name the cases in results and reports");
      continue;
    }
    r.cases.push_back(std::move(c));
  }
  if (r.cases.empty() && r.errors.empty()) r.errors.push_back(file_name + ": no cases (one JSON object per line)");
  return r;
}

CaseReadResult read_cases_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    CaseReadResult r;
    r.errors.push_back(path + ": cannot read the cases file");
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_cases(ss.str(), path);
}

std::vector<std::string> assign_tenants(std::vector<EvalCase>& cases, const config::Config& cfg,
                                        const std::string& default_tenant, const std::string& file_name) {
  std::vector<std::string> errors, names;
  for (const auto& t : cfg.tenants) names.push_back(t.name);
  auto unknown = [&](const std::string& name) {
    if (names.empty()) return "the configuration has no tenants, so '" + name + "' cannot be used";
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return "unknown tenant '" + name + "'; tenants are: " + list + config::did_you_mean_suffix(name, names);
  };
  if (!default_tenant.empty() && !cfg.find_tenant(default_tenant))
    errors.push_back("--tenant: " + unknown(default_tenant));
  for (auto& c : cases) {
    const std::string prefix = file_name + ":" + std::to_string(c.line) + ": ";
    if (c.tenant.empty()) c.tenant = default_tenant;
    if (c.tenant.empty()) {
      if (!names.empty())
        errors.push_back(prefix + "no \"tenant\": the configuration has tenants and the gateway accepts no "
                                  "anonymous request; name one in the case or pass --tenant NAME");
    } else if (!cfg.find_tenant(c.tenant)) {
      if (c.tenant != default_tenant) errors.push_back(prefix + unknown(c.tenant));
    }
    set_fingerprint(c);
  }
  return errors;
}

}  // namespace hgw::eval
