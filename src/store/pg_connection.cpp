#include "store/pg_connection.hpp"

#include "common/utf8.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "store/store.hpp"

namespace passgate::store::pg {
namespace {

std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// libpq's messages end with a newline and may span lines; one line reads better.
std::string one_line(std::string_view msg) {
  std::string out;
  for (char c : msg) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Server notices (e.g. "relation already exists, skipping") would go to stderr.
void quiet_notice(void*, const char* msg) { spdlog::debug("postgres notice: {}", one_line(msg)); }

struct conninfo_options_deleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

}  // namespace

bool is_unavailable_sqlstate(std::string_view s) {
  return s.starts_with("08")       // connection exception
         || s.starts_with("53")    // insufficient resources (disk full, too many connections)
         || s == "57P01"           // admin shutdown
         || s == "57P02"           // crash shutdown
         || s == "57P03"           // cannot connect now (starting up, recovering)
         || s == "57014"           // query canceled: statement_timeout
         || s == "40001"           // serialization failure
         || s == "40P01";          // deadlock detected
}

params& params::real(double v) {
  values_.emplace_back(shortest(v));
  return *this;
}

// Every element quoted, so that no text (commas, braces, "NULL") is misread.

// PostgreSQL's text holds neither NUL nor (in a UTF8 database) malformed UTF-8,
// and one such value would fail its whole batch, every time it is retried. Spend
// rows carry text from requests and answers (a path, a model name), so each
// such byte becomes U+FFFD instead: the row is kept, the bad byte is not.
void array_literal::add(std::string_view v) {
  next();
  out_ += '"';
  while (!v.empty()) {
    const std::size_t n = v[0] == '\0' ? 0 : utf8_sequence(v);
    if (n == 0) {
      out_ += "\xEF\xBF\xBD";
      v.remove_prefix(1);
      continue;
    }
    if (n == 1 && (v[0] == '"' || v[0] == '\\')) out_ += '\\';
    out_.append(v.data(), n);
    v.remove_prefix(n);
  }
  out_ += '"';
}

void array_literal::add(double v) {
  next();
  out_ += shortest(v);
}

std::string result::sqlstate() const {
  const char* s = PQresultErrorField(r_.get(), PG_DIAG_SQLSTATE);
  return s ? s : "";
}

std::int64_t result::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

std::int64_t result::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

double result::real(int row, int col) const {
  // The server sends the shortest exact text (extra_float_digits = 1, the
  // default since PostgreSQL 12), so this reads back the very value stored.
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

connection::connection(const std::string& url, const connect_options& opts) {
  // Parsed first for what we add to or report from it; the URL itself is handed to
  // libpq as an expanded dbname, so both URIs and keyword strings work, and the
  // keywords after it override its values.
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, conninfo_options_deleter> parsed(PQconninfoParse(url.c_str(), &err));
  if (!parsed) {
    // libpq's parse errors quote the text around the fault, which may be the
    // password: only say that it is malformed.
    PQfreemem(err);
    throw std::runtime_error("postgres: the connection URL is not a valid libpq URI or keyword string");
  }
  std::string user_options, user_app_name, host, port, dbname, user;
  for (auto* o = parsed.get(); o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view k = o->keyword;
    if (k == "password") password_ = o->val;
    else if (k == "options") user_options = o->val;
    else if (k == "application_name") user_app_name = o->val;
    else if (k == "host") host = o->val;
    else if (k == "hostaddr" && host.empty()) host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") dbname = o->val;
    else if (k == "user") user = o->val;
  }
  name_ = "postgres " + (host.empty() ? std::string("localhost") : host) + ":" +
          (port.empty() ? std::string("5432") : port) + "/" +
          (!dbname.empty() ? dbname : !user.empty() ? user : std::string("?"));

  // libpq counts connect_timeout in whole seconds (and takes 1 as 2).
  auto timeout_s = std::to_string(std::max<std::int64_t>(1, (opts.connect_timeout.count() + 999) / 1000));
  std::string options = user_options;
  if (!options.empty()) options += ' ';
  options += "-c statement_timeout=" + std::to_string(opts.statement_timeout.count());
  // The user's own application_name wins over ours.
  std::string app_name = user_app_name.empty() ? opts.application_name : user_app_name;

  const char* keywords[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {url.c_str(), timeout_s.c_str(), options.c_str(), app_name.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn_) throw unavailable(name_ + ": out of memory creating a connection");
  PQsetNoticeProcessor(conn_.get(), quiet_notice, nullptr);
  if (PQstatus(conn_.get()) != CONNECTION_OK) fail_connection("connect");
}

std::string connection::scrub(std::string msg) const {
  if (password_.empty()) return msg;
  for (auto at = msg.find(password_); at != std::string::npos; at = msg.find(password_, at))
    msg.replace(at, password_.size(), "***");
  return msg;
}

std::string connection::last_error() const { return scrub(one_line(PQerrorMessage(conn_.get()))); }

void connection::fail_connection(std::string_view what) const {
  throw unavailable(name_ + ": " + last_error() + " (" + std::string(what) + ")");
}

void connection::ensure_connected() {
  if (PQstatus(conn_.get()) == CONNECTION_OK) return;
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK) fail_connection("reconnect");
  spdlog::info("{}: reconnected", name_);
}

result connection::run(const std::string& sql, const params& p) {
  std::vector<const char*> values;
  values.reserve(p.values().size());
  for (const auto& v : p.values()) values.push_back(v ? v->c_str() : nullptr);
  // Text format both ways: no OIDs to keep in step with the server's types.
  return result(PQexecParams(conn_.get(), sql.c_str(), p.size(), nullptr, values.data(), nullptr,
                             nullptr, 0));
}

result connection::try_exec(const std::string& sql, const params& p, bool retry_safe) {
  ensure_connected();
  // Inside a transaction a retry would run on a new session, outside it.
  bool in_transaction = PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
  result r = run(sql, p);
  // A connection that had gone dead while idle fails at its first use, before the
  // statement could run: once more on a fresh connection.
  if (!r.ok() && retry_safe && !in_transaction && PQstatus(conn_.get()) != CONNECTION_OK) {
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      spdlog::info("{}: reconnected", name_);
      r = run(sql, p);
    }
  }
  return r;
}

result connection::exec(const std::string& sql, const params& p, std::string_view what, bool retry_safe) {
  result r = try_exec(sql, p, retry_safe);
  check(r, what);
  return r;
}

void connection::check(const result& r, std::string_view what) const {
  if (r.ok()) return;
  std::string state = r.get() ? r.sqlstate() : "";
  // Only the primary message: the DETAIL line quotes row values (a key's hash).
  const char* primary = r.get() ? PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string reason = primary ? one_line(primary) : one_line(PQerrorMessage(conn_.get()));
  if (reason.empty()) reason = PQresStatus(r.status());
  std::string msg = scrub(name_ + ": " + reason + (state.empty() ? "" : " [" + state + "]") + " (" +
                          std::string(what) + ")");
  // No SQLSTATE: the failure was on our side of the wire (connection lost).
  if (state.empty() || is_unavailable_sqlstate(state) || PQstatus(conn_.get()) != CONNECTION_OK)
    throw unavailable(msg);
  // Class 22 (data exception) and 54 (program limit: an index entry too large):
  // the values are at fault, not the server.
  if (state.starts_with("22") || state.starts_with("54")) throw rejected(msg);
  throw std::runtime_error(msg);
}

void connection::exec_script(std::string_view sql, std::string_view what) {
  ensure_connected();
  result r(PQexec(conn_.get(), std::string(sql).c_str()));
  check(r, what);
}

transaction::transaction(connection& c, std::string_view what) : c_(c), what_(what) {
  c_.exec_script("BEGIN", what_);
}

transaction::~transaction() {
  if (done_) return;
  // Best effort: on a broken connection the server has rolled back already.
  if (PQstatus(c_.get()) == CONNECTION_OK) result(PQexec(c_.get(), "ROLLBACK"));
}

void transaction::commit() {
  c_.exec_script("COMMIT", what_);
  done_ = true;
}

}  // namespace passgate::store::pg
