#include "policies/compliance/Redactor.hpp"

#include "policies/compliance/TextNormalizer.hpp"

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

std::optional<std::string> Redactor::rewrite(std::string_view text, std::vector<const Finding*> mine,
                                             const std::vector<std::string>& types) {
  std::erase_if(mine, [&](const Finding* f) {
    return !(f->begin < f->end && f->end <= text.size() &&
             std::find(types.begin(), types.end(), f->type) != types.end());
  });
  if (mine.empty()) return std::nullopt;
  std::stable_sort(mine.begin(), mine.end(), [](const Finding* a, const Finding* b) {
    if (a->begin != b->begin) return a->begin < b->begin;
    return a->end > b->end;
  });
  // Overlapping findings become one placeholder over their union, named after
  // the first: replacing only the first would send the rest of the other
  // (the tail of an e-mail address a keyword overlaps) as it was.
  struct Span {
    std::size_t begin, end;
    const std::string* type;
  };
  std::vector<Span> spans;
  for (const Finding* f : mine) {
    if (!spans.empty() && f->begin < spans.back().end)
      spans.back().end = std::max(spans.back().end, f->end);
    else
      spans.push_back({f->begin, f->end, &f->type});
  }
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const Span& span : spans) {
    out.append(text.substr(pos, span.begin - pos));
    std::string value(text.substr(span.begin, span.end - span.begin));
    auto key = std::make_pair(*span.type, value);
    auto it = by_value_.find(key);
    if (it == by_value_.end()) {
      std::string prefix = placeholder_prefix(*span.type);
      int n = ++next_[prefix];
      mapping_.emplace_back("[" + prefix + "_" + std::to_string(n) + "]", std::move(value));
      it = by_value_.emplace(std::move(key), mapping_.size() - 1).first;
    }
    out += mapping_[it->second].first;
    ++count_;
    ++by_type_[*span.type];
    pos = span.end;
  }
  out.append(text.substr(pos));
  return out;
}

std::optional<std::string> Redactor::rewrite_index(std::string_view text, std::uint32_t index,
                                                   const std::vector<Finding>& findings,
                                                   const std::vector<std::string>& types) {
  std::vector<const Finding*> mine;
  for (const auto& f : findings)
    if (f.text_index == index) mine.push_back(&f);
  return rewrite(text, std::move(mine), types);
}

void Redactor::redact(std::vector<boost::json::string*>& texts, const std::vector<Finding>& findings,
                      const std::vector<std::string>& types) {
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (!texts[i]) continue;
    if (auto r = rewrite_index(std::string_view(texts[i]->data(), texts[i]->size()),
                               static_cast<std::uint32_t>(i), findings, types))
      *texts[i] = *r;
  }
}

void Redactor::redact(std::vector<std::string>& texts, const std::vector<Finding>& findings,
                      const std::vector<std::string>& types) {
  for (std::size_t i = 0; i < texts.size(); ++i)
    if (auto r = rewrite_index(texts[i], static_cast<std::uint32_t>(i), findings, types)) texts[i] = std::move(*r);
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
  // Placeholders are looked for in the normalised view, so that a model that
  // writes one in full-width brackets or with a zero-width space still gets
  // it restored; what is replaced is the original span.
  // A character cut by the chunk boundary waits for its other bytes.
  std::size_t complete = pending_.size();
  if (!final) {
    std::size_t lead = complete;
    while (lead > 0 && complete - lead < 4 && (static_cast<unsigned char>(pending_[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead > 0) {
      const auto c = static_cast<unsigned char>(pending_[lead - 1]);
      const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (need > 1 && complete - (lead - 1) < need) complete = lead - 1;
    }
  }
  NormalizedText view;
  view.assign(std::string_view(pending_).substr(0, complete));
  const std::string_view norm = view.text();
  std::size_t pos = 0, emitted = 0;  // pos in the view, emitted in pending_
  std::size_t hold = complete;        // where the held-back tail starts (in pending_)
  while (true) {
    std::size_t open = norm.find('[', pos);
    if (open == std::string_view::npos) break;
    // Only a ']' within the longest placeholder can close one (bounded look-ahead).
    std::size_t close = norm.substr(0, std::min(norm.size(), open + max_len_)).find(']', open + 1);
    if (close != std::string_view::npos) {
      auto it = map_.find(std::string(norm.substr(open, close - open + 1)));
      if (it != map_.end()) {
        const std::size_t begin = view.original_begin(open), end = view.original_end(close + 1);
        out.append(pending_, emitted, begin - emitted);
        out += it->second;
        ++restored_;
        emitted = end;
        pos = close + 1;
        continue;
      }
    }
    if (!final && norm.size() - open < max_len_ && close == std::string_view::npos) {
      // Could the tail from here still become a placeholder?
      std::string_view tail = norm.substr(open);
      bool prefix = std::any_of(placeholders_.begin(), placeholders_.end(),
                                [&](const std::string& p) { return p.compare(0, tail.size(), tail) == 0; });
      if (prefix) {
        hold = std::max(emitted, view.original_begin(open));
        break;
      }
    }
    pos = open + 1;
  }
  out.append(pending_, emitted, hold - emitted);
  pending_.erase(0, hold);
  return out;
}

}  // namespace hgw::compliance
