#pragma once
// The key and spend store, as the rest of passgate sees it. Backends (SQLite now,
// PostgreSQL later) implement this; nothing here names a database.
// All calls are blocking: callers on I/O threads must not call them directly
// (the key cache and the spend writer run them on their own threads).
//
// Failures throw std::runtime_error; what() names the database file and the
// reason, never a bound value (so never key material). A failure that may go away
// by itself (the file locked or busy past the wait, read-only, disk full, an I/O
// error, the file cannot be opened) is a store::unavailable: the spend writer
// retries it, the admin API answers it 503, the CLI prints it and exits 1.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/key_record.hpp"
#include "usage/spend_record.hpp"

namespace passgate::store {

struct unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The store refuses what a row holds (a value it cannot store or index):
// retrying cannot help. The spend writer then writes the batch's rows one by one
// and sets aside only those the store refuses.
struct rejected : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct page {
  std::int64_t offset = 0;
  std::int64_t limit = 100;
};

// A row's place in the newest-first order of spend_logs: keyset paging.
struct spend_cursor {
  std::int64_t started_at_ms = 0;
  std::int64_t row_id = 0;
};

struct spend_filter {
  std::optional<std::string> key_id;
  std::optional<std::string> model;
  std::optional<std::string> credential;
  std::optional<int> status;
  std::optional<std::int64_t> from_ms;  // started_at_ms >= from_ms
  std::optional<std::int64_t> to_ms;    // started_at_ms <  to_ms
  std::optional<std::string> end_user;
  std::optional<std::string> session_id;
  std::optional<std::string> client;
  std::optional<std::string> outcome;
  std::optional<std::string> provider;
  std::optional<std::string> route;
  // spend_logs only: rows strictly older (before) or newer (after) than the
  // cursor's row, still newest first. Used instead of an offset, so a page deep
  // in a large table costs what the first page costs.
  std::optional<spend_cursor> before;
  std::optional<spend_cursor> after;
};

enum class spend_group { key, model, credential, day, hour, end_user, session_id, client };

struct spend_group_row {
  std::string group;  // the key id, model, label, end user, session, client, "YYYY-MM-DD" or "YYYY-MM-DDTHH:00Z" (UTC)
  std::string split;  // the second grouping's value, when one was asked for
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
  // One transaction. Idempotent by request_id: a row whose request_id is already
  // stored is skipped, so a batch written again (after a commit whose success was
  // never reported) counts once.
  virtual void insert_spend(const std::vector<usage::spend_record>& rows) = 0;
  // How often the spend writer wants its next batches to hand the core to
  // whatever else is ready: every `rows` rows (0: never). Often (every few
  // rows) for a writer that keeps up and shares its core with I/O threads, so
  // that no request waits behind a batch; seldom for a writer that has fallen
  // behind, or a core kept busy by I/O threads would leave it ever further
  // behind. Only the stores that do the work on the calling thread (SQLite)
  // act on it.
  virtual void yield_every_spend_rows(std::size_t rows) { (void)rows; }
  virtual std::vector<usage::spend_record> spend_logs(const spend_filter& f, page p) = 0;
  // Grouped by g and, when given, within each group by split (not day or hour).
  // Served from the daily sums (per day, key, model, credential, end user and
  // client) when the query can be: no filter on status, outcome or session, whole
  // UTC days, no grouping by hour or session; else from the rows.
  virtual std::vector<spend_group_row> spend_report(const spend_filter& f, spend_group g,
                                                    std::optional<spend_group> split = std::nullopt) = 0;
  // Total cost of a key since from_ms (for budgets).
  // Total cost of a key since from_ms (for budgets), of rows whose credential kind
  // is in `labels`. An index range scan of that key's rows from from_ms on.
  virtual double key_spend_usd(const std::string& key_id, std::int64_t from_ms,
                               policy::label_set labels = policy::label_set::all()) = 0;

  // Every spend row in the order it was stored, a page at a time (for `store
  // copy`): rows stored after `cursor` (0: from the first), at most `limit`;
  // `cursor` is moved past the last one returned. Empty: no more.
  virtual std::vector<usage::spend_record> spend_in_order(std::int64_t& cursor, std::int64_t limit) = 0;

  // The schema version this store is at (after the migrations open applied).
  virtual int schema_version() = 0;
  // "sqlite FILE" or "postgres HOST:PORT/DB": for messages; never a password.
  virtual std::string describe() const = 0;

  // Calls on_change (on a thread of the watcher's own) soon after any key changes
  // in this or another process, and once after each reconnect (a change may have
  // been missed meanwhile); never from the caller's thread. Null: this backend
  // cannot push changes (SQLite), and caches poll keys_version() instead.
  // Destroying the watcher stops its thread.
  struct watcher {
    virtual ~watcher() = default;
  };
  virtual std::unique_ptr<watcher> watch_key_changes(std::function<void()> on_change) { return nullptr; }
};

struct sqlite_options {
  // How long a call waits for a lock another connection holds before it fails
  // with store::unavailable. Short by default: an admin call should answer 503
  // promptly rather than hang; the spend writer opens its own connection with a
  // longer wait (it retries anyway).
  std::chrono::milliseconds busy_timeout{1000};
};

// path: a file name or ":memory:". Creates and migrates the schema. Each call
// opens its own connection. Throws std::runtime_error (store::unavailable when
// the file is locked, read-only, full or cannot be opened) with a clear message.
std::unique_ptr<store> open_sqlite(const std::string& path, sqlite_options opts = {});

struct postgres_options {
  // Connecting (each attempt) and each statement, before store::unavailable.
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds statement_timeout{10000};
  std::string application_name = "passgate";
};

// url: a libpq connection URI or keyword string ("postgresql://user@host:port/db").
// Connects, then applies the migrations under an advisory lock (several
// instances starting at once migrate once). Throws store::unavailable when the
// server cannot be reached, std::runtime_error for anything else; messages
// never include the password.
std::unique_ptr<store> open_postgres(const std::string& url, postgres_options opts = {});

}  // namespace passgate::store
