#pragma once
// What the gateway knows about one virtual key. Never holds the key itself:
// only its SHA-256 hash and a short display prefix.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/credential_label.hpp"

namespace passgate::auth {

struct key_record {
  std::string key_id;       // stable, non-secret id ("key_…")
  std::string key_alias;    // human name, may be empty
  std::string key_prefix;   // display only, e.g. "sk-pg-AbC1…"
  std::string key_hash;     // lower-case hex SHA-256 of the full key
  std::int64_t created_at = 0;                // unix seconds
  std::optional<std::int64_t> expires_at;     // unix seconds
  bool revoked = false;
  bool is_master = false;                     // the config's master_key
  std::vector<std::string> allowed_routes;    // empty: every route
  policy::label_set allowed_credentials = policy::label_set::all();
  std::optional<double> max_budget;           // USD
  std::string budget_duration;                // e.g. "30d"; empty: lifetime
  // The credential kinds whose cost counts toward max_budget (and which are
  // refused once it is spent); default all.
  policy::label_set budget_credentials = policy::label_set::all();
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
  std::string metadata_json = "{}";           // free-form JSON object, as text

  bool usable_at(std::int64_t now_unix) const {
    return !revoked && (!expires_at || *expires_at > now_unix);
  }
};

}  // namespace passgate::auth
