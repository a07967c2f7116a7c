#pragma once
// The store the config names: SQLite (store.sqlite, the default) or PostgreSQL
// (store.postgres). Everything above this line works on store::store alone.
#include <memory>

#include "config/config.hpp"
#include "store/store.hpp"

namespace passgate::app {

// Who the connection is for: admin calls and the CLI should fail fast (an
// answer of 503 beats a hung call); the spend writer waits longer, since it
// retries anyway and fewer attempts make less noise.
enum class store_user { admin, spend_writer };

// Opens and migrates. Throws store::unavailable / std::runtime_error (store.hpp).
std::unique_ptr<store::store> open_store(const config::store_config& cfg, store_user user = store_user::admin);

}  // namespace passgate::app
