// Checks that run after a detector's regex matched: check digits, calendar
// dates, region codes, number ranges. Pure functions over ASCII text; exposed
// so that unit tests can probe each rule directly.
#pragma once

#include <string_view>

namespace hgw::compliance {

// Luhn (ISO/IEC 7812) over a string of ASCII digits (no separators).
bool luhn_valid(std::string_view digits);

// GB 11643-1999: 18 characters (17 digits + MOD 11-2 check character 0-9/X/x)
// with a GB/T 2260 province code and a real birth date (1900..current year),
// or the legacy 15-digit form (province + yymmdd date in 19yy, no check digit).
bool cn_resident_id_valid(std::string_view id);
// The same against a given current year (birth dates after it are invalid).
bool cn_resident_id_valid(std::string_view id, int current_year);

// GB 32100-2015 unified social credit code: 18 characters over
// 0-9A-HJ-NPQRTUWXY (uppercase), registration authority / type / province
// code checked, and the MOD 31 check character.
bool cn_uscc_valid(std::string_view code);

// ISO 13616 IBAN: spaces are ignored, country length table, mod 97 == 1.
bool iban_valid(std::string_view iban);

// Length of the IBAN for this two-letter country code, 0 when unknown.
int iban_length(std::string_view country);

// Dotted quad, each octet 0..255 without leading zeros ("01" is rejected).
bool ipv4_valid(std::string_view s);

// Full and compressed forms, with an optional trailing dotted quad.
bool ipv6_valid(std::string_view s);

// AAA-GG-SSSS (or spaces, or 9 bare digits): area not 000/666/900-999,
// group not 00, serial not 0000.
bool us_ssn_valid(std::string_view s);

// A calendar date (proleptic Gregorian, leap years included).
bool date_valid(int year, int month, int day);

// Province-level codes of GB/T 2260 (11-15, 21-23, 31-37, 41-46, 50-54,
// 61-65, 71, 81, 82).
bool cn_province_code_valid(int code);

// The current calendar year (UTC), read from the clock at each call.
int current_year();

}  // namespace hgw::compliance
