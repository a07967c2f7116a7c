// The PostgreSQL backend of store::store, for a fleet of gateways sharing keys and
// spend. One connection per store object; every call takes the object's mutex, so
// one store may be shared by the key cache's thread, the spend writer and admin
// handlers. A connection found broken is re-established at the next call
// (pg_connection.hpp), so the store recovers by itself when the server returns.
//
// Spend is also summed per UTC day in spend_daily, by the very statement that
// inserts the rows, so that the sums stay exact however often a batch is retried;
// reports over whole days read those sums instead of every row.
#include <mutex>
#include <stdexcept>
#include <string>

#include "store/columns.hpp"
#include "store/spend_query.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_key_watcher.hpp"
#include "store/pg_schema.hpp"
#include "store/store.hpp"

namespace passgate::store {
namespace {

using pg::params;


// ---- keys ----

// Column order shared by read_key.
const std::string select_keys =
    "SELECT key_id, key_alias, key_prefix, key_hash, created_at, expires_at, revoked, is_master, "
    "allowed_routes, allowed_credentials, max_budget, budget_duration, rpm_limit, tpm_limit, "
    "max_parallel_requests, metadata_json, budget_credentials FROM keys";
const std::string key_by_hash_sql = select_keys + " WHERE key_hash = $1";
const std::string key_by_id_sql = select_keys + " WHERE key_id = $1";
// Oldest first, as SQLite; byte order for ties, as SQLite compares text.
const std::string list_keys_sql =
    select_keys + " ORDER BY created_at, key_id COLLATE \"C\" LIMIT $1 OFFSET $2";
// The parameter order of the mutable fields is add_mutable_key_fields'.
const std::string insert_key_sql =
    "INSERT INTO keys (key_id, key_prefix, key_hash, created_at, key_alias, expires_at, revoked, "
    "is_master, allowed_routes, allowed_credentials, max_budget, budget_duration, rpm_limit, "
    "tpm_limit, max_parallel_requests, metadata_json, budget_credentials) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
const std::string update_key_sql =
    "UPDATE keys SET key_alias = $1, expires_at = $2, revoked = $3, is_master = $4, "
    "allowed_routes = $5, allowed_credentials = $6, max_budget = $7, budget_duration = $8, "
    "rpm_limit = $9, tpm_limit = $10, max_parallel_requests = $11, metadata_json = $12, "
    "budget_credentials = $13 WHERE key_id = $14";
const std::string revoke_by_id_sql = "UPDATE keys SET revoked = true WHERE key_id = $1";
const std::string revoke_by_hash_sql = "UPDATE keys SET revoked = true WHERE key_hash = $1";
const std::string keys_version_sql = "SELECT version FROM key_changes WHERE id = 1";

auth::key_record read_key(const pg::result& r, int row, const std::string& db) {
  auth::key_record k;
  k.key_id = r.text(row, 0);
  k.key_alias = r.text(row, 1);
  k.key_prefix = r.text(row, 2);
  k.key_hash = r.text(row, 3);
  k.created_at = r.int64(row, 4);
  k.expires_at = r.opt_int64(row, 5);
  k.revoked = r.boolean(row, 6);
  k.is_master = r.boolean(row, 7);
  k.allowed_routes = json_strings(r.text(row, 8), k.key_id, "allowed_routes", db);
  k.allowed_credentials = labels_from_json(r.text(row, 9), k.key_id, db, "allowed_credentials");
  k.max_budget = r.opt_real(row, 10);
  k.budget_duration = r.text(row, 11);
  k.rpm_limit = r.opt_int64(row, 12);
  k.tpm_limit = r.opt_int64(row, 13);
  k.max_parallel_requests = r.opt_int64(row, 14);
  k.metadata_json = r.text(row, 15);
  k.budget_credentials = labels_from_json(r.text(row, 16), k.key_id, db, "budget_credentials");
  return k;
}

void add_mutable_key_fields(params& p, const auth::key_record& k) {
  p.text(k.key_alias)
      .opt_int64(k.expires_at)
      .boolean(k.revoked)
      .boolean(k.is_master)
      .text(routes_to_json(k.allowed_routes))
      .text(labels_to_json(k.allowed_credentials))
      .opt_real(k.max_budget)
      .text(k.budget_duration)
      .opt_int64(k.rpm_limit)
      .opt_int64(k.tpm_limit)
      .opt_int64(k.max_parallel_requests)
      .text(k.metadata_json)
      .text(labels_to_json(k.budget_credentials));
}

// ---- spend ----

// The UTC date of a started_at_ms, as a date.
#define PG_DAY_OF(ms) "(date '1970-01-01' + floor(" ms " / 86400000.0)::integer)"

// One statement, so one transaction, for the whole batch, with a fixed text: the
// batch comes as one array per column. Rows whose request_id is stored already
// are skipped (ON CONFLICT DO NOTHING), and only the rows really inserted
// (RETURNING) are added to the daily sums: a batch written again adds nothing
// twice, to either table. ORDER BY ord keeps the batch's order in the ids.
// The sums' upsert, for the daily and the monthly table: `period` is the
// expression of the row's day or month.
std::string upsert_sums(const std::string& table, const std::string& period_column, const std::string& period) {
  return " INSERT INTO " + table + " AS d (" + period_column +
         ", key_id, model, credential, end_user, client, requests, input_tokens,"
         " output_tokens, cache_creation_input_tokens, cache_read_input_tokens, cost_usd, unpriced_requests)"
         " SELECT " + period + ", key_id, model, credential, end_user, client, count(*),"
         " COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0),"
         " COALESCE(sum(cache_creation_input_tokens), 0), COALESCE(sum(cache_read_input_tokens), 0),"
         " COALESCE(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL)"
         // In one order on every instance: two batches upserting the same groups
         // then lock them alike and cannot deadlock.
         " FROM ins GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
         " ON CONFLICT (" + period_column + ", key_id, model, credential, end_user, client) DO UPDATE SET"
         " requests = d.requests + EXCLUDED.requests,"
         " input_tokens = d.input_tokens + EXCLUDED.input_tokens,"
         " output_tokens = d.output_tokens + EXCLUDED.output_tokens,"
         " cache_creation_input_tokens = d.cache_creation_input_tokens + EXCLUDED.cache_creation_input_tokens,"
         " cache_read_input_tokens = d.cache_read_input_tokens + EXCLUDED.cache_read_input_tokens,"
         " cost_usd = d.cost_usd + EXCLUDED.cost_usd,"
         " unpriced_requests = d.unpriced_requests + EXCLUDED.unpriced_requests";
}

// One statement, so one transaction, for the whole batch, with a fixed text: the
// batch comes as one array per column. Rows whose request_id is stored already
// are skipped (ON CONFLICT DO NOTHING), and only the rows really inserted
// (RETURNING) are added to the daily and monthly sums: a batch written again
// adds nothing twice, to any table. ORDER BY ord keeps the batch's order in the ids.
const std::string insert_spend_sql =
    "WITH ins AS ("
    " INSERT INTO spend (" + spend_columns + ")"
    " SELECT " + spend_columns +
    " FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],"
    " $7::text[], $8::text[], $9::text[], $10::integer[], $11::text[], $12::text[], $13::bigint[],"
    " $14::bigint[], $15::bigint[], $16::bigint[], $17::double precision[], $18::text[],"
    " $19::text[], $20::text[], $21::text[], $22::text[], $23::text[])"
    " WITH ORDINALITY AS u(" + spend_columns + ", ord)"
    " ORDER BY ord"
    " ON CONFLICT (request_id) DO NOTHING"
    " RETURNING started_at_ms, key_id, model, credential, end_user, client, input_tokens, output_tokens,"
    " cache_creation_input_tokens, cache_read_input_tokens, cost_usd),"
    " daily AS (" + upsert_sums("spend_daily", "day", PG_DAY_OF("started_at_ms")) + ")" +
    upsert_sums("spend_monthly", "month", "date_trunc('month', " PG_DAY_OF("started_at_ms") ")::date");

const std::string spend_in_order_sql =
    "SELECT " + spend_columns + ", id FROM spend WHERE id > $1 ORDER BY id LIMIT $2";

const std::string key_spend_all_sql =
    "SELECT COALESCE(sum(cost_usd), 0) FROM spend WHERE key_id = $1 AND started_at_ms >= $2";
const std::string key_spend_labels_sql = key_spend_all_sql + " AND credential = ANY($3::text[])";

usage::spend_record read_spend(const pg::result& r, int row) {
  usage::spend_record s;
  s.request_id = r.text(row, 0);
  s.started_at_ms = r.int64(row, 1);
  s.duration_ms = r.int64(row, 2);
  s.ttfb_ms = r.opt_int64(row, 3);
  s.key_id = r.text(row, 4);
  s.key_alias = r.text(row, 5);
  s.route = r.text(row, 6);
  s.path = r.text(row, 7);
  s.method = r.text(row, 8);
  s.status = int(r.int64(row, 9));
  s.model = r.text(row, 10);
  s.credential = r.text(row, 11);
  s.input_tokens = r.opt_int64(row, 12);
  s.output_tokens = r.opt_int64(row, 13);
  s.cache_creation_input_tokens = r.opt_int64(row, 14);
  s.cache_read_input_tokens = r.opt_int64(row, 15);
  s.cost_usd = r.opt_real(row, 16);
  s.outcome = r.text(row, 17);
  s.end_user = r.text(row, 18);
  s.session_id = r.text(row, 19);
  s.agent_id = r.text(row, 20);
  s.client = r.text(row, 21);
  s.provider = r.text(row, 22);
  s.row_id = r.int64(row, 23);
  return s;
}

// One array parameter per column (see insert_spend_sql).
params spend_arrays(const std::vector<usage::spend_record>& rows) {
  pg::array_literal a[23];
  for (const auto& r : rows) {
    a[0].add(std::string_view(r.request_id));
    a[1].add(r.started_at_ms);
    a[2].add(r.duration_ms);
    a[3].add(r.ttfb_ms);
    a[4].add(std::string_view(r.key_id));
    a[5].add(std::string_view(r.key_alias));
    a[6].add(std::string_view(r.route));
    a[7].add(std::string_view(r.path));
    a[8].add(std::string_view(r.method));
    a[9].add(std::int64_t(r.status));
    a[10].add(std::string_view(r.model));
    a[11].add(std::string_view(r.credential));
    a[12].add(r.input_tokens);
    a[13].add(r.output_tokens);
    a[14].add(r.cache_creation_input_tokens);
    a[15].add(r.cache_read_input_tokens);
    a[16].add(r.cost_usd);
    a[17].add(std::string_view(r.outcome));
    a[18].add(std::string_view(r.end_user));
    a[19].add(std::string_view(r.session_id));
    a[20].add(std::string_view(r.agent_id));
    a[21].add(std::string_view(r.client));
    a[22].add(std::string_view(r.provider));
  }
  params p;
  for (auto& col : a) p.text(std::move(col).done());
  return p;
}

std::string labels_array(const policy::label_set& labels) {
  pg::array_literal a;
  for (auto l : policy::all_labels)
    if (labels.contains(l)) a.add(policy::to_string(l));
  return std::move(a).done();
}

// A built query's values (spend_query.hpp) as parameters.
params params_of(const sql::query& q) {
  params p;
  for (const auto& v : q.params) {
    if (auto* n = std::get_if<std::int64_t>(&v)) p.int64(*n);
    else p.text(std::get<std::string>(v));
  }
  return p;
}

class postgres_store final : public store {
 public:
  postgres_store(const std::string& url, postgres_options opts)
      : url_(url),
        opts_{opts.connect_timeout, opts.statement_timeout, opts.application_name},
        conn_(url_, opts_) {
    pg::migrate(conn_);
  }

