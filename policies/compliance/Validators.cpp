#include "policies/compliance/Validators.hpp"

#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <string>

namespace hgw::compliance {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
int num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
bool all_digits(std::string_view s) {
  for (char c : s)
    if (!is_digit(c)) return false;
  return !s.empty();
}
}  // namespace

int current_year() {
  // Read each time: a gateway that runs across New Year must accept the IDs of
  // the babies born in the new year (a clock read costs nanoseconds, and this
  // runs only for a regex match).
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(system_clock::now())};
  return static_cast<int>(ymd.year());
}

bool luhn_valid(std::string_view digits) {
  if (digits.size() < 2) return false;
  int sum = 0;
  bool dbl = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    char c = digits[i];
    if (!is_digit(c)) return false;
    int d = c - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool date_valid(int y, int m, int d) {
  if (m < 1 || m > 12 || d < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int dim = days[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) dim = 29;
  return d <= dim;
}

bool cn_province_code_valid(int c) {
  return (c >= 11 && c <= 15) || (c >= 21 && c <= 23) || (c >= 31 && c <= 37) ||
         (c >= 41 && c <= 46) || (c >= 50 && c <= 54) || (c >= 61 && c <= 65) || c == 71 ||
         c == 81 || c == 82;
}

bool cn_resident_id_valid(std::string_view id) { return cn_resident_id_valid(id, current_year()); }

bool cn_resident_id_valid(std::string_view id, int this_year) {
  if (id.size() == 18) {
    if (!all_digits(id.substr(0, 17))) return false;
    char last = id[17];
    if (!is_digit(last) && last != 'X' && last != 'x') return false;
    if (!cn_province_code_valid(num(id.substr(0, 2)))) return false;
    int y = num(id.substr(6, 4)), m = num(id.substr(10, 2)), d = num(id.substr(12, 2));
    if (y < 1900 || y > this_year || !date_valid(y, m, d)) return false;
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * w[i];
    static const char check[] = "10X98765432";
    char want = check[sum % 11];
    return want == (last == 'x' ? 'X' : last);
  }
  if (id.size() == 15) {
    if (!all_digits(id)) return false;
    if (!cn_province_code_valid(num(id.substr(0, 2)))) return false;
    int y = 1900 + num(id.substr(6, 2)), m = num(id.substr(8, 2)), d = num(id.substr(10, 2));
    return date_valid(y, m, d);
  }
  return false;
}

namespace {
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
int uscc_value(char c) {
  auto p = kUsccAlphabet.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}
}  // namespace

bool cn_uscc_valid(std::string_view s) {
  if (s.size() != 18) return false;
  // 1: registration authority, 2: organisation type allowed for that
  // authority (GB 32100-2015 table 1), 3-8: administrative division code
  // (province part checked).
  std::string_view types;
  switch (s[0]) {
    case '1': types = "1239"; break;    // institutional establishment
    case '2': types = "19"; break;      // foreign affairs
    case '3': types = "123459"; break;  // judicial administration
    case '4': types = "19"; break;      // culture
    case '5': types = "1239"; break;    // civil affairs
    case '6': types = "129"; break;     // tourism
    case '7': types = "129"; break;     // religion
    case '8': types = "19"; break;      // trade unions
    case '9': types = "123"; break;     // market regulation (enterprises)
    case 'A': types = "19"; break;      // military
    case 'N': types = "1239"; break;    // agriculture
    case 'Y': types = "1"; break;       // other
    default: return false;
  }
  if (types.find(s[1]) == std::string_view::npos) return false;
  if (!all_digits(s.substr(2, 6))) return false;
  int prov = num(s.substr(2, 2));
  if (!cn_province_code_valid(prov) && prov != 10) return false;  // 10xxxx: central authorities
  int sum = 0, w = 1;
  for (int i = 0; i < 17; ++i) {
    int v = uscc_value(s[i]);
    if (v < 0) return false;
    sum += v * w;
    w = (w * 3) % 31;
  }
  int c = (31 - sum % 31) % 31;
  return uscc_value(s[17]) == c;
}

int iban_length(std::string_view cc) {
  struct E { const char* cc; int len; };
  static const E table[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BR", 29}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
      {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
      {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
      {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IS", 26}, {"IT", 27},
      {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31},
      {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25},
      {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24},
      {"SM", 27}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VG", 24}, {"XK", 20}};
  if (cc.size() != 2) return 0;
  for (const auto& e : table)
    if (cc[0] == e.cc[0] && cc[1] == e.cc[1]) return e.len;
  return 0;
}

bool iban_valid(std::string_view in) {
  std::string s;
  s.reserve(in.size());
  for (char c : in) {
    if (c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= 'A' && c <= 'Z') || is_digit(c))) return false;
    s.push_back(c);
  }
  if (s.size() < 15) return false;
  int len = iban_length(std::string_view(s).substr(0, 2));
  if (len == 0 || static_cast<int>(s.size()) != len) return false;
  if (!is_digit(s[2]) || !is_digit(s[3])) return false;
  int rem = 0;
  auto feed = [&](char c) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    }
  };
  for (std::size_t i = 4; i < s.size(); ++i) feed(s[i]);
  for (std::size_t i = 0; i < 4; ++i) feed(s[i]);
  return rem == 1;
}

bool ipv4_valid(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    std::size_t len = j - i;
    if (len == 0 || len > 3) return false;
    if (len > 1 && s[i] == '0') return false;
    if (num(s.substr(i, len)) > 255) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.' || parts == 4) return false;
    i = j + 1;
  }
  return parts == 4;
}

bool ipv6_valid(std::string_view s) {
  if (s.size() < 2 || s.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char out[16];
  return ::inet_pton(AF_INET6, buf, out) == 1;
}

bool us_ssn_valid(std::string_view s) {
  std::string d;
  for (char c : s)
    if (is_digit(c)) d.push_back(c);
    else if (c != '-' && c != ' ') return false;
  if (d.size() != 9) return false;
  int area = num(std::string_view(d).substr(0, 3));
  int group = num(std::string_view(d).substr(3, 2));
  int serial = num(std::string_view(d).substr(5, 4));
  if (area == 0 || area == 666 || area >= 900) return false;
  if (group == 0 || serial == 0) return false;
  return true;
}

}  // namespace hgw::compliance
