// How scanning works (and why it is fast):
//
// 1. A table-driven pre-scan walks the text byte by byte looking for trigger
//    bytes: ASCII digits, '@', ':' and the first bytes of secret prefixes
//    (sk-, AKIA/ASIA, gh?_, github_pat_, eyJ). Chinese text (bytes >= 0x80)
//    and ordinary words are skipped at table-lookup speed.
// 2. Around a trigger, the candidate window is the maximal run of "word"
//    bytes [A-Za-z0-9._%+@:-] (a single space joins two runs when it sits
//    between alphanumerics and one of them is a digit: "6222 0202 …",
//    "+86 138 …", "GB82 WEST …"). Counting digits, dots, colons, '@' and
//    uppercase letters in the window tells which detectors could possibly
//    match; most windows in prose ("2024", "3.5%") run no regex at all.
// 3. Each plausible detector's RE2 runs unanchored over the window only, and
//    every regex match goes through the detector's validator, which checks
//    check digits, dates, ranges and boundaries against the whole text (so a
//    mobile number inside a longer digit run, or an IPv4 inside 1.2.3.4.5, is
//    rejected).
// 4. PEM private-key blocks span lines: found with a literal search for
//    "-----BEGIN " and an anchored RE2 on the header, through "-----END …".
// 5. Custom detectors (user regexes, keyword lists) can match anything (any
//    script), so they run over the whole text: one RE2::Set pass tells which
//    of them match at all, then only those are located with their own RE2.
//
// Overlapping built-in matches are resolved: the longer one wins (an email
// that contains a mobile number stays an email), equal spans go to the more
// specific detector (a "+86 …" number is a cn_mobile rather than a phone).
#include "policies/compliance/DetectorSet.hpp"

#include "policies/compliance/TextNormalizer.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hgw::compliance {

namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }
// Separators between the groups of a structured number (after normalisation:
// NBSP and ideographic spaces are ' ', every dash is '-').
bool is_sep(unsigned char c) { return c == ' ' || c == '-' || c == '.'; }

struct Tables {
  std::array<bool, 256> word{};     // window bytes
  std::array<bool, 256> trigger{};  // bytes that may start a window
};
const Tables& tables() {
  static const Tables t = [] {
    Tables t;
    for (int c = 0; c < 256; ++c) {
      bool an = is_alnum(static_cast<unsigned char>(c));
      t.word[c] = an || c == '.' || c == '_' || c == '%' || c == '+' || c == '@' || c == ':' ||
                  c == '-';
      t.trigger[c] = is_digit(static_cast<unsigned char>(c)) || c == '@' || c == ':' ||
                     c == '-' || c == '_' || c == 'A' || c == 'J';
    }
    return t;
  }();
  return t;
}

unsigned char at(std::string_view t, std::size_t i) {
  return i < t.size() ? static_cast<unsigned char>(t[i]) : 0;
}
unsigned char before(std::string_view t, std::size_t i, std::size_t k = 1) {
  return i >= k ? static_cast<unsigned char>(t[i - k]) : 0;
}

// Start of a token: the previous byte is not an ASCII letter or digit.
bool left_clean(std::string_view t, std::size_t b) { return !is_alnum(before(t, b)); }
bool right_clean(std::string_view t, std::size_t e) { return !is_alnum(at(t, e)); }

// A grouped number ("6222 0202 …", "138-1234-5678") must not continue with
// the same separator and more digits on either side.
bool group_continues(std::string_view t, std::size_t b, std::size_t e, char sep) {
  if (sep == 0) return false;
  if (before(t, b) == static_cast<unsigned char>(sep) && is_digit(before(t, b, 2))) return true;
  if (at(t, e) == static_cast<unsigned char>(sep) && is_digit(at(t, e + 1))) return true;
  return false;
}

// Digits of a grouped number; the separator kind (0 = none); false when the
// separators are mixed or a group is shorter than min_group.
bool split_groups(std::string_view s, std::string& digits, char& sep, std::size_t min_group) {
  digits.clear();
  sep = 0;
  std::size_t group = 0;
  for (unsigned char c : s) {
    if (is_digit(c)) {
      digits.push_back(static_cast<char>(c));
      ++group;
    } else if (is_sep(c)) {
      if (sep != 0 && sep != static_cast<char>(c)) return false;
      sep = static_cast<char>(c);
      if (group < min_group) return false;
      group = 0;
    } else {
      return false;
    }
  }
  return group >= 1;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((static_cast<unsigned char>(a[i]) | 0x20) != (static_cast<unsigned char>(b[i]) | 0x20))
      return false;
  return true;
}
bool keyword_before(std::string_view t, std::size_t b, std::size_t window,
                    std::initializer_list<std::string_view> words) {
  std::size_t from = b > window ? b - window : 0;
  std::string_view ctx = t.substr(from, b - from);
  for (auto w : words)
    for (std::size_t i = 0; i + w.size() <= ctx.size(); ++i)
      if (ieq(ctx.substr(i, w.size()), w)) return true;
  return false;
}

