// One way to reach Redis for every user of it in the gateway (the state
// store, the shared quotas): the URL (redis://host[:port][/db] or
// unix:///path), the password from the environment, and a connection that is
// authenticated, on the right database and answering before it is used.
#pragma once

#include <chrono>
#include <string>

struct redisContext;
struct redisReply;

namespace hgw::state {

struct RedisEndpoint {
  std::string url;
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string socket_path;  // unix:// URLs
  int db = 0;
  std::string password;     // empty: no AUTH
};

// false with *error for a URL the gateway cannot use.
bool parse_redis_url(const std::string& url, RedisEndpoint& out, std::string* error);

// Connects within `timeout`, sends AUTH and SELECT as needed, and PINGs, so
// that a wrong password or database fails here with Redis's reason; the
// context's command timeout is `timeout` too. nullptr with *error on failure.
redisContext* connect_redis(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string* error);

// Frees a reply on every way out of a scope.
struct ReplyGuard {
  redisReply* r = nullptr;
  ReplyGuard() = default;
  explicit ReplyGuard(redisReply* reply) : r(reply) {}
  ReplyGuard(const ReplyGuard&) = delete;
  ReplyGuard& operator=(const ReplyGuard&) = delete;
  ~ReplyGuard();
};

// A number in a reply (bulk string or integer); 0 otherwise.
double reply_number(const redisReply* r);

}  // namespace hgw::state
