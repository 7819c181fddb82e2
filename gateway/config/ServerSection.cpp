// server:, admin: and state: — the gateway's own listeners and its state store.
#include <cctype>

#include "gateway/config/AddressParsing.hpp"
#include "gateway/config/KnownNames.hpp"
#include "gateway/config/Sections.hpp"

namespace hgw::config {

bool is_valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

void check_name(Diagnostics& diag, const std::string& path, const std::string& name) {
  if (!name.empty() && !is_valid_name(name))
    diag.error_at(path, "invalid name '" + name + "': use letters, digits, '-', '_' and '.' (at most 128)");
}

namespace {

template <typename Target>
void read_listen(Diagnostics& diag, MapReader& m, Target& out) {
  auto v = m.get("listen");
  if (!v) return;
  auto text = read_string(diag, *v);
  if (!text) return;
  std::string error;
  if (auto addr = parse_listen_address(*text, error)) {
    out.listen = *text;
    out.host = addr->host;
    out.port = addr->port;
  } else {
    diag.error(v->where, v->path, error);
  }
}

void parse_limits(Diagnostics& diag, const Value& v, Limits& l) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read("max_body_bytes", l.max_body_bytes, 1);
  m->read("max_header_bytes", l.max_header_bytes, 1024);
  m->read("header_timeout_ms", l.header_timeout_ms, 1);
  m->read("idle_timeout_ms", l.idle_timeout_ms, 1);
  m->read("max_connections", l.max_connections, 1);
  m->read("max_inflight", l.max_inflight);
  m->read("drain_timeout_ms", l.drain_timeout_ms);
  m->finish();
}

void parse_server_tls(Diagnostics& diag, const Value& v, ServerTls& tls) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  // Both or nothing: a listener with a certificate but no key cannot start.
  m->read("cert_file", tls.cert_file, true);
  m->read("key_file", tls.key_file, true);
  m->finish();
}

}  // namespace

void parse_server(Diagnostics& diag, const Value& v, ServerConfig& s) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  read_listen(diag, *m, s);
  m->read("threads", s.threads);
  if (auto t = m->get("tls")) parse_server_tls(diag, *t, s.tls);
  if (auto l = m->get("limits")) parse_limits(diag, *l, s.limits);
  if (auto a = m->get("access_log")) {
    if (auto al = MapReader::open(diag, *a)) {
      al->read("path", s.access_log.path);
      al->read("buffer_bytes", s.access_log.buffer_bytes, 1);
      al->read("flush_ms", s.access_log.flush_ms, 1);
      al->finish();
    }
  }
  m->finish();
}

void parse_admin(Diagnostics& diag, const Value& v, AdminConfig& a) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  read_listen(diag, *m, a);
  m->read_env_name("api_key_env", a.api_key_env);
  m->finish();
}

void parse_state(Diagnostics& diag, const Value& v, StateConfig& s) {
  auto m = MapReader::open(diag, v);
  if (!m) return;
  m->read_enum("store", s.store, known::state_stores);
  m->read("path", s.path);
  if (auto r = m->get("redis_url")) {
    if (auto url = read_string(diag, *r)) {
      if (url->starts_with("rediss://"))
        diag.error(r->where, r->path,
                   "rediss:// (TLS) is not supported: Debian 12's hiredis has no TLS; reach Redis over "
                   "a private network with redis://host:port or locally with unix:///path/to/redis.sock");
      else if (!url->starts_with("redis://") && !url->starts_with("unix://"))
        diag.error(r->where, r->path, "redis_url must start with redis:// or unix://");
      else if (url->find('@') != std::string::npos)
        diag.error(r->where, r->path,
                   "credentials in redis_url are not allowed; name the environment variable "
                   "holding the password in redis_password_env");
      else
        s.redis_url = *url;
    }
  }
  m->read_env_name("redis_password_env", s.redis_password_env);
  m->read("flush_ms", s.flush_ms, 10);
  m->read("redis_timeout_ms", s.redis_timeout_ms, 10);
  m->read("reservation_ttl_ms", s.reservation_ttl_ms, 1000);
  m->read("responses_ttl_s", s.responses_ttl_s, 0);
  m->read_enum("on_store_error", s.on_store_error, known::store_error_policies, store_error_policy_from_string);
  m->read("key_prefix", s.key_prefix);
  if (s.store == "sqlite" && s.path.empty())
    diag.error(m->where(), m->path(), "store 'sqlite' needs a non-empty path");
  m->finish();
}

}  // namespace hgw::config
