#include "store/copy_store.hpp"

namespace passgate::store {
namespace {

constexpr std::int64_t key_page = 500;
constexpr std::int64_t spend_page = 1000;

}  // namespace

copy_result copy_store(store& from, store& to, std::function<void(std::int64_t rows)> progress) {
  copy_result out;
  // Keys first, so that spend rows never name a key `to` does not have.
  for (std::int64_t offset = 0;; offset += key_page) {
    auto keys = from.list_keys({.offset = offset, .limit = key_page});
    for (const auto& k : keys) {
      // update_key carries revocation, limits and budgets over; it keeps `to`'s
      // hash, prefix and created_at, which for the same id are the same key's.
      if (to.find_key_by_id(k.key_id)) {
        to.update_key(k);
        ++out.keys_updated;
      } else {
        to.insert_key(k);
        ++out.keys_added;
      }
    }
    if (std::int64_t(keys.size()) < key_page) break;
  }
  // Then spend in the order it was stored; insert_spend skips request_ids `to`
  // has, so a rerun (or a run after an interrupted one) counts nothing twice.
  std::int64_t cursor = 0;
  for (;;) {
    auto rows = from.spend_in_order(cursor, spend_page);
    if (rows.empty()) break;
    to.insert_spend(rows);
    out.spend_rows += std::int64_t(rows.size());
    if (progress) progress(out.spend_rows);
  }
  return out;
}

}  // namespace passgate::store
