// The text the detectors read: what a person would read in a string, in the
// one form the validators know. People type and paste sensitive numbers in
// many forms — full-width digits (１１０１…), a zero-width space inside a
// number, a non-breaking or ideographic space between its groups — and the
// detectors must see through each of them, while redaction must mask the
// original bytes. So the view is built per text, with a map back to the
// original offsets:
//
//  - invisible characters are removed: format characters (zero-width space,
//    joiners, word joiner, BOM, soft hyphen, bidi controls, tag characters),
//    other default-ignorable code points (variation selectors, fillers) and
//    control characters other than tab, line feed and carriage return;
//  - every decimal digit of any script becomes its ASCII digit (full-width,
//    Arabic-Indic, Devanagari, mathematical …);
//  - every space separator becomes ' ' (NBSP, ideographic space, thin spaces)
//    and every dash becomes '-' (hyphen, en dash, minus sign, full-width …);
//  - the other characters are NFKC-normalised (ICU) where that changes what
//    a detector can see: letters, digits, @ . - + _ and the placeholder
//    brackets [ ] (full-width letters, ＠, ．, ＋, ［ ］); characters whose NFKC
//    form carries none of these stay as they are (the full-width comma and
//    colon), so Chinese prose needs no copy;
//  - the Cyrillic and Greek look-alikes of X (Х х Χ χ) and × become X: the
//    check character of a resident ID.
//
// Plain ASCII text (the common case) is its own view: no copy, no map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hgw::compliance {

class NormalizedText {
 public:
  // Builds the view of `original`, which must outlive the use of this view.
  // Returns false when `original` is not valid UTF-8: the view is then the
  // raw bytes (still scanned), and the caller must treat the text as not
  // scanned completely (fail closed).
  bool assign(std::string_view original);

  std::string_view text() const { return identity_ ? original_ : std::string_view(buffer_); }
  bool identity() const { return identity_; }
  std::string_view original() const { return original_; }

  // The original byte span of the view's span [begin, end): from the first
  // original character that produced `begin` through the last one that
  // produced `end - 1`, so that invisible characters and separators inside
  // are included.
  std::size_t original_begin(std::size_t begin) const;
  std::size_t original_end(std::size_t end) const;

 private:
  // A run of the view that is not a byte-for-byte copy of the original:
  // one original character replaced (out_len > 0) or removed (out_len = 0).
  struct Edit {
    std::uint32_t out_pos, out_len, orig_pos, orig_len;
  };
  const Edit* last_edit_at_or_before(std::size_t out_pos) const;

  std::string_view original_;
  std::string buffer_;
  std::vector<Edit> edits_;
  bool identity_ = true;
};

// One character's form in the view, for tests and the streaming restorer:
// the bytes it becomes ("" when removed), or the character itself.
std::string normalized_code_point(char32_t c);

}  // namespace hgw::compliance
