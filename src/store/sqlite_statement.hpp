#pragma once
// Thin RAII over the SQLite C API: one connection, prepared statements cached by
// their SQL text, and a write transaction. Errors throw std::runtime_error as
// "sqlite FILE: REASON (WHAT)": the database file, SQLite's message and what was
// being done; SQLite's own messages never contain bound values, so no key material
// can leak through them. Failures that may go away by themselves (busy, locked,
// read-only, full, I/O error, cannot open) throw store::unavailable instead.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace passgate::store::sqlite {

// rc: the failed call's result code; file: the database's name when db cannot
// tell it (a failed open), else empty.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view what, std::string_view file = {});
// True for the result codes store::unavailable stands for.
bool is_unavailable(int rc);
// "sqlite FILE" for messages: the database's full path, or ":memory:".
std::string describe_db(sqlite3* db);

class connection {
 public:
  // Opens or creates `path` (":memory:" allowed).
  explicit connection(const std::string& path);
  sqlite3* get() const { return db_.get(); }
  // Runs one or more statements that bind nothing and return no rows.
  void exec(std::string_view sql, std::string_view what);

 private:
  struct closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, closer> db_;
};

class statement {
 public:
  statement(sqlite3* db, std::string_view sql);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(stmt_); }

  // Parameters are 1-based and columns 0-based, as in SQLite.
  void bind_int64(int i, std::int64_t v);
  void bind_double(int i, double v);
  void bind_text(int i, std::string_view v);  // copied: v may go at once
  // Not copied: v must stay alive until it is bound again or the bindings are
  // cleared by reset() (a batch of inserts binding from rows it holds saves a
  // copy of every string).
  void bind_text_borrowed(int i, std::string_view v);
  void bind_null(int i);
  void bind_opt_int64(int i, const std::optional<std::int64_t>& v) {
    v ? bind_int64(i, *v) : bind_null(i);
  }
  void bind_opt_double(int i, const std::optional<double>& v) {
    v ? bind_double(i, *v) : bind_null(i);
  }

  // True: a row is ready. False: done. Throws on error.
  bool step();
  // Rows changed by the last step of an INSERT/UPDATE/DELETE.
  std::int64_t changes() const { return sqlite3_changes64(db_); }

  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t int64(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const;
  std::optional<std::int64_t> opt_int64(int c) const {
    return is_null(c) ? std::nullopt : std::optional(int64(c));
  }
  std::optional<double> opt_real(int c) const {
    return is_null(c) ? std::nullopt : std::optional(real(c));
  }

  // Ready to step again with new bindings (those not bound again keep theirs).
  void rewind() { sqlite3_reset(stmt_); }

  // Ends the current use: a cached SELECT left mid-step would keep its read
  // transaction open and pin an old WAL snapshot, hiding other connections' writes.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement checked out for one call; reset when the call ends, however
// it ends.
class statement_use {
 public:
  explicit statement_use(statement& s) : s_(s) {}
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;
  ~statement_use() { s_.reset(); }
  statement* operator->() const { return &s_; }

 private:
  statement& s_;
};

// Prepared statements of one connection, prepared on first use and kept.
class statement_cache {
 public:
  explicit statement_cache(sqlite3* db) : db_(db) {}
  statement_use use(const std::string& sql);

 private:
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<statement>> by_sql_;
};

// BEGIN IMMEDIATE: takes the write lock up front (waiting up to busy_timeout), so
// the transaction cannot fail half-way for lack of it. Rolls back unless committed.
class write_transaction {
 public:
  explicit write_transaction(connection& c);
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;
  ~write_transaction();
  void commit();

 private:
  connection& c_;
  bool done_ = false;
};

}  // namespace passgate::store::sqlite
