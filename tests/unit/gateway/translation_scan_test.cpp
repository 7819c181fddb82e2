// Compliance scans the OpenAI-format request; an Anthropic backend receives
// its translation. The translation must carry the same texts — moved, joined
// with line breaks, tool arguments parsed into objects — so that what the
// scan found is exactly what the Anthropic backend receives: for random
// requests with values planted in every place the translator reads, the
// detections in the translated body equal those in the original.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <random>
#include <set>

#include "gateway/protocol/AnthropicTranslate.hpp"
#include "policies/compliance/BodyScanner.hpp"

namespace json = boost::json;
using namespace hgw;

namespace {

std::shared_ptr<const compliance::DetectorSet> detectors() {
  static const auto set = [] {
    config::ComplianceConfig c;
    c.detectors = {"all"};
    return compliance::DetectorSet::build(c);
  }();
  return set;
}

std::multiset<std::string> found(const json::value& body) {
  auto scan = compliance::scan_body(*detectors(), body, 1 << 24);
  REQUIRE(scan.complete());
  std::multiset<std::string> types;
  for (const auto& f : scan.findings) types.insert(f.type);
  return types;
}

const char* kValues[] = {"110101199003074514", "zhang.san@example.com", "13812345678", "4111 1111 1111 1111",
                         "10.20.30.40", "sk-proj-Ab3dEf9hIjK1mNoP2rStUvWx4yZ"};

std::string text_with(std::mt19937& rng) {
  static const char* prose[] = {"请核实", "please check", "", "备注：", "ID"};
  return std::string(prose[rng() % 5]) + " " + kValues[rng() % 6] + (rng() % 2 ? " 谢谢" : "");
}

json::object random_chat(std::mt19937& rng) {
  json::array messages;
  const int n = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) {
    switch (rng() % 5) {
      case 0: messages.push_back(json::object{{"role", "system"}, {"content", text_with(rng)}}); break;
      case 1:
        messages.push_back(json::object{
            {"role", "user"},
            {"content", json::array{json::object{{"type", "text"}, {"text", text_with(rng)}},
                                    json::object{{"type", "text"}, {"text", text_with(rng)}}}}});
        break;
      case 2: {
        json::object args{{"q", text_with(rng)}, {"n", 1}};
        messages.push_back(json::object{
            {"role", "assistant"},
            {"content", text_with(rng)},
            {"tool_calls", json::array{json::object{{"id", "call_" + std::to_string(i)},
                                                    {"type", "function"},
                                                    {"function", json::object{{"name", "lookup"},
                                                                              {"arguments", json::serialize(args)}}}}}}});
        messages.push_back(json::object{{"role", "tool"}, {"tool_call_id", "call_" + std::to_string(i)}, {"content", text_with(rng)}});
        break;
      }
      default: messages.push_back(json::object{{"role", "user"}, {"content", text_with(rng)}}); break;
    }
  }
  if (messages.back().as_object().at("role") != "user")
    messages.push_back(json::object{{"role", "user"}, {"content", "go on"}});
  json::object body{{"model", "auto"}, {"messages", std::move(messages)}, {"max_tokens", 100}};
  if (rng() % 2)
    body["tools"] = json::array{json::object{
        {"type", "function"},
        {"function", json::object{{"name", "lookup"}, {"description", text_with(rng)},
                                  {"parameters", json::object{{"type", "object"}}}}}}};
  return body;
}

}  // namespace

TEST_CASE("chat → Anthropic translation carries exactly the detected texts", "[compliance][translate]") {
  std::mt19937 rng(7);
  int translated = 0;
  for (int i = 0; i < 300; ++i) {
    const json::object chat = random_chat(rng);
    auto t = protocol::anthropic::chat_request_to_messages(chat, "claude", false);
    if (!t.error.empty()) continue;  // e.g. two tool results in a row are fine; odd orders may not be
    ++translated;
    INFO(json::serialize(chat) << "\n→ " << json::serialize(t.body));
    std::multiset<std::string> source = found(json::value(chat)), target = found(json::value(t.body));
    REQUIRE(target == source);
  }
  CHECK(translated > 200);
}
