#include "gateway/state/StateStore.hpp"

#include <exception>

#include "gateway/config/Environment.hpp"
#include "gateway/state/MemoryStateStore.hpp"
#include "gateway/state/RedisStateStore.hpp"
#include "gateway/state/SqliteStateStore.hpp"

namespace hgw::state {

std::unique_ptr<StateStore> open_state_store(const config::StateConfig& cfg, std::string* error) {
  try {
    if (cfg.store == "sqlite") return SqliteStateStore::open(cfg.path, error);
    if (cfg.store == "redis") {
      const std::string password = config::env_value(cfg.redis_password_env);
      if (!cfg.redis_password_env.empty() && password.empty()) {
        if (error)
          *error = "state.redis_password_env names " + cfg.redis_password_env +
                   ", which is not set or empty in the gateway's environment";
        return nullptr;
      }
      return RedisStateStore::open(cfg.redis_url, cfg.key_prefix, password, error);
    }
    if (cfg.store == "memory") return std::make_unique<MemoryStateStore>();
    if (error) *error = "state.store must be sqlite, redis or memory, got '" + cfg.store + "'";
  } catch (const std::exception& e) {
    if (error) *error = std::string("state store: ") + e.what();
  } catch (...) {
    if (error) *error = "state store: unknown error";
  }
  return nullptr;
}

}  // namespace hgw::state
