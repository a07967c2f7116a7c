// The SQLite backend of store::store. One connection per store object; every call
// takes the object's mutex, so one store may be shared by the key cache's thread,
// the spend writer and admin handlers. Several processes (the server and the CLI)
// may open the same file: WAL lets readers run beside the writer, and busy_timeout
// makes writers wait for each other (briefly) instead of failing at once.
//
// A database file deleted or replaced while open (SQLite would go on using the
// unlinked file, its writes lost at exit) is noticed at the next call: while
// nothing is at the path, calls fail with store::unavailable (a new, empty
// database is never made in its place at run time); once a file is there again
// (restored, or replaced by a rename), the store reopens it.
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "store/columns.hpp"
#include "store/spend_query.hpp"
#include "store/sqlite_schema.hpp"
#include "store/sqlite_statement.hpp"
#include "store/store.hpp"

namespace passgate::store {
namespace {

using sqlite::statement_use;

// ---- keys ----

// Column order shared by read_key.
const std::string select_keys =
    "SELECT key_id, key_alias, key_prefix, key_hash, created_at, expires_at, revoked, is_master, "
    "allowed_routes, allowed_credentials, max_budget, budget_duration, rpm_limit, tpm_limit, "
    "max_parallel_requests, metadata_json, budget_credentials FROM keys";
const std::string key_by_hash_sql = select_keys + " WHERE key_hash = ?";
const std::string key_by_id_sql = select_keys + " WHERE key_id = ?";
// Oldest first: keys created while a caller pages through land on the last page
// instead of shifting earlier ones.
const std::string list_keys_sql = select_keys + " ORDER BY created_at, key_id LIMIT ? OFFSET ?";
// The parameter order of the mutable fields is bind_mutable_key_fields'.
const std::string insert_key_sql =
    "INSERT INTO keys (key_id, key_prefix, key_hash, created_at, key_alias, expires_at, revoked, "
    "is_master, allowed_routes, allowed_credentials, max_budget, budget_duration, rpm_limit, "
    "tpm_limit, max_parallel_requests, metadata_json, budget_credentials) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string update_key_sql =
    "UPDATE keys SET key_alias = ?, expires_at = ?, revoked = ?, is_master = ?, "
    "allowed_routes = ?, allowed_credentials = ?, max_budget = ?, budget_duration = ?, "
    "rpm_limit = ?, tpm_limit = ?, max_parallel_requests = ?, metadata_json = ?, budget_credentials = ? "
    "WHERE key_id = ?";
const std::string revoke_by_id_sql = "UPDATE keys SET revoked = 1 WHERE key_id = ?";
const std::string revoke_by_hash_sql = "UPDATE keys SET revoked = 1 WHERE key_hash = ?";
const std::string keys_version_sql = "SELECT version FROM key_changes WHERE id = 1";

auth::key_record read_key(const statement_use& s, const std::string& db) {
  auth::key_record r;
  r.key_id = s->text(0);
  r.key_alias = s->text(1);
  r.key_prefix = s->text(2);
  r.key_hash = s->text(3);
  r.created_at = s->int64(4);
  r.expires_at = s->opt_int64(5);
  r.revoked = s->int64(6) != 0;
  r.is_master = s->int64(7) != 0;
  r.allowed_routes = json_strings(s->text(8), r.key_id, "allowed_routes", db);
  r.allowed_credentials = labels_from_json(s->text(9), r.key_id, db, "allowed_credentials");
  r.max_budget = s->opt_real(10);
  r.budget_duration = s->text(11);
  r.rpm_limit = s->opt_int64(12);
  r.tpm_limit = s->opt_int64(13);
  r.max_parallel_requests = s->opt_int64(14);
  r.metadata_json = s->text(15);
  r.budget_credentials = labels_from_json(s->text(16), r.key_id, db, "budget_credentials");
  return r;
}

// Binds the fields update_key may change, at parameters first..first+12.
void bind_mutable_key_fields(const statement_use& s, int first, const auth::key_record& r) {
  s->bind_text(first, r.key_alias);
  s->bind_opt_int64(first + 1, r.expires_at);
  s->bind_int64(first + 2, r.revoked);
  s->bind_int64(first + 3, r.is_master);
  s->bind_text(first + 4, routes_to_json(r.allowed_routes));
  s->bind_text(first + 5, labels_to_json(r.allowed_credentials));
  s->bind_opt_double(first + 6, r.max_budget);
  s->bind_text(first + 7, r.budget_duration);
  s->bind_opt_int64(first + 8, r.rpm_limit);
  s->bind_opt_int64(first + 9, r.tpm_limit);
  s->bind_opt_int64(first + 10, r.max_parallel_requests);
  s->bind_text(first + 11, r.metadata_json);
  s->bind_text(first + 12, labels_to_json(r.budget_credentials));
}

// ---- spend ----

// A request_id already stored is skipped (its unique index: schema version 3).
const std::string insert_spend_sql =
    "INSERT INTO spend (" + spend_columns +
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (request_id) DO NOTHING";
// Insertion order: the rowid only grows (rows are never deleted), so a cursor
// past the last id returned sees exactly the rows not yet returned.
const std::string spend_in_order_sql =
    "SELECT " + spend_columns + ", id FROM spend WHERE id > ? ORDER BY id LIMIT ?";
// The credential kinds come as a JSON array (labels_to_json), read with json_each;
// with every kind (?4 = 1) any row counts, whatever its label.
const std::string key_spend_sql =
    "SELECT TOTAL(cost_usd) FROM spend WHERE key_id = ?1 AND started_at_ms >= ?2 "
    "AND (?4 = 1 OR credential IN (SELECT value FROM json_each(?3)))";

usage::spend_record read_spend(const statement_use& s) {
  usage::spend_record r;
  r.request_id = s->text(0);
  r.started_at_ms = s->int64(1);
  r.duration_ms = s->int64(2);
  r.ttfb_ms = s->opt_int64(3);
  r.key_id = s->text(4);
  r.key_alias = s->text(5);
  r.route = s->text(6);
  r.path = s->text(7);
  r.method = s->text(8);
  r.status = int(s->int64(9));
  r.model = s->text(10);
  r.credential = s->text(11);
  r.input_tokens = s->opt_int64(12);
  r.output_tokens = s->opt_int64(13);
  r.cache_creation_input_tokens = s->opt_int64(14);
  r.cache_read_input_tokens = s->opt_int64(15);
  r.cost_usd = s->opt_real(16);
  r.outcome = s->text(17);
  r.end_user = s->text(18);
  r.session_id = s->text(19);
  r.agent_id = s->text(20);
  r.client = s->text(21);
  r.provider = s->text(22);
  r.row_id = s->int64(23);
  return r;
}

// The daily and monthly sums' upsert: ?1 the day or month, then the dimensions
// and the sums to add.
std::string upsert_sums_sql(const char* table, const char* period) {
  return std::string("INSERT INTO ") + table + " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
         "ON CONFLICT (" + period + ", key_id, model, credential, end_user, client) DO UPDATE SET "
         "requests = requests + ?7, input_tokens = input_tokens + ?8, output_tokens = output_tokens + ?9, "
         "cache_creation_input_tokens = cache_creation_input_tokens + ?10, "
         "cache_read_input_tokens = cache_read_input_tokens + ?11, cost_usd = cost_usd + ?12, "
         "unpriced_requests = unpriced_requests + ?13";
}
const std::string upsert_daily_sql = upsert_sums_sql("spend_daily", "day");
const std::string upsert_monthly_sql = upsert_sums_sql("spend_monthly", "month");

// A batch's inserted rows summed per UTC day and dimensions. A batch holds a
// few groups (most rows share a key and a day), so a linear search over views
// into the rows beats any map.
struct batch_sums {
  struct group {
    std::int64_t day;  // days since 1970-01-01
    std::string_view key_id, model, credential, end_user, client;
    std::int64_t requests = 0, input = 0, output = 0, cache_creation = 0, cache_read = 0, unpriced = 0;
    double cost = 0;
  };
  std::vector<group> groups;