// ---- validators (text = whole text; [b, e) = the regex match, may be adjusted)
// `resume` = where the search continues after a rejection (preset by the caller).

bool v_email(std::string_view t, std::size_t& b, std::size_t& e, std::size_t& resume) {
  std::size_t a = t.find('@', b);
  if (a == std::string_view::npos || a >= e) return false;
  resume = a + 1;  // another email needs another '@'
  // Local part: at most 64 bytes, not starting with punctuation, no "..".
  if (a - b > 64) b = a - 64;
  while (b < a && !is_alnum(at(t, b))) ++b;
  if (b == a || t[a - 1] == '.') return false;
  std::string_view local = t.substr(b, a - b), domain = t.substr(a + 1, e - a - 1);
  if (local.find("..") != std::string_view::npos) return false;
  if (domain.size() > 253 || domain.find("..") != std::string_view::npos) return false;
  // Domain labels: not starting or ending with '-'.
  std::size_t s = 0;
  while (s <= domain.size()) {
    std::size_t d = domain.find('.', s);
    if (d == std::string_view::npos) d = domain.size();
    std::string_view label = domain.substr(s, d - s);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    s = d + 1;
  }
  return right_clean(t, e) && at(t, e) != '-';
}

bool v_phone(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  // "+CC …": 8..15 digits (E.164), not glued to letters/digits, not continuing.
  if (is_alnum(before(t, b)) || before(t, b) == '+') return false;
  if (is_digit(at(t, e))) return false;
  if (is_sep(at(t, e)) && is_digit(at(t, e + 1))) return false;
  if (at(t, e) == '.' && is_digit(at(t, e + 1))) return false;
  // "+1.415.555.2671" is a phone number, "+3.14159265" a decimal number.
  if (std::count(t.begin() + static_cast<std::ptrdiff_t>(b), t.begin() + static_cast<std::ptrdiff_t>(e), '.') == 1)
    return false;
  return true;
}

bool v_cn_mobile(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  if (!left_clean(t, b) || !right_clean(t, e)) return false;
  std::string_view m = t.substr(b, e - b);
  // Split off the optional +86 / 0086 / 86 prefix: the number is the last 11
  // digits with at most two separators.
  std::size_t digits_seen = 0, num_start = e;
  for (std::size_t i = m.size(); i-- > 0;) {
    if (is_digit(static_cast<unsigned char>(m[i]))) {
      if (++digits_seen == 11) {
        num_start = b + i;
        break;
      }
    }
  }
  if (num_start == e) return false;
  std::string_view number = t.substr(num_start, e - num_start);
  if (number.size() != 11 && number.size() != 13) return false;
  char sep = 0;
  if (number.size() == 13) {
    if (!is_sep(number[3]) || number[3] != number[8]) return false;  // 3-4-4
    sep = number[3];
  }
  if (before(t, b) == '+') return false;
  return !group_continues(t, b, e, sep);
}

bool v_resident_id(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  if (!left_clean(t, b) || !right_clean(t, e)) return false;
  std::string_view m = t.substr(b, e - b);
  if (m.size() == 20) {  // 6-8-4 groups (region, birth date, sequence + check), one separator kind
    if (!is_sep(m[6]) || m[6] != m[15]) return false;
    if (group_continues(t, b, e, m[6])) return false;
    std::string id;
    id.append(m.substr(0, 6)).append(m.substr(7, 8)).append(m.substr(16, 4));
    return cn_resident_id_valid(id);
  }
  return cn_resident_id_valid(m);
}

