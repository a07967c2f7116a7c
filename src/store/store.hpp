#pragma once
// The key and spend store, as the rest of passgate sees it. Backends (SQLite now,
// PostgreSQL later) implement this; nothing here names a database.
// All calls are blocking: callers on I/O threads must not call them directly
// (the key cache and the spend writer run them on their own threads).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/key_record.hpp"
#include "usage/spend_record.hpp"

namespace passgate::store {

struct page {
  std::int64_t offset = 0;
  std::int64_t limit = 100;
};

struct spend_filter {
  std::optional<std::string> key_id;
  std::optional<std::string> model;
  std::optional<std::string> credential;
  std::optional<int> status;
  std::optional<std::int64_t> from_ms;  // started_at_ms >= from_ms
  std::optional<std::int64_t> to_ms;    // started_at_ms <  to_ms
};

enum class spend_group { key, model, credential, day };

struct spend_group_row {
  std::string group;  // the key id, model, label or "YYYY-MM-DD" (UTC)
  std::int64_t requests = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cache_creation_input_tokens = 0;
  std::int64_t cache_read_input_tokens = 0;
  double cost_usd = 0;                 // sum of known costs
  std::int64_t unpriced_requests = 0;  // rows with cost_usd null
};

class store {
 public:
  virtual ~store() = default;

  // Keys. The record's key_hash identifies the key; key_id is unique too.
  virtual void insert_key(const auth::key_record& rec) = 0;
  virtual std::optional<auth::key_record> find_key_by_hash(const std::string& key_hash) = 0;
  virtual std::optional<auth::key_record> find_key_by_id(const std::string& key_id) = 0;
  virtual std::vector<auth::key_record> list_keys(page p) = 0;
  // Replaces every field but key_hash, key_prefix and created_at. False: no such key.
  virtual bool update_key(const auth::key_record& rec) = 0;
  virtual bool revoke_key_by_id(const std::string& key_id) = 0;
  virtual bool revoke_key_by_hash(const std::string& key_hash) = 0;
  // A number that changes whenever any key changes (in this or another process),
  // so that caches can tell cheaply whether to reload.
  virtual std::int64_t keys_version() = 0;

  // Spend.
  virtual void insert_spend(const std::vector<usage::spend_record>& rows) = 0;  // one transaction
  virtual std::vector<usage::spend_record> spend_logs(const spend_filter& f, page p) = 0;
  virtual std::vector<spend_group_row> spend_report(const spend_filter& f, spend_group g) = 0;
  // Total cost of a key since from_ms (for budgets).
  virtual double key_spend_usd(const std::string& key_id, std::int64_t from_ms) = 0;
};

// path: a file name or ":memory:". Creates and migrates the schema.
// Throws std::runtime_error with a clear message on failure.
std::unique_ptr<store> open_sqlite(const std::string& path);

}  // namespace passgate::store
