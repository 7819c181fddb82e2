// Placeholders are restored in every string of an answer the client gets,
// not only in its text: a model that calls a tool with "[EMAIL_1]" as an
// argument must hand the application the real address.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "gateway/pipeline/AnswerFilter.hpp"
#include "gateway/protocol/StreamTransformer.hpp"
#include "policies/compliance/Redactor.hpp"

namespace json = boost::json;
using namespace hgw;

namespace {

using Mapping = std::vector<std::pair<std::string, std::string>>;

// Restores placeholders in text and, through for_arguments(), in arguments.
class RestoreFilter final : public protocol::TextFilter {
 public:
  explicit RestoreFilter(const Mapping& m) : mapping_(m), restorer_(m) {}
  std::string feed(std::string_view chunk) override { return restorer_.feed(chunk); }
  std::string flush() override { return restorer_.flush(); }
  std::unique_ptr<TextFilter> for_arguments() const override { return std::make_unique<RestoreFilter>(mapping_); }

 private:
  const Mapping& mapping_;
  compliance::PlaceholderRestorer restorer_;
};

std::string chunk(const json::object& delta, const char* finish = nullptr) {
  json::object choice{{"index", 0}, {"delta", delta}};
  choice["finish_reason"] = finish ? json::value(finish) : json::value(nullptr);
  return protocol::format_sse(json::serialize(json::object{{"id", "c"}, {"object", "chat.completion.chunk"},
                                                           {"choices", json::array{choice}}}));
}

json::object args_delta(int index, const std::string& args) {
  return {{"tool_calls", json::array{json::object{{"index", index}, {"function", json::object{{"arguments", args}}}}}}};
}

}  // namespace

TEST_CASE("streamed tool-call arguments: placeholders split across deltas are restored", "[restore][stream]") {
  const Mapping mapping = {{"[EMAIL_1]", "zhang.san@example.com"}, {"[CN_MOBILE_1]", "13812345678"}};
  const std::string upstream = chunk(args_delta(0, "{\"to\":\"[EMA")) + chunk(args_delta(1, "{\"tel\":\"[CN_")) +
                               chunk(args_delta(0, "IL_1]\"}")) + chunk(args_delta(1, "MOBILE_1")) +
                               chunk(json::object{}, "tool_calls") + protocol::format_sse("[DONE]");
  for (std::size_t split = 0; split <= upstream.size(); split += 11) {
    RestoreFilter filter(mapping);
    protocol::StreamTransformer t(false, &filter);
    std::string out;
    REQUIRE(t.feed(upstream.substr(0, split), out) == protocol::StreamTransformer::State::ok);
    REQUIRE(t.feed(upstream.substr(split), out) == protocol::StreamTransformer::State::ok);
    std::map<std::int64_t, std::string> args;
    protocol::SseParser parser;
    std::vector<protocol::SseEvent> events;
    parser.feed(out, events);
    for (const auto& e : events) {
      if (e.data == "[DONE]") continue;
      auto v = json::parse(e.data);
      const auto& delta = v.at("choices").at(0).at("delta").as_object();
      if (auto* calls = delta.if_contains("tool_calls"))
        for (const auto& c : calls->as_array())
          args[c.at("index").as_int64()] += std::string(c.at("function").at("arguments").as_string());
    }
    INFO("split at " << split);
    CHECK(args[0] == "{\"to\":\"zhang.san@example.com\"}");
    CHECK(args[1] == "{\"tel\":\"[CN_MOBILE_1");  // never completed: passed on as it came
  }
}

TEST_CASE("whole answers: placeholders in tool-call arguments are restored", "[restore]") {
  const Mapping mapping = {{"[EMAIL_1]", "zhang.san@example.com"}};
  auto answer = json::parse(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"mail [EMAIL_1]",
    "tool_calls":[{"id":"c","type":"function","function":{"name":"send","arguments":"{\"to\":\"[EMAIL_1]\"}"}}]}}]})");
  RestoreFilter filter(mapping);
  REQUIRE(pipeline::filter_whole_answer(answer.as_object(), filter));
  const auto& message = answer.at("choices").at(0).at("message");
  CHECK(message.at("content").as_string() == "mail zhang.san@example.com");
  CHECK(message.at("tool_calls").at(0).at("function").at("arguments").as_string() ==
        "{\"to\":\"zhang.san@example.com\"}");
}
