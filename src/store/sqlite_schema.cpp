#include "store/sqlite_schema.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace passgate::store::sqlite {
namespace {

struct migration {
  int version;
  std::string_view sql;
};

// Append only: a released step is never edited, since databases already at its
// version will not run it again.
constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE keys (
  key_id                TEXT PRIMARY KEY NOT NULL,
  key_alias             TEXT NOT NULL DEFAULT '',
  key_prefix            TEXT NOT NULL DEFAULT '',
  key_hash              TEXT NOT NULL UNIQUE,
  created_at            INTEGER NOT NULL,
  expires_at            INTEGER,
  revoked               INTEGER NOT NULL DEFAULT 0,
  is_master             INTEGER NOT NULL DEFAULT 0,
  allowed_routes        TEXT NOT NULL DEFAULT '[]',
  allowed_credentials   TEXT NOT NULL DEFAULT '["oauth","byok","bearer","server","none"]',
  max_budget            REAL,
  budget_duration       TEXT NOT NULL DEFAULT '',
  rpm_limit             INTEGER,
  tpm_limit             INTEGER,
  max_parallel_requests INTEGER,
  metadata_json         TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE spend (
  id                          INTEGER PRIMARY KEY,
  request_id                  TEXT NOT NULL,
  started_at_ms               INTEGER NOT NULL,
  duration_ms                 INTEGER NOT NULL,
  ttfb_ms                     INTEGER,
  key_id                      TEXT NOT NULL DEFAULT '',
  key_alias                   TEXT NOT NULL DEFAULT '',
  route                       TEXT NOT NULL DEFAULT '',
  path                        TEXT NOT NULL DEFAULT '',
  method                      TEXT NOT NULL DEFAULT '',
  status                      INTEGER NOT NULL DEFAULT 0,
  model                       TEXT NOT NULL DEFAULT '',
  credential                  TEXT NOT NULL DEFAULT '',
  input_tokens                INTEGER,
  output_tokens               INTEGER,
  cache_creation_input_tokens INTEGER,
  cache_read_input_tokens     INTEGER,
  cost_usd                    REAL,
  outcome                     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX spend_by_time ON spend (started_at_ms);
CREATE INDEX spend_by_key ON spend (key_id, started_at_ms);
)sql"},
    // A counter bumped by triggers on every key change, so that a key cache in any
    // process can tell with one cheap SELECT whether its snapshot is stale.
    {2, R"sql(
CREATE TABLE key_changes (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO key_changes (id, version) VALUES (1, 1);
CREATE TRIGGER keys_changed_on_insert AFTER INSERT ON keys
  BEGIN UPDATE key_changes SET version = version + 1; END;
CREATE TRIGGER keys_changed_on_update AFTER UPDATE ON keys
  BEGIN UPDATE key_changes SET version = version + 1; END;
CREATE TRIGGER keys_changed_on_delete AFTER DELETE ON keys
  BEGIN UPDATE key_changes SET version = version + 1; END;
)sql"},
    // Spend rows are idempotent by request_id: a batch written again after a commit
    // whose success was never reported adds nothing (INSERT … ON CONFLICT DO
    // NOTHING). Rows already stored twice are made unique first, with a temporary
    // index so that a large table is not scanned once per row: exact copies (the
    // same request written twice) count once; different rows that share an id (not
    // written by passgate, but possible in an edited file) are all kept, the later
    // ones renamed "<request_id>#<id>".
    {3, R"sql(
CREATE INDEX spend_request_id_migration ON spend (request_id);
DELETE FROM spend WHERE EXISTS (
  SELECT 1 FROM spend AS e
  WHERE e.request_id = spend.request_id AND e.id < spend.id
    AND e.started_at_ms IS spend.started_at_ms AND e.duration_ms IS spend.duration_ms
    AND e.ttfb_ms IS spend.ttfb_ms AND e.key_id IS spend.key_id
    AND e.key_alias IS spend.key_alias AND e.route IS spend.route AND e.path IS spend.path
    AND e.method IS spend.method AND e.status IS spend.status AND e.model IS spend.model
    AND e.credential IS spend.credential AND e.input_tokens IS spend.input_tokens
    AND e.output_tokens IS spend.output_tokens
    AND e.cache_creation_input_tokens IS spend.cache_creation_input_tokens
    AND e.cache_read_input_tokens IS spend.cache_read_input_tokens
    AND e.cost_usd IS spend.cost_usd AND e.outcome IS spend.outcome);
UPDATE spend SET request_id = request_id || '#' || id WHERE EXISTS (
  SELECT 1 FROM spend AS e WHERE e.request_id = spend.request_id AND e.id < spend.id);
DROP INDEX spend_request_id_migration;
CREATE UNIQUE INDEX spend_by_request_id ON spend (request_id);
)sql"},
    // Which credential kinds a key's budget counts (and refuses): a JSON array of
    // labels, like allowed_credentials; existing keys count every kind.
    {4, R"sql(
ALTER TABLE keys ADD COLUMN budget_credentials TEXT NOT NULL
  DEFAULT '["oauth","byok","bearer","server","none"]';
)sql"},
    // Attribution: who and what made each request (end user, session, agent,
    // client), indexed for the console's filters; and spend summed per UTC day
    // (and month), key, model, credential, end user and client, so that reports
    // over whole days read the sums instead of every request. Existing rows are
    // summed once here; insert_spend adds each batch's inserted rows (a row
    // skipped as already stored adds nothing), one upsert per group of the batch.
    {5, R"sql(
ALTER TABLE spend ADD COLUMN end_user TEXT NOT NULL DEFAULT '';
ALTER TABLE spend ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
ALTER TABLE spend ADD COLUMN agent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE spend ADD COLUMN client TEXT NOT NULL DEFAULT '';
-- Partial: a row that names no end user or session (most non-Claude Code
-- traffic) costs no insert into these; queries name the index's condition.
CREATE INDEX spend_by_end_user ON spend (end_user, started_at_ms) WHERE end_user <> '';
CREATE INDEX spend_by_session ON spend (session_id, started_at_ms) WHERE session_id <> '';
CREATE TABLE spend_daily (
  day                         TEXT NOT NULL,
  key_id                      TEXT NOT NULL,
  model                       TEXT NOT NULL,
  credential                  TEXT NOT NULL,
  end_user                    TEXT NOT NULL,
  client                      TEXT NOT NULL,
  requests                    INTEGER NOT NULL,
  input_tokens                INTEGER NOT NULL,
  output_tokens               INTEGER NOT NULL,
  cache_creation_input_tokens INTEGER NOT NULL,
  cache_read_input_tokens     INTEGER NOT NULL,
  cost_usd                    REAL NOT NULL,
  unpriced_requests           INTEGER NOT NULL,
  PRIMARY KEY (day, key_id, model, credential, end_user, client)
) WITHOUT ROWID;
INSERT INTO spend_daily
  SELECT strftime('%Y-%m-%d', started_at_ms / 1000, 'unixepoch'), key_id, model, credential, end_user, client,
         COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
         COALESCE(SUM(cache_creation_input_tokens), 0), COALESCE(SUM(cache_read_input_tokens), 0),
         TOTAL(cost_usd), SUM(cost_usd IS NULL)
  FROM spend GROUP BY 1, 2, 3, 4, 5, 6;
-- The same per UTC month ("YYYY-MM"): a year's report reads 12 rows per
-- combination instead of 365.
CREATE TABLE spend_monthly (
  month                       TEXT NOT NULL,
  key_id                      TEXT NOT NULL,
  model                       TEXT NOT NULL,
  credential                  TEXT NOT NULL,
  end_user                    TEXT NOT NULL,
  client                      TEXT NOT NULL,
  requests                    INTEGER NOT NULL,
  input_tokens                INTEGER NOT NULL,
  output_tokens               INTEGER NOT NULL,
  cache_creation_input_tokens INTEGER NOT NULL,
  cache_read_input_tokens     INTEGER NOT NULL,
  cost_usd                    REAL NOT NULL,
  unpriced_requests           INTEGER NOT NULL,
  PRIMARY KEY (month, key_id, model, credential, end_user, client)
) WITHOUT ROWID;
INSERT INTO spend_monthly
  SELECT substr(day, 1, 7), key_id, model, credential, end_user, client, SUM(requests), SUM(input_tokens),
         SUM(output_tokens), SUM(cache_creation_input_tokens), SUM(cache_read_input_tokens), TOTAL(cost_usd),
         SUM(unpriced_requests)
  FROM spend_daily GROUP BY 1, 2, 3, 4, 5, 6;
)sql"},
    // The provider a row's route speaks to (several provider kinds may share a
    // store); every earlier row came from an Anthropic route.
    {6, R"sql(
ALTER TABLE spend ADD COLUMN provider TEXT NOT NULL DEFAULT 'anthropic';
)sql"},
};

// 0: an empty database.
int read_version(connection& c) {
  statement has_table(
      c.get(), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!has_table.step()) return 0;
  statement version(c.get(), "SELECT version FROM schema_version");
  return version.step() ? int(version.int64(0)) : 0;
}

void check_not_newer(int version) {
  if (version > latest_schema_version())
    throw std::runtime_error("sqlite: database schema version " + std::to_string(version) +
                             " is newer than this passgate supports (" +
                             std::to_string(latest_schema_version()) + "); upgrade passgate");
}

void apply(connection& c, const migration& m) {
  write_transaction tx(c);
  c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
         "create schema_version");
  int version = read_version(c);
  check_not_newer(version);
  if (version >= m.version) return;  // another process got there first
  std::string what = "migrate schema to version " + std::to_string(m.version);
  c.exec(m.sql, what);
  c.exec("DELETE FROM schema_version", what);
  statement set(c.get(), "INSERT INTO schema_version (version) VALUES (?)");
  set.bind_int64(1, m.version);
  set.step();
  tx.commit();
}

}  // namespace

int latest_schema_version() { return std::end(migrations)[-1].version; }

void migrate(connection& c) {
  int version = read_version(c);
  check_not_newer(version);
  for (const auto& m : migrations)
    if (m.version > version) apply(c, m);
}

}  // namespace passgate::store::sqlite
