#include "policies/compliance/Redactor.hpp"

#include <algorithm>

namespace hgw::compliance {

std::string placeholder_prefix(std::string_view type) {
  std::string p;
  for (unsigned char c : type) {
    if (c >= 'a' && c <= 'z') p += static_cast<char>(c - 'a' + 'A');
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) p += static_cast<char>(c);
    else if (p.empty() || p.back() != '_') p += '_';
  }
  if (p.empty() || p == "_") p = "REDACTED";
  return p;
}

std::string Redactor::rewrite(std::string_view text, std::uint32_t index,
                              const std::vector<Finding>& findings,
                              const std::vector<std::string>& types, bool& changed) {
  std::vector<const Finding*> mine;
  for (const auto& f : findings)
    if (f.text_index == index && f.begin < f.end && f.end <= text.size() &&
        std::find(types.begin(), types.end(), f.type) != types.end())
      mine.push_back(&f);
  changed = !mine.empty();
  if (!changed) return {};
  std::stable_sort(mine.begin(), mine.end(), [](const Finding* a, const Finding* b) {
    if (a->begin != b->begin) return a->begin < b->begin;
    return a->end > b->end;
  });
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const Finding* f : mine) {
    if (f->begin < pos) continue;  // overlaps a replaced one
    out.append(text.substr(pos, f->begin - pos));
    std::string value(text.substr(f->begin, f->end - f->begin));
    auto key = std::make_pair(f->type, value);
    auto it = by_value_.find(key);
    if (it == by_value_.end()) {
      std::string prefix = placeholder_prefix(f->type);
      int n = ++next_[prefix];
      mapping_.emplace_back("[" + prefix + "_" + std::to_string(n) + "]", std::move(value));
      it = by_value_.emplace(std::move(key), mapping_.size() - 1).first;
    }
    out += mapping_[it->second].first;
    ++count_;
    ++by_type_[f->type];
    pos = f->end;
  }
  out.append(text.substr(pos));
  return out;
}

void Redactor::redact(std::vector<boost::json::string*>& texts, const std::vector<Finding>& findings,
                      const std::vector<std::string>& types) {
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (!texts[i]) continue;
    bool changed = false;
    std::string r = rewrite(std::string_view(texts[i]->data(), texts[i]->size()),
                            static_cast<std::uint32_t>(i), findings, types, changed);
    if (changed) *texts[i] = r;
  }
}

void Redactor::redact(std::vector<std::string>& texts, const std::vector<Finding>& findings,
                      const std::vector<std::string>& types) {
  for (std::size_t i = 0; i < texts.size(); ++i) {
    bool changed = false;
    std::string r = rewrite(texts[i], static_cast<std::uint32_t>(i), findings, types, changed);
    if (changed) texts[i] = std::move(r);
  }
}

PlaceholderRestorer::PlaceholderRestorer(std::vector<std::pair<std::string, std::string>> mapping) {
  for (auto& [ph, original] : mapping) {
    if (ph.empty()) continue;
    max_len_ = std::max(max_len_, ph.size());
    placeholders_.push_back(ph);
    map_.emplace(ph, std::move(original));
  }
}

std::string PlaceholderRestorer::feed(std::string_view chunk) {
  pending_.append(chunk);
  return process(false);
}

std::string PlaceholderRestorer::flush() { return process(true); }

std::string PlaceholderRestorer::process(bool final) {
  std::string out;
  if (map_.empty()) {
    out.swap(pending_);
    return out;
  }
  const std::string_view buf = pending_;
  std::size_t pos = 0, emitted = 0;
  std::size_t hold = buf.size();  // where the held-back tail starts
  while (true) {
    std::size_t open = buf.find('[', pos);
    if (open == std::string_view::npos) break;
    // Only a ']' within the longest placeholder can close one (bounded look-ahead).
    std::size_t close = buf.substr(0, std::min(buf.size(), open + max_len_)).find(']', open + 1);
    if (close != std::string_view::npos) {
      auto it = map_.find(std::string(buf.substr(open, close - open + 1)));
      if (it != map_.end()) {
        out.append(buf.substr(emitted, open - emitted));
        out += it->second;
        ++restored_;
        emitted = pos = close + 1;
        continue;
      }
    }
    if (!final && buf.size() - open < max_len_ && close == std::string_view::npos) {
      // Could the tail from here still become a placeholder?
      std::string_view tail = buf.substr(open);
      bool prefix = std::any_of(placeholders_.begin(), placeholders_.end(),
                                [&](const std::string& p) { return p.compare(0, tail.size(), tail) == 0; });
      if (prefix) {
        hold = open;
        break;
      }
    }
    pos = open + 1;
  }
  out.append(buf.substr(emitted, hold - emitted));
  pending_.erase(0, hold);
  return out;
}

}  // namespace hgw::compliance
