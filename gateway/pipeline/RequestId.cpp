#include "gateway/pipeline/RequestId.hpp"

#include <random>

namespace hgw::pipeline {

std::string request_id_of(std::string_view v) {
  bool ok = !v.empty() && v.size() <= 128;
  for (char c : v)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') ok = false;
  if (ok) return std::string(v);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(32, '0');
  std::uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    id[i] = hex[(a >> (i * 4)) & 0xf];
    id[16 + i] = hex[(b >> (i * 4)) & 0xf];
  }
  return id;
}

}  // namespace hgw::pipeline