bool card_shape(std::string_view t, std::size_t b, std::size_t e, std::string& digits) {
  if (!left_clean(t, b) || !right_clean(t, e)) return false;
  char sep = 0;
  if (!split_groups(t.substr(b, e - b), digits, sep, 3)) return false;
  if (group_continues(t, b, e, sep)) return false;
  if (sep == '.') {
    // Dots separate a card's digits only in groups of four ("4111.1111.1111.1111");
    // any other dotted run of digits is a decimal number.
    std::string_view m = t.substr(b, e - b);
    for (std::size_t start = 0;;) {
      std::size_t dot = m.find('.', start);
      std::size_t len = (dot == std::string_view::npos ? m.size() : dot) - start;
      if (dot != std::string_view::npos ? len != 4 : (len == 0 || len > 4)) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  return luhn_valid(digits);
}

bool v_bank_card(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  std::string d;
  if (!card_shape(t, b, e, d)) return false;
  return d.size() >= 16 && d.size() <= 19 && d[0] == '6' && d[1] == '2';
}

bool v_credit_card(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  std::string d;
  if (!card_shape(t, b, e, d)) return false;
  const std::size_t n = d.size();
  auto pre = [&](std::size_t k) { return std::stoi(d.substr(0, k)); };
  if (d[0] == '4') return n == 13 || n == 16 || n == 19;                        // Visa
  int p2 = pre(2), p3 = pre(3), p4 = pre(4);
  if (p2 >= 51 && p2 <= 55) return n == 16;                                   // Mastercard
  if (p4 >= 2221 && p4 <= 2720) return n == 16;                               // Mastercard 2-series
  if (p2 == 34 || p2 == 37) return n == 15;                                   // Amex
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) return n >= 16;     // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;                               // JCB
  return false;
}

bool v_uscc(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  if (!left_clean(t, b) || !right_clean(t, e)) return false;
  return cn_uscc_valid(t.substr(b, e - b));
}

bool v_passport(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  return left_clean(t, b) && right_clean(t, e);
}

bool v_ssn(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  if (!left_clean(t, b) || !right_clean(t, e)) return false;
  std::string_view m = t.substr(b, e - b);
  char sep = 0;
  if (m.size() == 11) {
    if (m[3] != m[6]) return false;
    sep = m[3];
  } else if (!keyword_before(t, b, 40, {"ssn", "social security", "ss#", "ss no"})) {
    return false;  // 9 bare digits only next to an SSN keyword
  }
  if (group_continues(t, b, e, sep)) return false;
  if (sep == 0 && is_sep(at(t, e)) && is_digit(at(t, e + 1))) return false;
  return us_ssn_valid(m);
}

bool v_iban(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  if (!left_clean(t, b)) return false;
  int len = iban_length(t.substr(b, 2));
  if (len == 0) return false;
  // Take exactly `len` characters (single spaces between groups allowed).
  int got = 0;
  std::size_t i = b;
  while (i < e && got < len) {
    unsigned char c = at(t, i);
    if (c == ' ') {
      if (got == 0 || at(t, i + 1) == ' ') return false;
      ++i;
      continue;
    }
    ++got;
    ++i;
  }
  if (got != len) return false;
  e = i;
  if (!right_clean(t, e)) return false;
  return iban_valid(t.substr(b, e - b));
}

bool v_ipv4(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  unsigned char p = before(t, b), n = at(t, e);
  if (is_alnum(p) || (p == '.' && is_digit(before(t, b, 2)))) return false;
  if (is_alnum(n) || (n == '.' && is_digit(at(t, e + 1)))) return false;
  return ipv4_valid(t.substr(b, e - b));
}

bool v_ipv6(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  unsigned char p = before(t, b);
  if (is_alnum(p) || p == ':' || p == '.') return false;
  // Sentence punctuation after the address is not part of it.
  while (e > b && t[e - 1] == '.') --e;
  if (e - b >= 2 && t[e - 1] == ':' && t[e - 2] != ':') --e;
  if (is_alnum(at(t, e)) || at(t, e) == ':') return false;
  std::string_view m = t.substr(b, e - b);
  std::size_t hex = 0;
  for (char c : m)
    if (c != ':' && c != '.') ++hex;
  if (hex < 4 && m != "::1") return false;  // "a::b" in code is not an address
  return ipv6_valid(m);
}

bool v_secret(std::string_view t, std::size_t& b, std::size_t& e, std::size_t&) {
  if (!left_clean(t, b)) return false;
  std::string_view m = t.substr(b, e - b);
  if (m.substr(0, 3) == "sk-") {
    bool digit = false, alpha = false;
    std::size_t run = 0, best = 0;
    for (unsigned char c : m.substr(3)) {
      digit |= is_digit(c);
      alpha |= is_alpha(c);
      run = is_alnum(c) ? run + 1 : 0;
      best = std::max(best, run);
    }
    return digit && alpha && best >= 12;
  }
  if (m.substr(0, 4) == "AKIA" || m.substr(0, 4) == "ASIA") return right_clean(t, e);
  return true;
}

// ---- gates on window statistics ------------------------------------------

struct Stats {
  std::uint32_t len = 0, digits = 0, at = 0, colons = 0, dots = 0, plus = 0, upper = 0, lit = 0;
};
// A detector runs on a window only when the window has at least this much of
// each (cheap counts; most windows in prose run no regex at all).
struct Gate {
  std::uint32_t len, digits, at, colons, dots, plus, upper, lit;
  bool pass(const Stats& s) const {
    return s.len >= len && s.digits >= digits && s.at >= at && s.colons >= colons && s.dots >= dots &&
           s.plus >= plus && s.upper >= upper && s.lit >= lit;
  }
};
using Validator = bool (*)(std::string_view, std::size_t&, std::size_t&, std::size_t&);

struct BuiltinDef {
  const char* name;
  int priority;  // lower = more specific (wins equal spans)
  const char* pattern;
  Validator validate;
  Gate gate;     // len digits at colons dots plus upper lit
};

// Order = builtin_detector_names().
const BuiltinDef kBuiltins[] = {
    {"email", 12, R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24})",
     v_email, {6, 0, 1, 0, 1, 0, 0, 0}},
    {"phone", 8, R"(\+[1-9](?:[ \-.]?\d){7,14})", v_phone, {9, 8, 0, 0, 0, 1, 0, 0}},
    {"cn_mobile", 7, R"((?:(?:\+|00)?86[ \-]?)?1[3-9]\d[ \-.]?\d{4}[ \-.]?\d{4})", v_cn_mobile,
     {11, 11, 0, 0, 0, 0, 0, 0}},
    {"cn_resident_id", 1, R"(\d{17}[0-9Xx]|\d{15}|\d{6}[ \-.]\d{8}[ \-.]\d{3}[0-9Xx])", v_resident_id, {15, 15, 0, 0, 0, 0, 0, 0}},
    {"bank_card", 5, R"(62\d\d(?:[ \-.]?\d){12,15})", v_bank_card, {16, 16, 0, 0, 0, 0, 0, 0}},
    {"credit_card", 4, R"([2-6]\d{3}(?:[ \-.]?\d){9,15})", v_credit_card, {13, 13, 0, 0, 0, 0, 0, 0}},
    {"cn_uscc", 2, R"([0-9A-HJ-NPQRTUWXY]{18})", v_uscc, {18, 6, 0, 0, 0, 0, 0, 0}},
    {"cn_passport", 9, R"([EG]\d{8}|E[A-HJ-NP-Z]\d{7})", v_passport, {9, 7, 0, 0, 0, 0, 1, 0}},
    {"us_ssn", 6, R"(\d{3}[ \-]\d{2}[ \-]\d{4}|\d{9})", v_ssn, {9, 9, 0, 0, 0, 0, 0, 0}},
    {"iban", 3, R"([A-Z]{2}\d\d(?: ?[A-Z0-9]){11,30})", v_iban, {15, 8, 0, 0, 0, 0, 2, 0}},
    {"ipv4", 11, R"(\d{1,3}(?:\.\d{1,3}){3})", v_ipv4, {7, 4, 0, 0, 3, 0, 0, 0}},
    {"ipv6", 10, R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3})", v_ipv6,
     {3, 0, 0, 2, 0, 0, 0, 0}},
    {"secrets", 0,
     R"(sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|(?:AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
     v_secret, {20, 0, 0, 0, 0, 0, 0, 1}},
};
constexpr std::size_t kNumBuiltins = sizeof(kBuiltins) / sizeof(kBuiltins[0]);

