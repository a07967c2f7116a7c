#include "store/sqlite_statement.hpp"

#include <stdexcept>

namespace passgate::store::sqlite {

void throw_error(sqlite3* db, std::string_view what) {
  std::string msg = "sqlite: ";
  msg += what;
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  throw std::runtime_error(msg);
}

connection::connection(const std::string& path) {
  sqlite3* db = nullptr;
  // Our store serialises calls with its own mutex, so SQLite's is not needed.
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(db);  // a handle is returned even on failure, and must be closed
  if (rc != SQLITE_OK) throw_error(db, "open " + path);
  sqlite3_extended_result_codes(db, 1);
}

void connection::exec(std::string_view sql, std::string_view what) {
  if (sqlite3_exec(get(), std::string(sql).c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    throw_error(get(), what);
}

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v3(db, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                         nullptr) != SQLITE_OK)
    throw_error(db, "prepare");
}

void statement::bind_int64(int i, std::int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) throw_error(db_, "bind");
}
void statement::bind_double(int i, double v) {
  if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) throw_error(db_, "bind");
}
void statement::bind_text(int i, std::string_view v) {
  if (sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
      SQLITE_OK)
    throw_error(db_, "bind");
}

void statement::bind_text_borrowed(int i, std::string_view v) {
  if (sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8) !=
      SQLITE_OK)
    throw_error(db_, "bind");
}
void statement::bind_null(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) throw_error(db_, "bind");
}

bool statement::step() {
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW: return true;
    case SQLITE_DONE: return false;
    default: throw_error(db_, "step");
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
