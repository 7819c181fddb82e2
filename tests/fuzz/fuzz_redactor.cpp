// Redactor and PlaceholderRestorer (policies/compliance/Redactor.hpp) on the
// strings of a request. Checks: every byte of every detected value is
// replaced by a placeholder, nothing else changes, and a detected value is
// left nowhere in the text (except where it also occurs undetected); the
// restorer, fed the redacted text in any chunking, gives back the original
// (when the original holds no '[' that could look like a placeholder); and
// the restorer's output does not depend on how the answer is chunked.
#include "policies/compliance/Redactor.hpp"
#include "tests/fuzz/CompliancePolicy.hpp"

#include <string>

namespace cp = hgw::compliance;
using hgw::fuzz::check;

namespace {

std::size_t occurrences(std::string_view text, std::string_view value) {
  std::size_t n = 0;
  for (auto p = text.find(value); p != std::string_view::npos; p = text.find(value, p + 1)) ++n;
  return n;
}

// Occurrences of value in text that overlap no finding of that text.
std::size_t undetected_occurrences(std::string_view text, std::uint32_t index, std::string_view value,
                                   const std::vector<cp::Finding>& findings) {
  std::size_t n = 0;
  for (auto p = text.find(value); p != std::string_view::npos; p = text.find(value, p + 1)) {
    bool covered = false;
    for (const auto& f : findings)
      if (f.text_index == index && f.begin < p + value.size() && p < f.end) covered = true;
    n += covered ? 0 : 1;
  }
  return n;
}

// Which bytes of `original` the redaction replaced, read back by walking the
// redacted text through the mapping. Only for an original without '[', where
// every '[' of the redacted text opens a placeholder.
std::vector<bool> replaced_bytes(std::string_view original, std::string_view redacted,
                                 const std::vector<std::pair<std::string, std::string>>& mapping) {
  std::vector<bool> out(original.size(), false);
  std::size_t o = 0;
  for (std::size_t r = 0; r < redacted.size();) {
    if (redacted[r] != '[') {
      check(o < original.size() && original[o] == redacted[r], "redaction changed text outside its findings");
      ++o, ++r;
      continue;
    }
    const auto close = redacted.find(']', r);
    check(close != std::string_view::npos, "unterminated placeholder");
    const std::string_view ph = redacted.substr(r, close - r + 1);
    const std::string* value = nullptr;
    for (const auto& [p, v] : mapping)
      if (p == ph) value = &v;
    check(value != nullptr, "a placeholder that is not in the mapping", ph);
    check(original.substr(o, value->size()) == *value, "a placeholder stands for other text than it replaced", ph);
    for (std::size_t k = 0; k < value->size(); ++k) out[o + k] = true;
    o += value->size();
    r = close + 1;
  }
  check(o == original.size(), "redaction dropped the end of a text");
  return out;
}

std::string restore(const std::vector<std::pair<std::string, std::string>>& mapping, std::string_view answer,
                    std::uint64_t salt) {
  cp::PlaceholderRestorer r(mapping);
  std::string out;
  for (auto c : hgw::fuzz::chunks(answer, salt)) out += r.feed(c);
  out += r.flush();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& set = hgw::fuzz::detector_set();
  const std::string_view in = hgw::fuzz::as_text(data, size);
  const auto views = hgw::fuzz::texts_of(in);
  const std::vector<cp::Finding> findings = set.scan(views);
  std::vector<std::string> texts(views.begin(), views.end());
  cp::Redactor redactor;
  redactor.redact(texts, findings, set.types());
  check(findings.empty() == (redactor.count() == 0), "findings and replacements disagree");

  if (in.find('[') == std::string_view::npos) {
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const auto replaced = replaced_bytes(views[i], texts[i], redactor.mapping());
      for (const auto& f : findings) {
        // Overlapping findings (a custom keyword glued to an e-mail address)
        // are replaced by one placeholder over their union: every byte of each.
        if (f.text_index != i) continue;
        for (std::size_t k = f.begin; k < f.end; ++k)
          check(replaced[k], "a detected value is not (wholly) redacted",
                f.type + " '" + std::string(views[i].substr(f.begin, f.end - f.begin)) + "' in: " + texts[i]);
      }
    }
  }
  for (const auto& f : findings) {
    const std::string_view value = views[f.text_index].substr(f.begin, f.end - f.begin);
    check(occurrences(texts[f.text_index], value) <=
              undetected_occurrences(views[f.text_index], f.text_index, value, findings),
          "a detected value is still in the redacted text",
          f.type + " '" + std::string(value) + "' in: " + texts[f.text_index]);
  }
  for (const auto& [placeholder, original] : redactor.mapping())
    check(placeholder.size() > 2 && placeholder.front() == '[' && placeholder.back() == ']' && !original.empty(),
          "malformed placeholder mapping", placeholder);

  // The answer echoes the redacted prompt: the client must get its own words back.
  if (in.find('[') == std::string_view::npos) {
    for (std::size_t i = 0; i < texts.size(); ++i)
      check(restore(redactor.mapping(), texts[i], i) == views[i], "restore(redact(x)) != x", views[i]);
  }
  // Any answer: chunk boundaries must not change what the client reads.
  check(restore(redactor.mapping(), in, 1) == restore(redactor.mapping(), in, 2),
        "restored answer depends on its chunking");
  return 0;
}
