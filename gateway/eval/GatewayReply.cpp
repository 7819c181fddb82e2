#include "gateway/eval/GatewayReply.hpp"

#include <boost/json.hpp>

namespace hgw::eval {
namespace json = boost::json;
namespace {

std::uint64_t count(const json::object& usage, std::string_view key) {
  auto v = usage.if_contains(key);
  if (!v) return 0;
  if (auto u = v->if_uint64()) return *u;
  if (auto i = v->if_int64()) return *i > 0 ? static_cast<std::uint64_t>(*i) : 0;
  return 0;
}

}  // namespace

std::optional<ChatAnswer> read_chat_answer(std::string_view body, std::string& error) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    error = "the answer is not a JSON object";
    return std::nullopt;
  }
  const auto& o = v.get_object();
  auto choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty() || !choices->get_array()[0].is_object()) {
    error = "the answer has no choices[0]";
    return std::nullopt;
  }
  auto message = choices->get_array()[0].get_object().if_contains("message");
  if (!message || !message->is_object()) {
    error = "the answer has no choices[0].message";
    return std::nullopt;
  }
  ChatAnswer a;
  const auto& m = message->get_object();
  if (auto content = m.if_contains("content")) {
    if (auto s = content->if_string()) a.text = std::string(*s);
    else if (auto parts = content->if_array())
      for (const auto& p : *parts)
        if (auto po = p.if_object())
          if (auto t = po->if_contains("text"); t && t->is_string()) a.text += t->get_string();
  }
  if (auto calls = m.if_contains("tool_calls"); calls && calls->is_array() && !calls->get_array().empty())
    a.text += (a.text.empty() ? "" : "\n") + std::string("[tool calls] ") + json::serialize(*calls);
  if (auto usage = o.if_contains("usage"); usage && usage->is_object()) {
    a.prompt_tokens = count(usage->get_object(), "prompt_tokens");
    a.completion_tokens = count(usage->get_object(), "completion_tokens");
  }
  return a;
}

std::string failure_reason(const GatewayReply& r) {
  if (r.status == 0) return r.error.empty() ? "no answer from the gateway" : r.error;
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (auto err = v.get_object().if_contains("error"); err && err->is_object()) {
      const auto& e = err->get_object();
      std::string code, message;
      if (auto c = e.if_contains("code"); c && c->is_string()) code = c->get_string();
      if (auto m = e.if_contains("message"); m && m->is_string()) message = m->get_string();
      if (!message.empty()) return (code.empty() ? "HTTP " + std::to_string(r.status) : code) + ": " + message;
    }
  std::string start = r.body.substr(0, 200);
  return "HTTP " + std::to_string(r.status) + (start.empty() ? "" : ": " + start);
}

bool is_policy_refusal(const GatewayReply& r) { return r.status == 403; }

}  // namespace hgw::eval