  void add(const usage::spend_record& r) {
    const std::int64_t day = r.started_at_ms >= 0 ? r.started_at_ms / 86'400'000 : (r.started_at_ms + 1) / 86'400'000 - 1;
    group* g = nullptr;
    for (auto& x : groups)
      if (x.day == day && x.key_id == r.key_id && x.model == r.model && x.credential == r.credential &&
          x.end_user == r.end_user && x.client == r.client) {
        g = &x;
        break;
      }
    if (!g) g = &groups.emplace_back(group{day, r.key_id, r.model, r.credential, r.end_user, r.client});
    ++g->requests;
    g->input += r.input_tokens.value_or(0);
    g->output += r.output_tokens.value_or(0);
    g->cache_creation += r.cache_creation_input_tokens.value_or(0);
    g->cache_read += r.cache_read_input_tokens.value_or(0);
    if (r.cost_usd) g->cost += *r.cost_usd;
    else ++g->unpriced;
  }
};

// Binds a built query's values (spend_query.hpp), strings borrowed from it.
void bind_all(const statement_use& s, const sql::query& q) {
  for (std::size_t i = 0; i < q.params.size(); ++i) {
    const int at = int(i + 1);
    if (auto* n = std::get_if<std::int64_t>(&q.params[i])) s->bind_int64(at, *n);
    else s->bind_text_borrowed(at, std::get<std::string>(q.params[i]));
  }
}

class sqlite_store final : public store {
 public:
  sqlite_store(const std::string& path, sqlite_options opts) : path_(path), opts_(opts) { open(); }

