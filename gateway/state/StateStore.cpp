#include "gateway/state/StateStore.hpp"

#include <exception>

#include "gateway/state/MemoryStateStore.hpp"
#include "gateway/state/RedisStateStore.hpp"
#include "gateway/state/SqliteStateStore.hpp"

namespace hgw::state {

std::unique_ptr<StateStore> open_state_store(const config::StateConfig& cfg, std::string* error) {
  try {
    if (cfg.store == "sqlite") return SqliteStateStore::open(cfg.path, error);
    if (cfg.store == "redis") return RedisStateStore::open(cfg.redis_url, cfg.key_prefix, error);
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