  void insert_key(const auth::key_record& k) override {
    params p;
    p.text(k.key_id).text(k.key_prefix).text(k.key_hash).int64(k.created_at);
    add_mutable_key_fields(p, k);
    std::lock_guard lk(mu_);
    // Not retried on a new connection: had the first attempt committed, the
    // retry would report a duplicate.
    auto r = conn_.try_exec(insert_key_sql, p, /*retry_safe=*/false);
    if (r.sqlstate() == "23505")  // unique_violation
      throw std::runtime_error(conn_.name() + ": insert key " + k.key_id +
                               ": a key with this id or hash already exists");
    conn_.check(r, "insert key");
  }

  std::optional<auth::key_record> find_key_by_hash(const std::string& key_hash) override {
    return find_key(key_by_hash_sql, key_hash, "find key by hash");
  }

  std::optional<auth::key_record> find_key_by_id(const std::string& key_id) override {
    return find_key(key_by_id_sql, key_id, "find key by id");
  }

  std::vector<auth::key_record> list_keys(page p) override {
    check_page(p);
    std::lock_guard lk(mu_);
    auto r = conn_.exec(list_keys_sql, params().int64(p.limit).int64(p.offset), "list keys");
    std::vector<auth::key_record> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_key(r, i, conn_.name()));
    return out;
  }