  void insert_key(const auth::key_record& r) override {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(insert_key_sql);
    s->bind_text(1, r.key_id);
    s->bind_text(2, r.key_prefix);
    s->bind_text(3, r.key_hash);
    s->bind_int64(4, r.created_at);
    bind_mutable_key_fields(s, 5, r);
    try {
      s->step();
    } catch (const std::runtime_error&) {
      int code = sqlite3_extended_errcode(conn_->get());
      if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE)
        throw std::runtime_error(name_ + ": insert key " + r.key_id +
                                 ": a key with this id or hash already exists");
      throw;
    }
  }

  std::optional<auth::key_record> find_key_by_hash(const std::string& key_hash) override {
    return find_key(key_by_hash_sql, key_hash);
  }

  std::optional<auth::key_record> find_key_by_id(const std::string& key_id) override {
    return find_key(key_by_id_sql, key_id);
  }

  std::vector<auth::key_record> list_keys(page p) override {
    check_page(p);
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(list_keys_sql);
    s->bind_int64(1, p.limit);
    s->bind_int64(2, p.offset);
    std::vector<auth::key_record> out;
    while (s->step()) out.push_back(read_key(s, name_));
    return out;
  }

  bool update_key(const auth::key_record& r) override {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(update_key_sql);
    bind_mutable_key_fields(s, 1, r);
    s->bind_text(14, r.key_id);
    s->step();
    return s->changes() > 0;
  }

  bool revoke_key_by_id(const std::string& key_id) override {
    return revoke(revoke_by_id_sql, key_id);
  }

  bool revoke_key_by_hash(const std::string& key_hash) override {
    return revoke(revoke_by_hash_sql, key_hash);
  }

  std::int64_t keys_version() override {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(keys_version_sql);
    if (!s->step()) throw std::runtime_error(name_ + ": the key_changes row is missing");
    return s->int64(0);
  }

  void yield_every_spend_rows(std::size_t rows) override { yield_every_.store(rows, std::memory_order_relaxed); }

