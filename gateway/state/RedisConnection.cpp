#include "gateway/state/RedisConnection.hpp"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <string_view>

namespace hgw::state {

ReplyGuard::~ReplyGuard() {
  if (r) freeReplyObject(r);
}

double reply_number(const redisReply* r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_STRING) return std::strtod(std::string(r->str, r->len).c_str(), nullptr);
  if (r->type == REDIS_REPLY_INTEGER) return static_cast<double>(r->integer);
  return 0;
}

bool parse_redis_url(const std::string& url, RedisEndpoint& e, std::string* error) {
  e.url = url;
  std::string& host = e.host;
  int& port = e.port;
  std::string& socket_path = e.socket_path;
  int& db = e.db;

  std::string_view u = url;
  constexpr std::string_view tcp_scheme = "redis://", unix_scheme = "unix://";
  const bool is_unix = u.substr(0, unix_scheme.size()) == unix_scheme;
  if (!is_unix && u.substr(0, tcp_scheme.size()) != tcp_scheme) {
    if (error)
      *error = "state.redis_url must look like redis://host:port[/db] or unix:///path/to/redis.sock, got '" +
               url + "'";
    return false;
  }
  u.remove_prefix(is_unix ? unix_scheme.size() : tcp_scheme.size());
  if (u.find('@') != std::string_view::npos) {
    if (error) *error = "state.redis_url must not contain credentials";
    return false;
  }
  if (is_unix) {
    socket_path = std::string(u);
    if (socket_path.empty() || socket_path[0] != '/') {
      if (error) *error = "state.redis_url: a unix socket needs an absolute path (unix:///path), got '" + url + "'";
      return false;
    }
    return true;
  }
  std::string_view hostport = u.substr(0, u.find('/'));
  if (u.find('/') != std::string_view::npos) {
    const std::string dbs(u.substr(u.find('/') + 1));
    if (!dbs.empty()) db = std::atoi(dbs.c_str());
  }
  const auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos) {
    host = std::string(hostport.substr(0, colon));
    port = std::atoi(std::string(hostport.substr(colon + 1)).c_str());
  } else {
    host = std::string(hostport);
  }
  if (host.empty()) host = "127.0.0.1";
  if (port <= 0 || port > 65535) {
    if (error) *error = "state.redis_url has a bad port: '" + url + "'";
    return false;
  }
  return true;
}

redisContext* connect_redis(const RedisEndpoint& e, std::chrono::milliseconds timeout, std::string* error) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  redisContext* ctx = e.socket_path.empty() ? redisConnectWithTimeout(e.host.c_str(), e.port, tv)
                                            : redisConnectUnixWithTimeout(e.socket_path.c_str(), tv);
  if (!ctx || ctx->err) {
    if (error) *error = ctx ? ctx->errstr : "cannot allocate redis context";
    if (ctx) redisFree(ctx);
    return nullptr;
  }
  redisSetTimeout(ctx, tv);
  // A command refused here closes the connection: the message says which and
  // why (Redis's own words; the password itself is never part of them).
  auto refused = [&](const std::string& what, const redisReply* r) -> redisContext* {
    if (error)
      *error = what + " failed: " +
               (r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                                  : std::string(ctx->err ? ctx->errstr : "no reply"));
    redisFree(ctx);
    return nullptr;
  };
  if (!e.password.empty()) {
    ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx, "AUTH %b", e.password.data(), e.password.size()))};
    if (!g.r || g.r->type == REDIS_REPLY_ERROR) return refused("AUTH (password from state.redis_password_env)", g.r);
  }
  if (e.db != 0) {
    ReplyGuard g{static_cast<redisReply*>(redisCommand(ctx, "SELECT %d", e.db))};
    if (!g.r || g.r->type == REDIS_REPLY_ERROR) return refused("SELECT " + std::to_string(e.db), g.r);
  }
  // A server that wants a password we did not send answers NOAUTH only to the
  // first command: ask now, so that start-up fails with the reason.
  ReplyGuard ping{static_cast<redisReply*>(redisCommand(ctx, "PING"))};
  if (!ping.r || ping.r->type == REDIS_REPLY_ERROR)
    return refused(e.password.empty() ? "PING (no password set: state.redis_password_env)" : "PING", ping.r);
  return ctx;
}

}  // namespace hgw::state