// A secret prefix ending at / starting at position i (i is a trigger byte).
bool secret_literal_at(std::string_view t, std::size_t i) {
  switch (t[i]) {
    case '-':
      return before(t, i) == 'k' && before(t, i, 2) == 's';
    case '_': {
      if (i >= 3 && t[i - 3] == 'g' && t[i - 2] == 'h' &&
          std::strchr("pousr", t[i - 1]) != nullptr)
        return true;
      return i >= 6 && t.substr(i - 6, 6) == "github";
    }
    case 'A':
      return i + 3 < t.size() && (t[i + 1] == 'K' || t[i + 1] == 'S') && t[i + 2] == 'I' &&
             t[i + 3] == 'A';
    case 'J':
      return before(t, i) == 'y' && before(t, i, 2) == 'e';
    default:
      return false;
  }
}

#if defined(__SSE2__)
// 0xFF in the lanes of x that hold a trigger byte (Tables::trigger), else 0.
inline __m128i trigger_lanes(__m128i x) {
  const __m128i lo = _mm_set1_epi8('0' - 1), hi = _mm_set1_epi8('9' + 1);
  __m128i m = _mm_and_si128(_mm_cmpgt_epi8(x, lo), _mm_cmplt_epi8(x, hi));  // bytes >= 0x80 are negative
  m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('@')), _mm_cmpeq_epi8(x, _mm_set1_epi8(':'))));
  m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')), _mm_cmpeq_epi8(x, _mm_set1_epi8('_'))));
  return _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('A')), _mm_cmpeq_epi8(x, _mm_set1_epi8('J'))));
}
#endif

// First index >= i holding a trigger byte (or n). 16 bytes per step with SSE2.
inline std::size_t skip_to_trigger(const unsigned char* p, std::size_t i, std::size_t n, const Tables& tb) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(trigger_lanes(x)));
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  while (i < n && !tb.trigger[p[i]]) ++i;
  return i;
}