  void insert_spend(const std::vector<usage::spend_record>& rows) override {
    if (rows.empty()) return;
    std::lock_guard lk(mu_);
    reopen_if_moved();
    sqlite::write_transaction tx(*conn_);
    // One statement for the batch; strings are bound from `rows` without a copy
    // (the statement is reset, its bindings cleared, before rows can go).
    auto s = stmts_->use(insert_spend_sql);
    batch_sums sums;
    const std::size_t yield_every = yield_every_.load(std::memory_order_relaxed);
    std::size_t n = 0;
    for (const auto& r : rows) {
      // The spend writer shares cores with the I/O threads, and a kernel lets a
      // running thread finish its time slice (a millisecond or more) before a
      // woken one gets the core. A yield hands the core to an I/O thread that
      // woke meanwhile, so that no request waits for a whole batch; without one
      // waiting it returns at once. How often: yield_every_spend_rows.
      if (yield_every && ++n % yield_every == 0) std::this_thread::yield();
      s->bind_text_borrowed(1, r.request_id);
      s->bind_int64(2, r.started_at_ms);
      s->bind_int64(3, r.duration_ms);
      s->bind_opt_int64(4, r.ttfb_ms);
      s->bind_text_borrowed(5, r.key_id);
      s->bind_text_borrowed(6, r.key_alias);
      s->bind_text_borrowed(7, r.route);
      s->bind_text_borrowed(8, r.path);
      s->bind_text_borrowed(9, r.method);
      s->bind_int64(10, r.status);
      s->bind_text_borrowed(11, r.model);
      s->bind_text_borrowed(12, r.credential);
      s->bind_opt_int64(13, r.input_tokens);
      s->bind_opt_int64(14, r.output_tokens);
      s->bind_opt_int64(15, r.cache_creation_input_tokens);
      s->bind_opt_int64(16, r.cache_read_input_tokens);
      s->bind_opt_double(17, r.cost_usd);
      s->bind_text_borrowed(18, r.outcome);
      s->bind_text_borrowed(19, r.end_user);
      s->bind_text_borrowed(20, r.session_id);
      s->bind_text_borrowed(21, r.agent_id);
      s->bind_text_borrowed(22, r.client);
      s->bind_text_borrowed(23, r.provider);
      s->step();
      if (s->changes() > 0) sums.add(r);  // 0: its request_id was stored already
      s->rewind();
    }
    add_sums(sums);
    tx.commit();
  }

  std::vector<usage::spend_record> spend_logs(const spend_filter& f, page p) override {
    check_page(p);
    auto q = sql::spend_logs(sql::dialect::sqlite, f, p);
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(q.text);  // each distinct filter shape is its own cached statement
    bind_all(s, q);
    std::vector<usage::spend_record> out;
    while (s->step()) out.push_back(read_spend(s));
    return out;
  }

  std::vector<spend_group_row> spend_report(const spend_filter& f, spend_group g,
                                            std::optional<spend_group> split) override {
    auto q = sql::spend_report(sql::dialect::sqlite, f, g, split);
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(q.text);
    bind_all(s, q);
    std::vector<spend_group_row> out;
    while (s->step()) {
      spend_group_row row;
      row.group = s->text(0);
      row.split = s->text(1);
      row.requests = s->int64(2);
      row.input_tokens = s->int64(3);
      row.output_tokens = s->int64(4);
      row.cache_creation_input_tokens = s->int64(5);
      row.cache_read_input_tokens = s->int64(6);
      row.cost_usd = s->real(7);
      row.unpriced_requests = s->int64(8);
      out.push_back(std::move(row));
    }
    return out;
  }

  double key_spend_usd(const std::string& key_id, std::int64_t from_ms, policy::label_set labels) override {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(key_spend_sql);
    s->bind_text(1, key_id);
    s->bind_int64(2, from_ms);
    s->bind_text(3, labels_to_json(labels));
    s->bind_int64(4, labels.is_all() ? 1 : 0);
    s->step();
    return s->real(0);
  }

  std::vector<usage::spend_record> spend_in_order(std::int64_t& cursor, std::int64_t limit) override {
    if (limit <= 0) throw std::invalid_argument("store: spend_in_order needs limit > 0");
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(spend_in_order_sql);
    s->bind_int64(1, cursor);
    s->bind_int64(2, limit);
    std::vector<usage::spend_record> out;
    while (s->step()) {
      out.push_back(read_spend(s));
      cursor = out.back().row_id;
    }
    return out;
  }

  int schema_version() override {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use("SELECT version FROM schema_version");
    if (!s->step()) throw std::runtime_error(name_ + ": the schema_version row is missing");
    return int(s->int64(0));
  }

  // By the configured path rather than name_, which a reopen may change under
  // another thread (describe takes no lock: it is for messages).
  std::string describe() const override { return "sqlite " + path_; }

