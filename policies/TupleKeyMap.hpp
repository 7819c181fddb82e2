// Hash maps keyed by a tuple of strings (and integers) that are looked up by a
// tuple of string_views: the per-request totals (spend per tenant and window,
// usage per route/backend/tenant/hour, budget reservations) are found without
// copying a key or comparing strings along a tree path. Keys are stored as
// strings; look up with view_key(...).
#pragma once

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace hgw {

namespace detail {
inline std::size_t hash_part(std::string_view s) { return boost::hash<std::string_view>{}(s); }
inline std::size_t hash_part(std::int64_t n) { return boost::hash<std::int64_t>{}(n); }
}  // namespace detail

// A stored key and its view hash alike, part by part (std::string as its view).
struct TupleKeyHash {
  using is_transparent = void;
  template <class... Parts>
  std::size_t operator()(const std::tuple<Parts...>& key) const {
    std::size_t h = 0;
    std::apply([&h](const auto&... part) { (boost::hash_combine(h, detail::hash_part(part)), ...); }, key);
    return h;
  }
};

struct TupleKeyEqual {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const { return a == b; }  // part by part: string == string_view
};

template <class Key, class Value>
using TupleKeyMap = boost::unordered_flat_map<Key, Value, TupleKeyHash, TupleKeyEqual>;

// The lookup key for a stored std::tuple<std::string, ..., std::int64_t>.
template <class... Parts>
auto view_key(const Parts&... parts) {
  return std::tuple<std::conditional_t<std::is_integral_v<Parts>, std::int64_t, std::string_view>...>(parts...);
}

// The value under `key` (a view_key), made as `initial` under a stored copy
// of the key when missing; and whether it was made.
template <class Map, class View>
std::pair<typename Map::mapped_type&, bool> try_entry(Map& map, const View& key,
                                                       const typename Map::mapped_type& initial) {
  auto it = map.find(key);
  if (it != map.end()) return {it->second, false};
  return {map.emplace(std::make_from_tuple<typename Map::key_type>(key), initial).first->second, true};
}

// The value under `key`, made as Value{} when missing.
template <class Map, class View>
typename Map::mapped_type& entry(Map& map, const View& key) {
  return try_entry(map, key, typename Map::mapped_type{}).first;
}

}  // namespace hgw
