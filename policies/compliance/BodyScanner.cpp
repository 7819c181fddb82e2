#include "policies/compliance/BodyScanner.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <optional>

namespace hgw::compliance {

namespace json = boost::json;

namespace {

// JSON inside a string is read as JSON at most this many levels deep (a JSON
// string holding JSON holding JSON …); deeper ones are read as plain text.
constexpr int kMaxEmbedding = 4;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A string that may hold a JSON object or array: '{…}' or '[…]' around
// optional whitespace. Only these are parsed; anything else is plain text.
bool may_hold_json(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  if (e - b < 2) return false;
  return (s[b] == '{' && s[e - 1] == '}') || (s[b] == '[' && s[e - 1] == ']');
}

// The decimal text of an integer that could be a sensitive number (7 digits
// or more), written into buf; empty when the value is not such an integer.
std::string_view number_text(const json::value& v, char (&buf)[24]) {
  char* end = nullptr;
  if (v.is_uint64()) {
    if (v.get_uint64() < 1'000'000) return {};
    end = std::to_chars(buf, buf + sizeof buf, v.get_uint64()).ptr;
  } else if (v.is_int64()) {
    const std::int64_t x = v.get_int64();
    if (x > -1'000'000 && x < 1'000'000) return {};
    end = std::to_chars(buf, buf + sizeof buf, x).ptr;
  } else {
    return {};
  }
  return std::string_view(buf, static_cast<std::size_t>(end - buf));
}

class Scanner {
 public:
  Scanner(const DetectorSet& detectors, BodyScan& result, std::uint64_t max_bytes)
      : detectors_(detectors), result_(result), max_bytes_(max_bytes) {}

  void value(const json::value& v, int embedding) {
    if (!result_.failure.empty()) return;
    switch (v.kind()) {
      case json::kind::string: string(v.get_string(), embedding); break;
      case json::kind::object:
        for (const auto& member : v.get_object()) {
          text(member.key());
          value(member.value(), embedding);
        }
        break;
      case json::kind::array:
        for (const auto& element : v.get_array()) value(element, embedding);
        break;
      case json::kind::int64:
      case json::kind::uint64: {
        char buf[24];
        if (auto digits = number_text(v, buf); !digits.empty()) text(digits);
        break;
      }
      default: break;
    }
  }

 private:
  void string(const json::string& s, int embedding) {
    const std::string_view view(s.data(), s.size());
    if (embedding < kMaxEmbedding && may_hold_json(view)) {
      unsigned char buffer[4096];
      json::monotonic_resource arena(buffer, sizeof buffer);
      boost::system::error_code ec;
      json::value inner = json::parse(view, ec, &arena);
      if (!ec && (inner.is_object() || inner.is_array())) {
        value(inner, embedding + 1);
        return;
      }
    }
    text(view);
  }

  void text(std::string_view t) {
    if (!result_.failure.empty()) return;
    result_.bytes += t.size();
    if (result_.bytes > max_bytes_) {
      result_.failure = "the request's texts exceed the scan budget of " + std::to_string(max_bytes_) +
                        " bytes (compliance.max_scan_bytes)";
      return;
    }
    if (!detectors_.scan_one(t, result_.texts, result_.findings))
      result_.failure = "a text of the request is not valid UTF-8";
    ++result_.texts;
  }

  const DetectorSet& detectors_;
  BodyScan& result_;
  std::uint64_t max_bytes_;
};

// The same walk as Scanner, on a copy, rewriting what the findings cover.
class RedactingWalk {
 public:
  RedactingWalk(const std::vector<Finding>& findings, const std::vector<std::string>& types, Redactor& redactor)
      : types_(types), redactor_(redactor) {
    for (const auto& f : findings) sorted_.push_back(&f);
    std::stable_sort(sorted_.begin(), sorted_.end(),
                     [](const Finding* a, const Finding* b) { return a->text_index < b->text_index; });
  }

