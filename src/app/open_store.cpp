#include "app/open_store.hpp"

#include <chrono>

namespace passgate::app {

std::unique_ptr<store::store> open_store(const config::store_config& cfg, store_user user) {
  using std::chrono::milliseconds;
  const bool writer = user == store_user::spend_writer;
  if (!cfg.postgres.empty()) {
    store::postgres_options o;
    o.statement_timeout = milliseconds(writer ? 30000 : 10000);
    o.application_name = writer ? "passgate-spend" : "passgate";
    return store::open_postgres(cfg.postgres.reveal(), o);
  }
  return store::open_sqlite(cfg.sqlite, {.busy_timeout = milliseconds(writer ? 2000 : 1000)});
}

}  // namespace passgate::app
