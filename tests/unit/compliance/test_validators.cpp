#include <catch2/catch.hpp>

#include "policies/compliance/ComplianceDecision.hpp"
#include "policies/compliance/Validators.hpp"

using namespace hgw::compliance;

TEST_CASE("luhn", "[compliance][validators]") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK(luhn_valid("79927398713"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK_FALSE(luhn_valid("4111 1111"));
  CHECK_FALSE(luhn_valid("0"));
}

TEST_CASE("calendar dates incl. leap years", "[compliance][validators]") {
  CHECK(date_valid(2000, 2, 29));
  CHECK(date_valid(2024, 2, 29));
  CHECK_FALSE(date_valid(1900, 2, 29));
  CHECK_FALSE(date_valid(2023, 2, 29));
  CHECK_FALSE(date_valid(1999, 2, 30));
  CHECK_FALSE(date_valid(2020, 4, 31));
  CHECK_FALSE(date_valid(2020, 13, 1));
  CHECK_FALSE(date_valid(2020, 0, 1));
}

TEST_CASE("cn_resident_id: region, date, MOD 11-2", "[compliance][validators]") {
  CHECK(cn_resident_id_valid("11010119900307451X") == false);  // wrong check char
  CHECK(cn_resident_id_valid("110101199003074514"));
  CHECK(cn_resident_id_valid("11010519491231002X"));
  CHECK(cn_resident_id_valid("11010519491231002x"));
  CHECK_FALSE(cn_resident_id_valid("110105194912310021"));  // check digit
  CHECK_FALSE(cn_resident_id_valid("990101199003074514"));  // no province 99
  CHECK_FALSE(cn_resident_id_valid("110101199902300000"));  // 1999-02-30
  CHECK_FALSE(cn_resident_id_valid("110101180001010000"));  // 1800
  CHECK_FALSE(cn_resident_id_valid("11010199990101000"));   // 17 chars
  CHECK(cn_resident_id_valid("110101900307451"));           // legacy 15
  CHECK_FALSE(cn_resident_id_valid("110101990230451"));     // legacy, 1999-02-30
  CHECK_FALSE(cn_province_code_valid(10));
  CHECK_FALSE(cn_province_code_valid(83));
  CHECK(cn_province_code_valid(82));
  CHECK(cn_province_code_valid(65));
}

TEST_CASE("cn_uscc: GB 32100-2015 check character", "[compliance][validators]") {
  CHECK(cn_uscc_valid("91350100M000100Y43"));
  CHECK_FALSE(cn_uscc_valid("91350100M000100Y44"));
  CHECK_FALSE(cn_uscc_valid("91350100M000100Y4"));
  CHECK_FALSE(cn_uscc_valid("91350100M000100I43"));  // I is not in the alphabet
}

TEST_CASE("iban: length table and mod 97", "[compliance][validators]") {
  CHECK(iban_valid("DE89370400440532013000"));
  CHECK(iban_valid("DE89 3704 0044 0532 0130 00"));
  CHECK(iban_valid("GB82WEST12345698765432"));
  CHECK_FALSE(iban_valid("DE89370400440532013001"));
  CHECK_FALSE(iban_valid("DE8937040044053201300"));
  CHECK_FALSE(iban_valid("XX89370400440532013000"));
  CHECK(iban_length("NO") == 15);
  CHECK(iban_length("ZZ") == 0);
}

TEST_CASE("ip addresses", "[compliance][validators]") {
  CHECK(ipv4_valid("192.168.1.1"));
  CHECK(ipv4_valid("0.0.0.0"));
  CHECK_FALSE(ipv4_valid("256.1.1.1"));
  CHECK_FALSE(ipv4_valid("192.168.01.1"));
  CHECK_FALSE(ipv4_valid("1.2.3"));
  CHECK_FALSE(ipv4_valid("1.2.3.4.5"));
  CHECK(ipv6_valid("::1"));
  CHECK(ipv6_valid("2001:db8::1"));
  CHECK(ipv6_valid("::ffff:192.0.2.1"));
  CHECK_FALSE(ipv6_valid("2001:db8:::1"));
  CHECK_FALSE(ipv6_valid("12:30:45"));
}

TEST_CASE("us_ssn ranges", "[compliance][validators]") {
  CHECK(us_ssn_valid("123-45-6789"));
  CHECK(us_ssn_valid("123456789"));
  CHECK_FALSE(us_ssn_valid("000-12-3456"));
  CHECK_FALSE(us_ssn_valid("666-12-3456"));
  CHECK_FALSE(us_ssn_valid("900-12-3456"));
  CHECK_FALSE(us_ssn_valid("999-12-3456"));
  CHECK_FALSE(us_ssn_valid("123-00-3456"));
  CHECK_FALSE(us_ssn_valid("123-45-0000"));
}

TEST_CASE("glob_match", "[compliance][validators]") {
  CHECK(glob_match("cn-*", "cn-east"));
  CHECK_FALSE(glob_match("cn-*", "cn"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("eu-?", "eu-1"));
  CHECK_FALSE(glob_match("eu-?", "eu-12"));
  CHECK(glob_match("*-east*", "cn-east-2"));
  CHECK_FALSE(glob_match("us", "us-west"));
  CHECK(glob_match("a*b*c", "aXXbYYc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
  CHECK(glob_match("a*", "a*b"));               // a '*' of the pattern is the wildcard, also against a '*'
  CHECK_FALSE(glob_match("eu-?", "eu-1", '\0'));  // without a one-character wildcard, '?' is itself
  CHECK(glob_match("eu-?", "eu-?", '\0'));
}

TEST_CASE("resident IDs: the birth year is checked against the year of the check, not of the start",
          "[compliance][validators]") {
  // A baby born on New Year's Day of next year has a valid ID then — also in a
  // gateway started this year. The year is a parameter; the default reads the
  // clock at each call (it was read once per process).
  auto with_check = [](std::string id17) {
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (id17[i] - '0') * w[i];
    return id17 + "10X98765432"[sum % 11];
  };
  const int year = current_year();
  const std::string next_year_baby = with_check("110101" + std::to_string(year + 1) + "0101001");
  CHECK_FALSE(cn_resident_id_valid(next_year_baby, year));
  CHECK(cn_resident_id_valid(next_year_baby, year + 1));
  CHECK_FALSE(cn_resident_id_valid(next_year_baby));  // today
  CHECK(cn_resident_id_valid(with_check("110101" + std::to_string(year) + "0101001")));
}