  // Returns whether anything under v changed.
  bool value(json::value& v, int embedding) {
    bool changed = false;
    switch (v.kind()) {
      case json::kind::string: changed = string(v, embedding); break;
      case json::kind::object: {
        auto& object = v.get_object();
        for (auto& member : object) {
          if (auto renamed = text(member.key())) {
            renames_.push_back({&object, std::string(member.key()), std::move(*renamed)});
            changed = true;
          }
          changed |= value(member.value(), embedding);
        }
        break;
      }
      case json::kind::array:
        for (auto& element : v.get_array()) changed |= value(element, embedding);
        break;
      case json::kind::int64:
      case json::kind::uint64: {
        char buf[24];
        if (auto digits = number_text(v, buf); !digits.empty()) {
          if (auto replaced = text(digits)) {
            v = json::string(*replaced, v.storage());  // a masked number becomes its placeholder
            changed = true;
          }
        }
        break;
      }
      default: break;
    }
    return changed;
  }

  // Keys are renamed after the walk of their document, innermost first, so
  // that no pointer to an object is used after its parent moved it.
  void apply_renames(std::size_t from = 0) {
    for (std::size_t i = renames_.size(); i-- > from;) {
      json::object& o = *renames_[i].object;
      auto found = o.find(renames_[i].from);
      if (found == o.end()) continue;
      json::value moved = std::move(found->value());
      o.erase(found);
      o[renames_[i].to] = std::move(moved);
    }
    renames_.resize(from);
  }

  std::size_t changed_texts() const { return changed_texts_; }

 private:
  bool string(json::value& v, int embedding) {
    json::string& s = v.get_string();
    const std::string_view view(s.data(), s.size());
    if (embedding < kMaxEmbedding && may_hold_json(view)) {
      boost::system::error_code ec;
      json::value inner = json::parse(view, ec);
      if (!ec && (inner.is_object() || inner.is_array())) {
        const std::size_t outer_renames = renames_.size();
        const bool changed = value(inner, embedding + 1);
        apply_renames(outer_renames);  // the embedded document's own keys
        if (changed) s = json::serialize(inner);
        return changed;
      }
    }
    if (auto replaced = text(view)) {
      s = *replaced;
      return true;
    }
    return false;
  }

  std::optional<std::string> text(std::string_view t) {
    const std::uint32_t ordinal = next_++;
    std::vector<const Finding*> mine;
    while (cursor_ < sorted_.size() && sorted_[cursor_]->text_index < ordinal) ++cursor_;
    for (std::size_t i = cursor_; i < sorted_.size() && sorted_[i]->text_index == ordinal; ++i)
      mine.push_back(sorted_[i]);
    if (mine.empty()) return std::nullopt;
    auto replaced = redactor_.rewrite(t, std::move(mine), types_);
    if (replaced) ++changed_texts_;
    return replaced;
  }

  struct Rename {
    json::object* object;
    std::string from, to;
  };

  const std::vector<std::string>& types_;
  Redactor& redactor_;
  std::vector<const Finding*> sorted_;
  std::size_t cursor_ = 0;
  std::uint32_t next_ = 0;
  std::vector<Rename> renames_;
  std::size_t changed_texts_ = 0;
};

}  // namespace

BodyScan scan_body(const DetectorSet& detectors, const json::value& body, std::uint64_t max_bytes) {
  BodyScan result;
  try {
    Scanner(detectors, result, max_bytes).value(body, 0);
  } catch (const std::exception& e) {
    result.failure = std::string("the scanner failed: ") + e.what();
  }
  return result;
}

std::size_t redact_body(json::value& copy, const std::vector<Finding>& findings,
                        const std::vector<std::string>& types, Redactor& redactor) {
  RedactingWalk walk(findings, types, redactor);
  walk.value(copy, 0);
  walk.apply_renames();
  return walk.changed_texts();
}

}  // namespace hgw::compliance