  bool update_key(const auth::key_record& k) override {
    params p;
    add_mutable_key_fields(p, k);
    p.text(k.key_id);
    std::lock_guard lk(mu_);
    return conn_.exec(update_key_sql, p, "update key").affected() > 0;
  }

  bool revoke_key_by_id(const std::string& key_id) override {
    std::lock_guard lk(mu_);
    return conn_.exec(revoke_by_id_sql, params().text(key_id), "revoke key").affected() > 0;
  }

  bool revoke_key_by_hash(const std::string& key_hash) override {
    std::lock_guard lk(mu_);
    return conn_.exec(revoke_by_hash_sql, params().text(key_hash), "revoke key").affected() > 0;
  }

  std::int64_t keys_version() override {
    std::lock_guard lk(mu_);
    auto r = conn_.exec(keys_version_sql, {}, "read keys version");
    if (r.rows() != 1) throw std::runtime_error(conn_.name() + ": the key_changes row is missing");
    return r.int64(0, 0);
  }

  void insert_spend(const std::vector<usage::spend_record>& rows) override {
    if (rows.empty()) return;
    auto p = spend_arrays(rows);
    std::lock_guard lk(mu_);
    conn_.exec(insert_spend_sql, p, "insert spend");  // idempotent: safe to retry
  }

