#include "store/sqlite_statement.hpp"

#include <stdexcept>

#include "store/store.hpp"

namespace passgate::store::sqlite {

bool is_unavailable(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:  // a WAL lock race lost repeatedly: busy by another name
      return true;
    default:
      return false;
  }
}

std::string describe_db(sqlite3* db) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  return std::string("sqlite ") + (file && *file ? file : ":memory:");
}

void throw_error(sqlite3* db, int rc, std::string_view what, std::string_view file) {
  std::string msg = file.empty() ? describe_db(db) : "sqlite " + std::string(file);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (";
  msg += what;
  msg += ")";
  if (is_unavailable(rc)) throw passgate::store::unavailable(msg);
  throw std::runtime_error(msg);
}

namespace {
// Process-wide settings, before SQLite initialises itself on the first open.
// Memory statistics off: with them on, every allocation SQLite makes takes a
// global mutex (about a tenth of the spend writer's time per row); nothing
// here reads them.
void configure_sqlite_once() {
  static const bool done = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)done;
}
}  // namespace

connection::connection(const std::string& path) {
  configure_sqlite_once();
  sqlite3* db = nullptr;
  // Our store serialises calls with its own mutex, so SQLite's is not needed.
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(db);  // a handle is returned even on failure, and must be closed
  if (rc != SQLITE_OK) throw_error(db, rc, "open", path);
  sqlite3_extended_result_codes(db, 1);
}

void connection::exec(std::string_view sql, std::string_view what) {
  if (int rc = sqlite3_exec(get(), std::string(sql).c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK)
    throw_error(get(), rc, what);
}

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (int rc = sqlite3_prepare_v3(db, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                  &stmt_, nullptr);
      rc != SQLITE_OK)
    throw_error(db, rc, "prepare a statement");
}

void statement::bind_int64(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) throw_error(db_, rc, "bind a value");
}
void statement::bind_double(int i, double v) {
  if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK) throw_error(db_, rc, "bind a value");
}
void statement::bind_text(int i, std::string_view v) {
  if (int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      rc != SQLITE_OK)
    throw_error(db_, rc, "bind a value");
}

void statement::bind_text_borrowed(int i, std::string_view v) {
  if (int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
      rc != SQLITE_OK)
    throw_error(db_, rc, "bind a value");
}
void statement::bind_null(int i) {
  if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) throw_error(db_, rc, "bind a value");
}

bool statement::step() {
  switch (int rc = sqlite3_step(stmt_)) {
    case SQLITE_ROW: return true;
    case SQLITE_DONE: return false;
    default: throw_error(db_, rc, "run a statement");
  }
}

std::string statement::text(int c) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
  return p ? std::string(p, std::size_t(sqlite3_column_bytes(stmt_, c))) : std::string();
}

statement_use statement_cache::use(const std::string& sql) {
  auto& slot = by_sql_[sql];
  if (!slot) slot = std::make_unique<statement>(db_, sql);
  return statement_use(*slot);
}

write_transaction::write_transaction(connection& c) : c_(c) {
  c_.exec("BEGIN IMMEDIATE", "begin transaction");
}

write_transaction::~write_transaction() {
  if (!done_) sqlite3_exec(c_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void write_transaction::commit() {
  c_.exec("COMMIT", "commit");
  done_ = true;
}

}  // namespace passgate::store::sqlite
