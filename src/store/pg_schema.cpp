#include "store/pg_schema.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace passgate::store::pg {
namespace {

struct migration {
  int version;
  std::string_view sql;
};

// Any fixed number, the same in every passgate build: the lock all instances
// take to migrate ("pgat" in ASCII, so that it is recognisable in pg_locks).
constexpr std::int64_t migration_lock = 0x70676174;

// Append only: a released step is never edited, since databases already at its
// version will not run it again. Columns mirror the SQLite schema so that
// `store copy` moves rows as they are; list fields are JSON text, as there.
constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE keys (
  key_id                text PRIMARY KEY,
  key_alias             text NOT NULL DEFAULT '',
  key_prefix            text NOT NULL DEFAULT '',
  key_hash              text NOT NULL UNIQUE,
  created_at            bigint NOT NULL,
  expires_at            bigint,
  revoked               boolean NOT NULL DEFAULT false,
  is_master             boolean NOT NULL DEFAULT false,
  allowed_routes        text NOT NULL DEFAULT '[]',
  allowed_credentials   text NOT NULL DEFAULT '["oauth","byok","bearer","server","none"]',
  max_budget            double precision,
  budget_duration       text NOT NULL DEFAULT '',
  rpm_limit             bigint,
  tpm_limit             bigint,
  max_parallel_requests bigint,
  metadata_json         text NOT NULL DEFAULT '{}',
  budget_credentials    text NOT NULL DEFAULT '["oauth","byok","bearer","server","none"]'
);
-- id: the order rows were stored in (spend_in_order pages by it).
CREATE TABLE spend (
  id                          bigserial PRIMARY KEY,
  request_id                  text NOT NULL UNIQUE,
  started_at_ms               bigint NOT NULL,
  duration_ms                 bigint NOT NULL,
  ttfb_ms                     bigint,
  key_id                      text NOT NULL DEFAULT '',
  key_alias                   text NOT NULL DEFAULT '',
  route                       text NOT NULL DEFAULT '',
  path                        text NOT NULL DEFAULT '',
  method                      text NOT NULL DEFAULT '',
  status                      integer NOT NULL DEFAULT 0,
  model                       text NOT NULL DEFAULT '',
  credential                  text NOT NULL DEFAULT '',
  input_tokens                bigint,
  output_tokens               bigint,
  cache_creation_input_tokens bigint,
  cache_read_input_tokens     bigint,
  cost_usd                    double precision,
  outcome                     text NOT NULL DEFAULT '',
  end_user                    text NOT NULL DEFAULT '',
  session_id                  text NOT NULL DEFAULT '',
  agent_id                    text NOT NULL DEFAULT '',
  client                      text NOT NULL DEFAULT ''
);
CREATE INDEX spend_by_time ON spend (started_at_ms);
CREATE INDEX spend_by_key ON spend (key_id, started_at_ms);
-- Partial: a row that names no end user or session (most non-Claude Code
-- traffic) costs no insert into these; queries name the index's condition.
CREATE INDEX spend_by_end_user ON spend (end_user, started_at_ms) WHERE end_user <> '';
CREATE INDEX spend_by_session ON spend (session_id, started_at_ms) WHERE session_id <> '';
)sql"},
    // A counter bumped on every key change, so that a key cache in any process can
    // tell with one cheap SELECT whether its snapshot is stale; and a notification,
    // so that caches that LISTEN hear of it at once instead of at their next poll.
    // Per row, as SQLite's triggers: a statement that changes nothing bumps nothing.
    {2, R"sql(
CREATE TABLE key_changes (
  id      integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO key_changes (id, version) VALUES (1, 1);
CREATE FUNCTION passgate_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE key_changes SET version = version + 1 WHERE id = 1;
  PERFORM pg_notify('passgate_key_changes', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE ON keys
  FOR EACH ROW EXECUTE FUNCTION passgate_keys_changed();
)sql"},
    // Spend summed per UTC day, key, model, credential, end user and client, kept
    // exact by the same statement that inserts the rows (insert_spend): reports
    // over whole days read a few rows per day instead of every request.
    {3, R"sql(
CREATE TABLE spend_daily (
  day                         date NOT NULL,
  key_id                      text NOT NULL,
  model                       text NOT NULL,
  credential                  text NOT NULL,
  end_user                    text NOT NULL,
  client                      text NOT NULL,
  requests                    bigint NOT NULL,
  input_tokens                bigint NOT NULL,
  output_tokens               bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens     bigint NOT NULL,
  cost_usd                    double precision NOT NULL,
  unpriced_requests           bigint NOT NULL,
  PRIMARY KEY (day, key_id, model, credential, end_user, client)
);
-- The same per UTC month (its first day): a year's report reads 12 rows per
-- combination instead of 365.
CREATE TABLE spend_monthly (
  month                       date NOT NULL,
  key_id                      text NOT NULL,
  model                       text NOT NULL,
  credential                  text NOT NULL,
  end_user                    text NOT NULL,
  client                      text NOT NULL,
  requests                    bigint NOT NULL,
  input_tokens                bigint NOT NULL,
  output_tokens               bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens     bigint NOT NULL,
  cost_usd                    double precision NOT NULL,
  unpriced_requests           bigint NOT NULL,
  PRIMARY KEY (month, key_id, model, credential, end_user, client)
);
)sql"},
    // The provider a row's route speaks to; every earlier row came from an
    // Anthropic route (as SQLite's version 6).
    {4, R"sql(
ALTER TABLE spend ADD COLUMN provider text NOT NULL DEFAULT 'anthropic';
)sql"},
};

}  // namespace

int latest_schema_version() { return std::end(migrations)[-1].version; }

int read_version(connection& c) {
  auto has = c.exec("SELECT to_regclass('schema_version') IS NOT NULL", {}, "read schema version");
  if (!has.boolean(0, 0)) return 0;
  auto v = c.exec("SELECT max(version) FROM schema_version", {}, "read schema version");
  return v.is_null(0, 0) ? 0 : int(v.int64(0, 0));
}

int migrate(connection& c) {
  transaction tx(c, "migrate schema");
  c.exec("SELECT pg_advisory_xact_lock($1)", params().int64(migration_lock), "take the migration lock");
  // Under the lock: whoever held it before us has committed (or rolled back).
  c.exec_script("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
                "create schema_version");
  int version = read_version(c);
  if (version > latest_schema_version())
    throw std::runtime_error(c.name() + ": database schema version " + std::to_string(version) +
                             " is newer than this passgate supports (" +
                             std::to_string(latest_schema_version()) + "); upgrade passgate");
  if (version == latest_schema_version()) return version;  // the guard rolls back: nothing done
  for (const auto& m : migrations) {
    if (m.version <= version) continue;
    c.exec_script(m.sql, "migrate schema to version " + std::to_string(m.version));
  }
  c.exec_script("DELETE FROM schema_version", "record schema version");
  c.exec("INSERT INTO schema_version (version) VALUES ($1)", params().int64(latest_schema_version()),
         "record schema version");
  tx.commit();
  return latest_schema_version();
}

}  // namespace passgate::store::pg
