#include "policies/compliance/TextNormalizer.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <limits>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hgw::compliance {

namespace {

enum class Kind { keep, remove, replace };

// What a detector can see of a character's NFKC form: letters, digits, the
// punctuation inside e-mail addresses, phone numbers and keys, and the
// brackets of redaction placeholders. Chinese punctuation (full-width comma,
// colon, parentheses) maps to none of these, so Chinese prose is its own view.
bool detector_visible(char32_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '@' || c == '.' ||
         c == '-' || c == '+' || c == '_' || c == ' ' || c == '[' || c == ']';
}

void append_utf8(std::string& out, char32_t c) {
  char buf[4];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(buf, len, 4, static_cast<UChar32>(c), error);
  if (!error) out.append(buf, static_cast<std::size_t>(len));
}

const icu::Normalizer2* nfkc() {
  static const icu::Normalizer2* instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return instance;
}

// The rules that do not need NFKC: removal, digits, spaces, dashes, look-alikes of X.
Kind simple_rules(char32_t c, std::string& out) {
  if (c < 0x80) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return Kind::remove;
    return Kind::keep;
  }
  const auto uc = static_cast<UChar32>(c);
  const int8_t type = u_charType(uc);
  if (type == U_CONTROL_CHAR || type == U_FORMAT_CHAR ||
      u_hasBinaryProperty(uc, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
    return Kind::remove;
  if (type == U_DECIMAL_DIGIT_NUMBER) {
    const int32_t v = u_charDigitValue(uc);
    if (v >= 0 && v <= 9) {
      out.assign(1, static_cast<char>('0' + v));
      return Kind::replace;
    }
  }
  if (type == U_SPACE_SEPARATOR) {
    out.assign(1, ' ');
    return Kind::replace;
  }
  if (type == U_DASH_PUNCTUATION || c == 0x2212 /* minus sign */) {
    out.assign(1, '-');
    return Kind::replace;
  }
  switch (c) {
    case 0x0425: case 0x0445:  // Cyrillic Х х
    case 0x03A7: case 0x03C7:  // Greek Χ χ
    case 0x00D7:               // multiplication sign
      out.assign(1, 'X');
      return Kind::replace;
    default: return Kind::keep;
  }
}

Kind classify(char32_t c, std::string& out) {
  out.clear();
  if (Kind k = simple_rules(c, out); k != Kind::keep || c < 0x80) return k;
  const icu::Normalizer2* n = nfkc();
  if (n == nullptr || n->isInert(static_cast<UChar32>(c))) return Kind::keep;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString source(static_cast<UChar32>(c));
  const icu::UnicodeString normal = n->normalize(source, status);
  if (U_FAILURE(status) || normal == source) return Kind::keep;
  // The NFKC form, itself through the simple rules (a compatibility digit
  // decomposes to a digit, a compatibility space to a space, …).
  bool visible = false;
  std::string piece;
  for (int32_t i = 0; i < normal.length();) {
    const UChar32 d = normal.char32At(i);
    i += U16_LENGTH(d);
    const auto dc = static_cast<char32_t>(d);
    const Kind k = simple_rules(dc, piece);
    if (k == Kind::remove) continue;
    if (k == Kind::replace) {
      out += piece;
      visible = true;
    } else {
      append_utf8(out, dc);
      visible |= dc < 0x80 && detector_visible(dc);
    }
  }
  if (!visible) {
    out.clear();
    return Kind::keep;
  }
  return Kind::replace;
}

// What every character of the Basic Multilingual Plane becomes, computed once
// (a few milliseconds): the hot loop is then one table lookup per character.
class BmpTable {
 public:
  static constexpr std::uint32_t kKeep = 0, kRemove = std::numeric_limits<std::uint32_t>::max();

  BmpTable() : entries_(0x10000, kKeep) {
    std::string out;
    for (char32_t c = 0; c < 0x10000; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;  // surrogates never decode from UTF-8
      if (c >= 0x4E00 && c <= 0x9FFF) continue;  // CJK unified ideographs: inert
      switch (classify(c, out)) {
        case Kind::keep: break;
        case Kind::remove: entries_[c] = kRemove; break;
        case Kind::replace:
          if (out.size() < 256 && pool_.size() < (1u << 23)) {
            entries_[c] = static_cast<std::uint32_t>(pool_.size() << 8 | out.size());
            pool_ += out;
          }
          break;
      }
    }
  }
  std::uint32_t entry(char32_t c) const { return entries_[c]; }
  std::string_view replacement(std::uint32_t entry) const {
    return std::string_view(pool_).substr(entry >> 8, entry & 0xff);
  }

 private:
  std::vector<std::uint32_t> entries_;
  std::string pool_;
};

const BmpTable& bmp() {
  static const BmpTable table;
  return table;
}

// A character's fate: kept, removed, or replaced by `out`.
Kind fate(char32_t c, std::string_view& replacement, std::string& scratch) {
  if (c < 0x10000) {
    const std::uint32_t e = bmp().entry(c);
    if (e == BmpTable::kKeep) return Kind::keep;
    if (e == BmpTable::kRemove) return Kind::remove;
    replacement = bmp().replacement(e);
    return Kind::replace;
  }
  const Kind k = classify(c, scratch);  // outside the BMP: rare, computed each time
  replacement = scratch;
  return k;
}

bool is_removed_ascii(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f; }

// First index >= i of a byte that is not plain printable ASCII (or tab, LF, CR).
std::size_t skip_plain(const unsigned char* p, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  while (i + 16 <= n) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed compare: bytes >= 0x80 are negative, so they count as "below space".
    __m128i odd = _mm_or_si128(_mm_cmplt_epi8(x, space), _mm_cmpeq_epi8(x, del));
    const __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)));
    odd = _mm_andnot_si128(ok, odd);
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(odd));
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < n && p[i] < 0x80 && !is_removed_ascii(p[i])) ++i;
  return i;
}

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes one character at p[i]; returns its length, 0 when the bytes there
// are not valid UTF-8.
std::size_t decode(const unsigned char* p, std::size_t i, std::size_t n, char32_t& c) {
  auto k = static_cast<int32_t>(i);
  const auto len = static_cast<int32_t>(std::min<std::size_t>(n, static_cast<std::size_t>(k) + 4));
  UChar32 cp;
  U8_NEXT(p, k, len, cp);
  if (cp < 0) return 0;
  c = static_cast<char32_t>(cp);
  return static_cast<std::size_t>(k) - i;
}

}  // namespace

