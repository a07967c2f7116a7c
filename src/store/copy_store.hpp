#pragma once
// Copies every key and spend row from one store to another (`passgate store copy
// --from <sqlite file> --to <postgres url>`): moving a single gateway's SQLite
// file into the fleet's PostgreSQL. Safe to run again: keys are matched by id and
// spend rows by request_id, so a second run adds nothing.
#include <cstdint>
#include <functional>

#include "store/store.hpp"

namespace passgate::store {

struct copy_result {
  std::int64_t keys_added = 0;
  std::int64_t keys_updated = 0;  // present in `to` already: overwritten from `from`
  std::int64_t spend_rows = 0;    // read from `from` (those `to` had already are skipped there)
};

// progress: called after each page of spend rows with the rows read so far.
// Throws what the stores throw; what was copied before stays copied.
copy_result copy_store(store& from, store& to, std::function<void(std::int64_t rows)> progress = {});

}  // namespace passgate::store
