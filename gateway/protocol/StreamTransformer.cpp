#include "gateway/protocol/StreamTransformer.hpp"

namespace hgw::protocol {

namespace json = boost::json;

StreamTransformer::State StreamTransformer::feed(std::string_view bytes, std::string& out) {
  pending_.clear();
  if (!parser_.feed(bytes, pending_)) {
    error_ = "upstream SSE event exceeds the size limit";
    return State::malformed;
  }
  for (const auto& event : pending_) {
    const State s = handle(event, out);
    if (s != State::ok) return s;
  }
  return State::ok;
}

// Runs the text of every choice through the filter. On the chunk that ends the
// answer, what the filter held back is released into it.
bool StreamTransformer::filter_text(json::object& chunk, bool final_chunk) {
  auto* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array()) return false;
  bool changed = false;
  for (auto& c : choices->as_array()) {
    if (!c.is_object()) continue;
    auto& choice = c.as_object();
    json::string* text = nullptr;
    if (auto* delta = choice.if_contains("delta"); delta && delta->is_object()) {
      auto& d = delta->as_object();
      if (auto* content = d.if_contains("content"); content && content->is_string())
        text = &content->as_string();
      else if (final_chunk)
        text = &d["content"].emplace_string();
    } else if (auto* t = choice.if_contains("text"); t && t->is_string()) {
      text = &t->as_string();
    }
    if (auto* delta = choice.if_contains("delta"); delta && delta->is_object())
      changed |= filter_arguments(choice, delta->as_object(), final_chunk);
    if (!text) continue;
    std::string filtered = filter_->feed(std::string_view(text->data(), text->size()));
    if (final_chunk) filtered += filter_->flush();
    if (filtered != std::string_view(text->data(), text->size())) {
      *text = filtered;
      changed = true;
    }
  }
  return changed;
}

// Tool-call argument deltas, each call through its own filter (a placeholder
// may be split across its deltas); on the chunk that ends the answer, what a
// filter held back goes out as one more argument delta of that call.
bool StreamTransformer::filter_arguments(const json::object& choice, json::object& delta, bool final_chunk) {
  std::int64_t choice_index = 0;
  if (auto* i = choice.if_contains("index"); i && i->is_int64()) choice_index = i->get_int64();
  bool changed = false;
  if (auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
    for (auto& c : calls->get_array()) {
      auto* call = c.if_object();
      auto* fn = call ? call->if_contains("function") : nullptr;
      auto* args = fn && fn->is_object() ? fn->get_object().if_contains("arguments") : nullptr;
      if (!args || !args->is_string()) continue;
      std::int64_t index = 0;
      if (auto* i = call->if_contains("index"); i && i->is_int64()) index = i->get_int64();
      auto& f = argument_filters_[{choice_index, index}];
      if (!f) f = filter_->for_arguments();
      if (!f) {  // nothing to restore in arguments
        argument_filters_.erase({choice_index, index});
        return changed;
      }
      const std::string_view in(args->get_string().data(), args->get_string().size());
      std::string out = f->feed(in);
      if (out != in) {
        *args = out;
        changed = true;
      }
    }
  }
  if (final_chunk) {
    for (auto it = argument_filters_.begin(); it != argument_filters_.end();) {
      if (it->first.first != choice_index || !it->second) {
        ++it;
        continue;
      }
      if (std::string rest = it->second->flush(); !rest.empty()) {
        auto& calls = delta["tool_calls"];
        if (!calls.is_array()) calls.emplace_array();
        calls.get_array().push_back(json::object{{"index", it->first.second}, {"function", json::object{{"arguments", rest}}}});
        changed = true;
      }
      it = argument_filters_.erase(it);
    }
  }
  return changed;
}

namespace {
bool non_empty_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() && !v->as_string().empty();
}
}  // namespace

StreamTransformer::State StreamTransformer::handle(const SseEvent& event, std::string& out) {
  ++events_;
  if (event.data == "[DONE]") {
    done_seen_ = true;
    out += format_sse("[DONE]");
    return State::ok;
  }
  boost::system::error_code ec;
  json::value v = json::parse(event.data, ec);
  if (ec || !v.is_object()) {
    error_ = "upstream sent an SSE event that is not a JSON object";
    return State::malformed;
  }
  auto& chunk = v.as_object();
  if (auto* err = chunk.if_contains("error"); err && !err->is_null()) {
    error_ = "upstream reported an error inside the stream";
    if (err->is_object())
      if (auto* m = err->as_object().if_contains("message"); m && m->is_string())
        error_ += std::string(": ") + std::string(m->as_string());
    return State::upstream_error;
  }
  bool changed = false;
  const TokenUsage u = read_usage(chunk);
  if (u.known) usage_ = u;
  auto* choices = chunk.if_contains("choices");
  const bool no_choices = !choices || !choices->is_array() || choices->as_array().empty();
  if (u.known && !forward_usage_) {
    if (no_choices) return State::ok;  // the usage chunk we asked for on our own
    chunk.erase("usage");
    changed = true;
  }
  bool final_chunk = false;
  if (record_ && identity_.empty())
    for (const char* key : {"id", "created", "model"})
      if (const auto* v = chunk.if_contains(key)) identity_[key] = *v;
  if (record_ && !no_choices && choices->as_array().size() > 1) other_content_ = true;
  if (!no_choices) {
    for (const auto& c : choices->as_array()) {
      if (!c.is_object()) continue;
      const auto& choice = c.as_object();
      if (auto* fr = choice.if_contains("finish_reason"); fr && !fr->is_null()) final_chunk = true;
      if (auto* delta = choice.if_contains("delta"); delta && delta->is_object()) {
        const auto& d = delta->as_object();
        if (non_empty_string(d, "content")) {
          ++content_chunks_;
          content_seen_ = true;
          if (record_) text_ += d.at("content").as_string();
        }
        if (non_empty_string(d, "refusal") || non_empty_string(d, "reasoning_content") ||
            non_empty_string(d, "reasoning"))
          content_seen_ = other_content_ = true;
        if (auto* calls = d.if_contains("tool_calls"); calls && calls->is_array() && !calls->as_array().empty())
          content_seen_ = other_content_ = true;
      } else if (non_empty_string(choice, "text")) {
        ++content_chunks_;
        content_seen_ = true;
      }
    }
    if (final_chunk) finish_seen_ = true;
    if (filter_) {
      changed |= filter_text(chunk, final_chunk);
      if (filter_->stopped()) {
        error_ = "answer stopped by the output filter: " + filter_->stop_reason();
        return State::stopped;
      }
    }
  }
  if (changed)
    out += format_sse(json::serialize(chunk));
  else
    out += format_sse(event.data);
  return State::ok;
}

}  // namespace hgw::protocol
