#pragma once
// Key operations shared by the admin API and the CLI: create, info, list, update,
// revoke. Works on the store; the full key exists only in create()'s answer (the
// store keeps auth::hash_key and auth::display_prefix). After every change the
// key cache, when there is one, is invalidated so that this process sees it at
// once: a change returns only when this process's cache shows it (a bounded
// wait), so that a script may use a key the moment /key/generate answered. Other
// processes see it at their cache's next poll.
//
// Input problems (unknown route or label, negative limit, bad duration, unknown
// key) come back as values; store failures throw std::runtime_error.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/key_fields.hpp"
#include "admin/paging.hpp"
#include "admin/problem.hpp"
#include "auth/key_record.hpp"
#include "config/config.hpp"

namespace passgate::auth {
class key_cache;
}
namespace passgate::store {
class store;
}

namespace passgate::admin {

struct created_key {
  std::string key;  // the full key: shown once, never stored
  auth::key_record record;
};

struct budget_status {
  double spend_usd = 0;
  std::optional<std::int64_t> reset_at;  // unix seconds; none: the budget never resets
};

struct key_page {
  std::vector<auth::key_record> keys;  // oldest first
  paging page;
  bool has_more = false;
};

struct revoke_outcome {
  std::vector<std::string> revoked;    // key ids
  std::vector<std::string> not_found;  // ids as given; for full keys, their display prefix
};

inline constexpr std::size_t max_alias_length = 256;

class key_service {
 public:
  // cache may be null (the CLI). now_unix: empty means the system clock.
  key_service(store::store& st, const config::config& cfg, auth::key_cache* cache = nullptr,
              std::function<std::int64_t()> now_unix = {});

  result<created_key> create(const key_fields& f);
  result<auth::key_record> info_by_id(const std::string& key_id);
  // By the full key (never echoed in a problem).
  result<auth::key_record> info_by_key(std::string_view key);
  key_page list(paging p);
  result<auth::key_record> update(const std::string& key_id, const key_fields& f);
  // Revoking an already revoked key counts as revoked (idempotent).
  revoke_outcome revoke(const std::vector<std::string>& keys, const std::vector<std::string>& key_ids);
  // What the key spent in its current budget period (all time without a
  // budget_duration), counting only its budget_credentials, and when that resets.
  budget_status budget(const auth::key_record& rec);
  // budget() of each, in order (a listing's spend column).
  std::vector<budget_status> budgets(const std::vector<auth::key_record>& recs);

  // Applies the fields to rec (created or updated at `now`); a problem names the
  // first field that does not fit, and rec is then unspecified.
  std::optional<problem> apply(const key_fields& f, auth::key_record& rec, std::int64_t now) const;

 private:
  std::int64_t now() const;
  // Invalidates the cache, then waits (bounded) until every record in `changed`
  // looks in the cache as it does in the store.
  void publish(const std::vector<auth::key_record>& changed);

  store::store& store_;
  const config::config& cfg_;
  auth::key_cache* cache_;
  std::function<std::int64_t()> now_unix_;
};

}  // namespace passgate::admin