  std::vector<usage::spend_record> spend_logs(const spend_filter& f, page pg) override {
    check_page(pg);
    auto q = sql::spend_logs(sql::dialect::postgres, f, pg);
    std::lock_guard lk(mu_);
    auto r = conn_.exec(q.text, params_of(q), "read spend logs");
    std::vector<usage::spend_record> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_spend(r, i));
    return out;
  }

  std::vector<spend_group_row> spend_report(const spend_filter& f, spend_group g,
                                            std::optional<spend_group> split) override {
    auto q = sql::spend_report(sql::dialect::postgres, f, g, split);
    std::lock_guard lk(mu_);
    auto r = conn_.exec(q.text, params_of(q), "report spend");
    std::vector<spend_group_row> out;
    for (int i = 0; i < r.rows(); ++i) {
      spend_group_row row;
      row.group = r.text(i, 0);
      row.split = r.text(i, 1);
      row.requests = r.int64(i, 2);
      row.input_tokens = r.int64(i, 3);
      row.output_tokens = r.int64(i, 4);
      row.cache_creation_input_tokens = r.int64(i, 5);
      row.cache_read_input_tokens = r.int64(i, 6);
      row.cost_usd = r.real(i, 7);
      row.unpriced_requests = r.int64(i, 8);
      out.push_back(std::move(row));
    }
    return out;
  }

  double key_spend_usd(const std::string& key_id, std::int64_t from_ms, policy::label_set labels) override {
    params p;
    p.text(key_id).int64(from_ms);
    if (!labels.is_all()) p.text(labels_array(labels));
    std::lock_guard lk(mu_);
    auto r = conn_.exec(labels.is_all() ? key_spend_all_sql : key_spend_labels_sql, p, "sum key spend");
    return r.real(0, 0);
  }

  std::vector<usage::spend_record> spend_in_order(std::int64_t& cursor, std::int64_t limit) override {
    if (limit <= 0) throw std::invalid_argument("store: spend_in_order needs limit > 0");
    std::lock_guard lk(mu_);
    auto r = conn_.exec(spend_in_order_sql, params().int64(cursor).int64(limit), "read spend in order");
    std::vector<usage::spend_record> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(read_spend(r, i));
      cursor = out.back().row_id;
    }
    return out;
  }

  int schema_version() override {
    std::lock_guard lk(mu_);
    return pg::read_version(conn_);
  }

  std::string describe() const override { return conn_.name(); }

  std::unique_ptr<watcher> watch_key_changes(std::function<void()> on_change) override {
    return pg::watch_key_changes(url_, opts_, std::move(on_change));
  }

 private:
  std::optional<auth::key_record> find_key(const std::string& sql, const std::string& value, const char* what) {
    std::lock_guard lk(mu_);
    auto r = conn_.exec(sql, params().text(value), what);
    if (r.rows() == 0) return std::nullopt;
    return read_key(r, 0, conn_.name());
  }

  const std::string url_;  // for the watcher's own connections
  const pg::connect_options opts_;
  std::mutex mu_;
  pg::connection conn_;  // guarded by mu_ (name() is fixed: read without it)
};

}  // namespace

std::unique_ptr<store> open_postgres(const std::string& url, postgres_options opts) {
  return std::make_unique<postgres_store>(url, std::move(opts));
}

}  // namespace passgate::store
