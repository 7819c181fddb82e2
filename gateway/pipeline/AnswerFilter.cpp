#include "gateway/pipeline/AnswerFilter.hpp"

#include "policies/compliance/OutputFilter.hpp"
#include "policies/compliance/Redactor.hpp"

namespace hgw::pipeline {

namespace json = boost::json;

namespace {

using Mapping = std::vector<std::pair<std::string, std::string>>;

class ChainFilter final : public protocol::TextFilter {
 public:
  ChainFilter(std::unique_ptr<compliance::OutputFilter> output, const Mapping* restore)
      : output_(std::move(output)),
        restore_(restore),
        restorer_(restore ? std::make_unique<compliance::PlaceholderRestorer>(*restore) : nullptr) {}

  std::unique_ptr<protocol::TextFilter> for_arguments() const override {
    return restore_ ? std::make_unique<ChainFilter>(nullptr, restore_) : nullptr;
  }

  std::string feed(std::string_view chunk) override {
    std::string text(chunk);
    if (output_) {
      auto r = output_->feed(text);
      if (r.stop) stop(r.stopped_by);
      text = std::move(r.text);
    }
    if (restorer_) text = restorer_->feed(text);
    return text;
  }

  std::string flush() override {
    std::string text;
    if (output_) {
      auto r = output_->flush();
      if (r.stop) stop(r.stopped_by);
      text = std::move(r.text);
    }
    if (restorer_) text = restorer_->feed(text) + restorer_->flush();
    return text;
  }

  bool stopped() const override { return stopped_; }
  std::string stop_reason() const override { return reason_; }

 private:
  void stop(const std::string& by) {
    stopped_ = true;
    reason_ = by;
  }
  std::unique_ptr<compliance::OutputFilter> output_;
  const Mapping* restore_;  // the call's mapping: outlives every filter of the call
  std::unique_ptr<compliance::PlaceholderRestorer> restorer_;
  bool stopped_ = false;
  std::string reason_;
};

}  // namespace

std::unique_ptr<protocol::TextFilter> make_answer_filter(const Call& call) {
  if (call.endpoint == policy::Endpoint::embeddings) return nullptr;
  const auto& cc = call.config().compliance;
  std::unique_ptr<compliance::OutputFilter> output;
  if (auto spec = call.snap->output_filter()) output = std::make_unique<compliance::OutputFilter>(spec);
  const bool answered_from_redacted = call.redacted_body && call.backend >= 0 &&
                                      call.config().backends[call.backend].locality == config::Locality::remote;
  const Mapping* restore = cc.restore_in_response && answered_from_redacted && !call.redaction_mapping.empty()
                               ? &call.redaction_mapping
                               : nullptr;
  if (!output && !restore) return nullptr;
  return std::make_unique<ChainFilter>(std::move(output), restore);
}

namespace {

// One tool call's arguments of a whole answer, through its own filter.
void filter_arguments(json::value* holder, const protocol::TextFilter& filter) {
  auto* fn = holder ? holder->if_object() : nullptr;
  auto* args = fn ? fn->if_contains("arguments") : nullptr;
  if (!args || !args->is_string()) return;
  auto f = filter.for_arguments();
  if (!f) return;
  std::string out = f->feed(std::string_view(args->get_string().data(), args->get_string().size()));
  out += f->flush();
  *args = out;
}

}  // namespace

bool filter_whole_answer(json::object& answer, protocol::TextFilter& filter) {
  auto* choices = answer.if_contains("choices");
  if (!choices || !choices->is_array()) return true;
  for (auto& c : choices->as_array()) {
    if (!c.is_object()) continue;
    auto& choice = c.as_object();
    json::string* text = nullptr;
    if (auto* m = choice.if_contains("message"); m && m->is_object()) {
      auto& message = m->as_object();
      if (auto* content = message.if_contains("content"); content && content->is_string())
        text = &content->as_string();
      if (auto* calls = message.if_contains("tool_calls"); calls && calls->is_array())
        for (auto& call : calls->get_array())
          if (auto* c = call.if_object()) filter_arguments(c->if_contains("function"), filter);
      filter_arguments(message.if_contains("function_call"), filter);
    } else if (auto* t = choice.if_contains("text"); t && t->is_string()) {
      text = &t->as_string();
    }
    if (!text) continue;
    std::string out = filter.feed(std::string_view(text->data(), text->size()));
    out += filter.flush();
    if (filter.stopped()) return false;
    *text = out;
  }
  return true;
}

}  // namespace hgw::pipeline
