#pragma once
// Thin RAII over libpq: one connection, statements run with text-format
// parameters, their results, and a transaction guard.
//
// Errors throw as "postgres HOST:PORT/DB: REASON (WHAT)". REASON is libpq's
// connection message or the server's primary message with its SQLSTATE, never
// the server's DETAIL (which quotes row values, such as a key's hash) and never
// the password (scrubbed from every message, to be sure). Faults that may go
// away by themselves (the server unreachable, shutting down, out of resources,
// a serialization failure or deadlock, a statement timeout) throw
// store::unavailable; everything else std::runtime_error.
//
// A connection found broken is reset (reconnected) at the next call, so the
// store recovers by itself when the server comes back.
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passgate::store::pg {

struct connect_options {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds statement_timeout{10000};
  std::string application_name = "passgate";
};

// Parameters bound as text ($1, $2, … in the order added); nullopt is NULL.
class params {
 public:
  params& text(std::string v) { values_.emplace_back(std::move(v)); return *this; }
  params& int64(std::int64_t v) { values_.emplace_back(std::to_string(v)); return *this; }
  params& real(double v);  // exactly: the shortest text that reads back the same
  params& boolean(bool v) { values_.emplace_back(v ? "t" : "f"); return *this; }
  params& null() { values_.emplace_back(std::nullopt); return *this; }
  params& opt_int64(const std::optional<std::int64_t>& v) { return v ? int64(*v) : null(); }
  params& opt_real(const std::optional<double>& v) { return v ? real(*v) : null(); }
  int size() const { return int(values_.size()); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A PostgreSQL array literal of the values, for one $n::type[] parameter (a batch
// of any size in one statement, with a fixed SQL text). nullopt is NULL.
class array_literal {
 public:
  void add(std::string_view v);
  void add(std::int64_t v) { next(); out_ += std::to_string(v); }
  void add(double v);
  void add_null() { next(); out_ += "NULL"; }
  void add(const std::optional<std::int64_t>& v) { v ? add(*v) : add_null(); }
  void add(const std::optional<double>& v) { v ? add(*v) : add_null(); }
  std::string done() && { return "{" + std::move(out_) + "}"; }

 private:
  void next() { if (!first_) out_ += ','; first_ = false; }
  std::string out_;
  bool first_ = true;
};

class result {
 public:
  explicit result(PGresult* r) : r_(r) {}
  PGresult* get() const { return r_.get(); }
  ExecStatusType status() const { return PQresultStatus(r_.get()); }
  bool ok() const { return status() == PGRES_COMMAND_OK || status() == PGRES_TUPLES_OK; }
  // "" when the error did not come from the server (e.g. the connection was lost).
  std::string sqlstate() const;

  int rows() const { return PQntuples(r_.get()); }
  // Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;
  // Rows 0-based, columns 0-based.
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col); }
  std::string text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  std::optional<std::int64_t> opt_int64(int row, int col) const {
    return is_null(row, col) ? std::nullopt : std::optional(int64(row, col));
  }
  std::optional<double> opt_real(int row, int col) const {
    return is_null(row, col) ? std::nullopt : std::optional(real(row, col));
  }

 private:
  struct clearer {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, clearer> r_;
};

class connection {
 public:
  // url: a libpq URI or keyword string. Connects now; throws store::unavailable
  // when the server cannot be reached (the object is not made then).
  connection(const std::string& url, const connect_options& opts);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // "postgres HOST:PORT/DB", for messages.
  const std::string& name() const { return name_; }
  PGconn* get() const { return conn_.get(); }

  // Runs one statement; throws on failure (what: what was being done, for the
  // message). retry_safe: the statement may run twice with the same effect as once
  // (a read, or an idempotent write); then, when it fails because the connection
  // turned out to be dead (the server restarted since the last call), it is run
  // once more on a new connection instead of failing.
  result exec(const std::string& sql, const params& p, std::string_view what, bool retry_safe = true);
  // The same without throwing: the caller looks at the result's SQLSTATE itself
  // and then calls check().
  result try_exec(const std::string& sql, const params& p, bool retry_safe = true);
  // Throws if r failed.
  void check(const result& r, std::string_view what) const;
  // Runs statements that bind nothing (the simple protocol: several at once).
  void exec_script(std::string_view sql, std::string_view what);

  // Reconnects if the connection is broken; throws store::unavailable if that
  // fails. exec does this itself.
  void ensure_connected();

  // The message without the password (in case a server or libpq echoes it).
  std::string scrub(std::string msg) const;
  // libpq's last error on this connection, on one line, scrubbed.
  std::string last_error() const;

 private:
  result run(const std::string& sql, const params& p);
  [[noreturn]] void fail_connection(std::string_view what) const;

  struct finisher {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, finisher> conn_;
  std::string name_;
  std::string password_;  // only to scrub it from messages
};

// RAII: BEGIN now; ROLLBACK at destruction unless commit() ran.
class transaction {
 public:
  transaction(connection& c, std::string_view what);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();
  void commit();

 private:
  connection& c_;
  std::string what_;
  bool done_ = false;
};

// True for the SQLSTATEs store::unavailable stands for.
bool is_unavailable_sqlstate(std::string_view sqlstate);

}  // namespace passgate::store::pg