// True if the text has a byte a built-in detector may start from, or a
// non-ASCII byte (which normalisation may turn into one).
bool has_trigger_or_non_ascii(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (_mm_movemask_epi8(_mm_or_si128(trigger_lanes(x), x)) != 0) return true;  // x: the high bits
  }
#endif
  const Tables& tb = tables();
  for (; i < n; ++i)
    if (p[i] >= 0x80 || tb.trigger[p[i]]) return true;
  return false;
}

// Context words of one detector, lower-cased (ASCII).
struct Context {
  std::vector<std::string> lower, raise;
};

struct Candidate {
  std::size_t begin, end;
  int priority;
  const std::string* type;
  const Context* context;  // null: context does not change this detector's matches
};

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// i moved back (or forward) by up to n UTF-8 characters.
std::size_t back_chars(std::string_view t, std::size_t i, std::uint32_t n) {
  while (i > 0 && n > 0) {
    --i;
    while (i > 0 && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) --i;
    --n;
  }
  return i;
}
std::size_t forward_chars(std::string_view t, std::size_t i, std::uint32_t n) {
  while (i < t.size() && n > 0) {
    ++i;
    while (i < t.size() && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) ++i;
    --n;
  }
  return i;
}

// A context word at t[pos, pos + len): an ASCII word must stand on its own
// ("tel" is not in "hotel"); Chinese words need no boundary.
bool whole_word(std::string_view t, std::size_t pos, std::size_t len) {
  if (is_alnum(at(t, pos)) && is_alnum(before(t, pos))) return false;
  if (is_alnum(at(t, pos + len - 1)) && is_alnum(at(t, pos + len))) return false;
  return true;
}

// Presidio-style context for detectors without a check digit: the context
// word nearest before the match decides (within `window` characters); when
// there is none, the nearest one after it (within a third of that). A raising
// word keeps the match, a lowering one drops it; no word keeps it.
bool context_keeps(std::string_view t, std::size_t b, std::size_t e, const Context& c, std::uint32_t window) {
  const std::size_t from = back_chars(t, b, window), to = forward_chars(t, e, std::max<std::uint32_t>(1, window / 3));
  const std::string before_text = ascii_lower(t.substr(from, b - from));
  const std::string after_text = ascii_lower(t.substr(e, to - e));
  // Before: the largest end wins. After: the smallest start wins.
  std::size_t best_end = 0, best_start = std::string::npos;
  bool before_raises = false, after_raises = false, before_found = false;
  auto scan = [&](const std::vector<std::string>& words, bool raises) {
    for (const auto& w : words) {
      if (w.empty()) continue;
      for (std::size_t p = before_text.find(w); p != std::string::npos; p = before_text.find(w, p + 1)) {
        if (!whole_word(t, from + p, w.size())) continue;
        const std::size_t end = p + w.size();
        if (!before_found || end > best_end || (end == best_end && raises)) {
          best_end = end;
          before_raises = raises;
          before_found = true;
        }
      }
      const std::size_t p = after_text.find(w);
      if (p != std::string::npos && whole_word(t, e + p, w.size()) &&
          (p < best_start || (p == best_start && raises))) {
        best_start = p;
        after_raises = raises;
      }
    }
  };
  scan(c.raise, true);
  scan(c.lower, false);
  if (before_found) return before_raises;
  if (best_start != std::string::npos) return after_raises;
  return true;
}

}  // namespace

struct DetectorSet::Impl {
  struct Builtin {
    const BuiltinDef* def;
    std::unique_ptr<RE2> re;
    std::string type;
    const Context* context = nullptr;
  };
  std::vector<std::unique_ptr<Context>> contexts;
  std::uint32_t context_window = 24;
  std::vector<Builtin> builtins;
  bool pem = false;  // part of "secrets"
  std::string secrets_type = "secrets";
  std::unique_ptr<RE2> pem_header;
  struct Custom {
    std::string type;
    std::unique_ptr<RE2> re;
    const Context* context = nullptr;
  };
  std::vector<Custom> customs;
  std::unique_ptr<RE2::Set> custom_set;

  void scan_windows(std::string_view text, std::uint64_t active,
                    std::vector<Candidate>& out) const;
  void scan_pem(std::string_view text, std::vector<Candidate>& out) const;
};

const std::vector<std::string>& builtin_detector_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& d : kBuiltins) v.emplace_back(d.name);
    return v;
  }();
  return names;
}

bool is_builtin_detector(std::string_view name) {
  for (const auto& d : kBuiltins)
    if (name == d.name) return true;
  return false;
}

bool takes_context_words(std::string_view name) {
  return name == "phone" || name == "cn_mobile" || name == "ipv4" || name == "ipv6" || name == "cn_passport";
}