 private:
  // The batch's sums into the daily and the monthly table, in the batch's
  // transaction.
  void add_sums(const batch_sums& sums) {
    for (const char* which : {"day", "month"}) {
      auto u = stmts_->use(which[0] == 'd' ? upsert_daily_sql : upsert_monthly_sql);
      for (const auto& g : sums.groups) {
        std::string period = sql::utc_day(g.day * 86'400'000);
        if (which[0] == 'm') period.resize(7);  // "YYYY-MM"
        u->bind_text(1, period);
        u->bind_text_borrowed(2, g.key_id);
        u->bind_text_borrowed(3, g.model);
        u->bind_text_borrowed(4, g.credential);
        u->bind_text_borrowed(5, g.end_user);
        u->bind_text_borrowed(6, g.client);
        u->bind_int64(7, g.requests);
        u->bind_int64(8, g.input);
        u->bind_int64(9, g.output);
        u->bind_int64(10, g.cache_creation);
        u->bind_int64(11, g.cache_read);
        u->bind_double(12, g.cost);
        u->bind_int64(13, g.unpriced);
        u->step();
        u->rewind();
      }
    }
  }

  // A new connection to path_ and its statement cache; the old ones, if any, go
  // only when the new one is ready.
  void open() {
    auto conn = std::make_unique<sqlite::connection>(path_);
    sqlite3_busy_timeout(conn->get(), int(opts_.busy_timeout.count()));
    conn->exec("PRAGMA foreign_keys = ON", "enable foreign keys");
    if (path_ != ":memory:") use_wal(*conn);
    sqlite::migrate(*conn);
    stmts_.reset();  // statements first: they belong to the old connection
    conn_ = std::move(conn);
    stmts_ = std::make_unique<sqlite::statement_cache>(conn_->get());
    name_ = sqlite::describe_db(conn_->get());
  }

  // The file was deleted, renamed or replaced under us: unavailable while the
  // path is empty, reopened once a file is there. If reopening fails, the call
  // fails and the next one tries again.
  void reopen_if_moved() {
    int moved = 0;
    if (path_ == ":memory:" ||
        sqlite3_file_control(conn_->get(), "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK || !moved)
      return;
    // One warning per episode, however many calls find the path empty.
    if (!moved_)
      spdlog::warn("{}: the database file was deleted or replaced while open; reopening {} once a file is there",
                   name_, path_);
    moved_ = true;
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec))
      throw unavailable(name_ + ": the database file was deleted while open (waiting for a file at " + path_ + ")");
    open();
    moved_ = false;
    spdlog::info("{}: reopened", name_);
  }

  // WAL: the server keeps reading while the CLI writes. NORMAL sync is safe with
  // WAL (a crash may lose the last commits, never corrupt the file).
  void use_wal(sqlite::connection& conn) {
    sqlite::statement wal(conn.get(), "PRAGMA journal_mode = WAL");
    if (!wal.step() || wal.text(0) != "wal")
      throw std::runtime_error(sqlite::describe_db(conn.get()) + ": could not switch to WAL journal mode");
    wal.reset();
    conn.exec("PRAGMA synchronous = NORMAL", "set synchronous");
  }

  std::optional<auth::key_record> find_key(const std::string& sql, const std::string& value) {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(sql);
    s->bind_text(1, value);
    if (!s->step()) return std::nullopt;
    return read_key(s, name_);
  }

  bool revoke(const std::string& sql, const std::string& value) {
    std::lock_guard lk(mu_);
    reopen_if_moved();
    auto s = stmts_->use(sql);
    s->bind_text(1, value);
    s->step();
    return s->changes() > 0;
  }

  const std::string path_;  // as configured: reopened by this name
  const sqlite_options opts_;
  std::mutex mu_;
  std::unique_ptr<sqlite::connection> conn_;        // guarded by mu_
  std::unique_ptr<sqlite::statement_cache> stmts_;  // guarded by mu_, like conn_
  std::string name_;                                // "sqlite FILE", for messages
  bool moved_ = false;                              // guarded by mu_
  std::atomic<std::size_t> yield_every_{0};         // see yield_every_spend_rows
};

}  // namespace

std::unique_ptr<store> open_sqlite(const std::string& path, sqlite_options opts) {
  return std::make_unique<sqlite_store>(path, opts);
}

}  // namespace passgate::store