std::string normalized_code_point(char32_t c) {
  std::string scratch;
  std::string_view replacement;
  switch (fate(c, replacement, scratch)) {
    case Kind::keep: {
      std::string self;
      append_utf8(self, c);
      return self;
    }
    case Kind::remove: return {};
    case Kind::replace: return std::string(replacement);
  }
  return {};
}

bool NormalizedText::assign(std::string_view in) {
  original_ = in;
  buffer_.clear();
  edits_.clear();
  identity_ = true;
  if (in.size() >= std::numeric_limits<std::int32_t>::max()) return false;  // not ours to scan
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  bool valid = true;
  std::string scratch;
  std::string_view replacement;

  // Pass 1: the first character that the view changes (usually none).
  std::size_t i = skip_plain(p, 0, n);
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (is_removed_ascii(c)) break;
      i = skip_plain(p, i + 1, n);
      continue;
    }
    // Lead bytes E4..E9 carry U+4000..U+9FFF: CJK ideographs, all inert.
    if (c >= 0xE4 && c <= 0xE9 && i + 2 < n && continuation(p[i + 1]) && continuation(p[i + 2])) {
      i += 3;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode(p, i, n, cp);
    if (len == 0) {
      valid = false;
      ++i;
      continue;
    }
    if (fate(cp, replacement, scratch) != Kind::keep) break;
    i += len;
  }
  if (i >= n) return valid;

  // Pass 2: copy what stays, record every change.
  identity_ = false;
  buffer_.reserve(n);
  buffer_.append(in.data(), i);
  std::size_t run = i;  // start of the current run of kept bytes
  auto flush_run = [&](std::size_t upto) {
    buffer_.append(in.data() + run, upto - run);
  };
  while (i < n) {
    const unsigned char c = p[i];
    std::size_t len = 1;
    Kind k = Kind::keep;
    if (c < 0x80) {
      if (is_removed_ascii(c)) k = Kind::remove;
    } else if (c >= 0xE4 && c <= 0xE9 && i + 2 < n && continuation(p[i + 1]) && continuation(p[i + 2])) {
      len = 3;
    } else {
      char32_t cp = 0;
      len = decode(p, i, n, cp);
      if (len == 0) {
        valid = false;
        len = 1;
      } else {
        k = fate(cp, replacement, scratch);
      }
    }
    if (k != Kind::keep) {
      flush_run(i);
      const auto out_len = k == Kind::replace ? static_cast<std::uint32_t>(replacement.size()) : 0u;
      edits_.push_back({static_cast<std::uint32_t>(buffer_.size()), out_len, static_cast<std::uint32_t>(i),
                        static_cast<std::uint32_t>(len)});
      if (k == Kind::replace) buffer_.append(replacement);
      run = i + len;
    }
    i += len;
  }
  flush_run(n);
  return valid;
}

const NormalizedText::Edit* NormalizedText::last_edit_at_or_before(std::size_t out_pos) const {
  auto it = std::upper_bound(edits_.begin(), edits_.end(), out_pos,
                             [](std::size_t pos, const Edit& e) { return pos < e.out_pos; });
  return it == edits_.begin() ? nullptr : &*std::prev(it);
}

std::size_t NormalizedText::original_begin(std::size_t begin) const {
  if (identity_) return begin;
  const Edit* e = last_edit_at_or_before(begin);
  if (e == nullptr) return begin;
  if (begin < e->out_pos + e->out_len) return e->orig_pos;
  return e->orig_pos + e->orig_len + (begin - (e->out_pos + e->out_len));
}

std::size_t NormalizedText::original_end(std::size_t end) const {
  if (identity_ || end == 0) return end;
  const std::size_t last = end - 1;
  const Edit* e = last_edit_at_or_before(last);
  if (e == nullptr) return end;
  if (last < e->out_pos + e->out_len) return e->orig_pos + e->orig_len;
  return e->orig_pos + e->orig_len + (end - (e->out_pos + e->out_len));
}

}  // namespace hgw::compliance