const std::map<std::string, config::ContextWordsConfig>& default_context_words() {
  // Lowering words name numbers that look like these but are something else;
  // raising words say that it is one after all ("订单号…，手机…").
  static const std::map<std::string, config::ContextWordsConfig> words = {
      {"cn_mobile",
       {{"订单号", "订单编号", "运单号", "快递单号", "物流单号", "流水号", "交易号", "交易单号", "发票号",
         "序列号", "批次号", "时间戳", "timestamp", "order number", "order no", "order id", "order #",
         "tracking number", "tracking no", "serial number", "serial no", "invoice number", "invoice no",
         "transaction id", "txn id", "batch number"},
        {"手机", "电话", "联系方式", "致电", "来电", "微信", "短信", "tel", "phone", "mobile", "cell",
         "call me", "call", "contact", "whatsapp", "sms"}}},
      {"phone",
       {{"时间戳", "timestamp", "order number", "order no", "tracking number", "serial number",
         "invoice number", "transaction id"},
        {"电话", "手机", "传真", "tel", "phone", "mobile", "call", "contact", "fax", "whatsapp"}}},
      {"ipv4",
       {{"版本", "version", "ver", "release", "build", "oid"},
        {"服务器", "地址", "主机", "网关", "ip", "address", "host", "server", "gateway", "dns", "subnet"}}},
      {"ipv6",
       {{"版本", "version", "release", "build"},
        {"服务器", "地址", "主机", "ip", "ipv6", "address", "host", "server", "gateway"}}},
      {"cn_passport",
       {{"订单", "型号", "编号", "货号", "order", "model", "sku", "part number", "item"},
        {"护照", "证件", "passport"}}},
  };
  return words;
}

DetectorSet::DetectorSet() : impl_(std::make_unique<Impl>()) {}
DetectorSet::~DetectorSet() = default;

std::shared_ptr<const DetectorSet> DetectorSet::build(const config::ComplianceConfig& config,
                                                      std::string* error) {
  return build(config.detectors, config.custom_detectors, error, config.context);
}

std::shared_ptr<const DetectorSet> DetectorSet::build(
    const std::vector<std::string>& names,
    const std::vector<config::CustomDetectorConfig>& custom, std::string* error,
    const config::ContextConfig& context_config) {
  std::shared_ptr<DetectorSet> set(new DetectorSet());
  Impl& impl = *set->impl_;
  impl.context_window = context_config.window;
  // The context of a detector: its configured lists, else the built-in ones.
  auto context_for = [&](const std::string& type) -> const Context* {
    const config::ContextWordsConfig* words = nullptr;
    if (auto it = context_config.words.find(type); it != context_config.words.end())
      words = &it->second;
    else if (auto d = default_context_words().find(type); d != default_context_words().end())
      words = &d->second;
    if (!words || (words->lower.empty() && words->raise.empty())) return nullptr;
    auto c = std::make_unique<Context>();
    for (const auto& w : words->lower) c->lower.push_back(ascii_lower(w));
    for (const auto& w : words->raise) c->raise.push_back(ascii_lower(w));
    impl.contexts.push_back(std::move(c));
    return impl.contexts.back().get();
  };
  std::string errors;
  auto add_error = [&](const std::string& e) {
    if (!errors.empty()) errors += '\n';
    errors += e;
  };

  std::array<bool, kNumBuiltins> wanted{};
  for (const auto& n : names) {
    if (n == "all") {
      wanted.fill(true);
      continue;
    }
    bool found = false;
    for (std::size_t i = 0; i < kNumBuiltins; ++i)
      if (n == kBuiltins[i].name) wanted[i] = found = true;
    if (!found) {
      bool is_custom = false;
      for (const auto& c : custom) is_custom |= c.name == n;
      if (!is_custom) add_error("unknown built-in detector '" + n + "'");
    }
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  for (std::size_t i = 0; i < kNumBuiltins; ++i) {
    if (!wanted[i]) continue;
    auto re = std::make_unique<RE2>(kBuiltins[i].pattern, opts);
    if (!re->ok()) {  // cannot happen with the fixed patterns; never crash
      add_error(std::string("built-in detector '") + kBuiltins[i].name + "': " + re->error());
      continue;
    }
    impl.builtins.push_back({&kBuiltins[i], std::move(re), kBuiltins[i].name,
                             takes_context_words(kBuiltins[i].name) ? context_for(kBuiltins[i].name) : nullptr});
    set->types_.emplace_back(kBuiltins[i].name);
    if (std::string_view(kBuiltins[i].name) == "secrets") {
      impl.pem = true;
      impl.pem_header = std::make_unique<RE2>(R"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----)", opts);
    }
  }

  RE2::Options copts;
  copts.set_log_errors(false);
  copts.set_max_mem(64 << 20);
  auto set_builder = std::make_unique<RE2::Set>(copts, RE2::UNANCHORED);
  bool set_ok = true;
  for (const auto& c : custom) {
    std::string where = "custom detector '" + c.name + "'" +
                        (c.source_line > 0 ? " (line " + std::to_string(c.source_line) + ")" : "");
    std::string pattern;
    if (!c.regex.empty()) {
      pattern = c.regex;
    } else {
      for (const auto& k : c.keywords) {
        if (k.empty()) continue;
        if (!pattern.empty()) pattern += '|';
        pattern += RE2::QuoteMeta(k);
      }
      if (pattern.empty()) {
        add_error(where + ": needs a regex or a non-empty keyword list");
        continue;
      }
    }
    pattern = std::string(c.case_sensitive ? "" : "(?i)") + "(?:" + pattern + ")";
    auto re = std::make_unique<RE2>(pattern, copts);
    if (!re->ok()) {
      add_error(where + ": invalid regex: " + re->error());
      continue;
    }
    std::string set_err;
    if (set_ok && set_builder->Add(pattern, &set_err) < 0) set_ok = false;
    impl.customs.push_back({c.name, std::move(re), context_for(c.name)});
    set->types_.push_back(c.name);
  }
  if (!impl.customs.empty() && set_ok && set_builder->Compile())
    impl.custom_set = std::move(set_builder);
  if (error) *error = errors;
  return set;
}

void DetectorSet::Impl::scan_windows(std::string_view text, std::uint64_t active,
                                     std::vector<Candidate>& out) const {
  const Tables& tb = tables();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  auto in_window = [&](std::size_t k) {
    unsigned char c = p[k];
    if (tb.word[c]) return true;
    if (c != ' ' || k == 0 || k + 1 >= n) return false;
    unsigned char l = p[k - 1], r = p[k + 1];
    return is_alnum(l) && is_alnum(r) && (is_digit(l) || is_digit(r));
  };
  std::size_t i = 0, floor = 0;
  while (i < n) {
    i = skip_to_trigger(p, i, n, tb);
    if (i >= n) break;
    unsigned char c = p[i];
    bool lit = false;
    if (!(is_digit(c) || c == '@' || c == ':')) {
      lit = secret_literal_at(text, i);
      if (!lit) {
        ++i;
        continue;
      }
    }
    std::size_t b = i, e = i + 1;
    while (b > floor && in_window(b - 1)) --b;
    while (e < n && in_window(e)) ++e;
    Stats s;
    s.len = static_cast<std::uint32_t>(e - b);
    s.lit = lit;
    for (std::size_t k = b; k < e; ++k) {
      unsigned char ch = p[k];
      if (is_digit(ch)) ++s.digits;
      else if (is_upper(ch)) {
        ++s.upper;
        if (ch == 'A' || ch == 'J') s.lit |= secret_literal_at(text, k) ? 1u : 0u;
      } else if (ch == '.') ++s.dots;
      else if (ch == ':') ++s.colons;
      else if (ch == '@') ++s.at;
      else if (ch == '+') ++s.plus;
      else if (ch == '-' || ch == '_') s.lit |= secret_literal_at(text, k) ? 1u : 0u;
    }
    for (std::size_t d = 0; d < builtins.size(); ++d) {
      if (!(active & (1ull << d))) continue;
      const Builtin& bi = builtins[d];
      if (!bi.def->gate.pass(s)) continue;
      std::size_t pos = b;
      while (pos < e) {
        re2::StringPiece m;
        if (!bi.re->Match(text, pos, e, RE2::UNANCHORED, &m, 1)) break;
        std::size_t mb = static_cast<std::size_t>(m.data() - text.data());
        std::size_t me = mb + m.size();
        std::size_t vb = mb, ve = me;
        // Default resume: the next token start after mb (every built-in
        // except email needs a clean left boundary).
        std::size_t resume = mb + 1;
        while (resume < e && is_alnum(p[resume - 1])) ++resume;
        if (me > mb && bi.def->validate(text, vb, ve, resume)) {
          out.push_back({vb, ve, bi.def->priority, &bi.type, bi.context});
          pos = std::max(ve, mb + 1);
        } else {
          pos = std::max(resume, mb + 1);
        }
      }
    }
    i = e;
    floor = e;
  }
}

void DetectorSet::Impl::scan_pem(std::string_view text, std::vector<Candidate>& out) const {
  std::size_t pos = 0;
  while ((pos = text.find("-----BEGIN ", pos)) != std::string_view::npos) {
    re2::StringPiece m;
    if (!pem_header->Match(text, pos, text.size(), RE2::ANCHOR_START, &m, 1)) {
      pos += 11;
      continue;
    }
    std::size_t end = text.size();  // a truncated key is still a key
    std::size_t endm = text.find("-----END ", pos + m.size());
    if (endm != std::string_view::npos) {
      std::size_t tail = text.find("PRIVATE KEY-----", endm);
      if (tail != std::string_view::npos && tail - endm < 64) end = tail + 16;
    }
    out.push_back({pos, end, 0, &secrets_type, nullptr});
    pos = end;
  }
}

bool DetectorSet::scan_one(std::string_view original, std::uint32_t index, std::vector<Finding>& out,
                           const std::vector<std::string>* only_types) const {
  auto wanted = [&](const std::string& type) {
    return only_types == nullptr ||
           std::find(only_types->begin(), only_types->end(), type) != only_types->end();
  };
  const Impl& impl = *impl_;
  // Most texts of a request (keys, roles, model names, plain prose) hold no
  // byte a built-in detector starts from: then, with no custom detectors,
  // nothing can match, and normalising would change nothing that matters
  // (for ASCII it only removes bytes, so the view holds no trigger either; a
  // PEM block starts with '-'). Those texts are done after one pass.
  if (impl.customs.empty() && original.size() < std::numeric_limits<std::int32_t>::max() &&
      !has_trigger_or_non_ascii(original))
    return true;
  // The detectors read the normalised view; findings are reported on the
  // original text. One view per thread: its buffers are reused.
  thread_local NormalizedText view;
  const bool valid = view.assign(original);
  const std::string_view text = view.text();
  auto report = [&](const std::string& type, std::size_t b, std::size_t e) {
    out.push_back({type, index, view.original_begin(b), view.original_end(e)});
  };
  const std::size_t first = out.size();

  std::vector<Candidate> cands;
  std::uint64_t active = 0;
  if (only_types == nullptr)
    active = impl.builtins.size() >= 64 ? ~0ull : (1ull << impl.builtins.size()) - 1;
  else
    for (std::size_t d = 0; d < impl.builtins.size(); ++d)
      if (wanted(impl.builtins[d].type)) active |= 1ull << d;
  if (active) impl.scan_windows(text, active, cands);
  if (impl.pem && wanted(impl.secrets_type)) impl.scan_pem(text, cands);
  // Context words drop matches before overlaps are resolved, so that what the
  // context ruled out cannot hide another detector's match.
  std::erase_if(cands, [&](const Candidate& c) {
    return c.context != nullptr && !context_keeps(text, c.begin, c.end, *c.context, impl.context_window);
  });

  // Overlaps: longest first, then most specific; keep non-overlapping ones.
  if (cands.size() > 1) {
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      std::size_t la = a.end - a.begin, lb = b.end - b.begin;
      if (la != lb) return la > lb;
      if (a.priority != b.priority) return a.priority < b.priority;
      return a.begin < b.begin;
    });
    std::map<std::size_t, std::size_t> taken;  // begin -> end
    std::vector<Candidate> kept;
    for (const auto& c : cands) {
      auto it = taken.lower_bound(c.begin);
      if (it != taken.end() && it->first < c.end) continue;
      if (it != taken.begin() && std::prev(it)->second > c.begin) continue;
      taken.emplace(c.begin, c.end);
      kept.push_back(c);
    }
    cands.swap(kept);
  }
  std::sort(cands.begin(), cands.end(),
            [](const Candidate& a, const Candidate& b) { return a.begin < b.begin; });
  for (const auto& c : cands) report(*c.type, c.begin, c.end);

  // Custom detectors over the whole text.
  [&] {
    if (impl.customs.empty()) return;
    std::vector<int> hits;
    if (impl.custom_set) {
      if (!impl.custom_set->Match(text, &hits)) return;
      std::sort(hits.begin(), hits.end());
    } else {
      for (std::size_t k = 0; k < impl.customs.size(); ++k) hits.push_back(static_cast<int>(k));
    }
    for (int k : hits) {
      const auto& c = impl.customs[static_cast<std::size_t>(k)];
      if (!wanted(c.type)) continue;
      std::size_t pos = 0;
      while (pos <= text.size()) {
        re2::StringPiece m;
        if (!c.re->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) break;
        std::size_t mb = static_cast<std::size_t>(m.data() - text.data());
        std::size_t me = mb + m.size();
        if (me > mb) {
          if (c.context == nullptr || context_keeps(text, mb, me, *c.context, impl.context_window))
            report(c.type, mb, me);
          pos = me;
        } else {  // empty match: step over one UTF-8 character
          pos = mb + 1;
          while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
        }
      }
    }
  }();
  // Built-in and custom findings of the text together in position order.
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                   [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
  return valid;
}

std::vector<Finding> DetectorSet::scan(const std::vector<std::string_view>& texts) const {
  std::vector<Finding> out;
  for (std::size_t i = 0; i < texts.size(); ++i)
    scan_one(texts[i], static_cast<std::uint32_t>(i), out);
  return out;
}

}  // namespace hgw::compliance
