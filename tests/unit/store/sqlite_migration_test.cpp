// Schema migration at open: an older database is brought up to date with its rows
// kept, a current one is left alone, a newer one is refused.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <iostream>

#include "store/sqlite_schema.hpp"
#include "store/store.hpp"
#include "unit/store/temp_db_file.hpp"

namespace passgate::store {
namespace {

// What a passgate with schema version 1 wrote: keys and spend, but no key_changes
// counter and no triggers. A frozen copy: it must not follow later edits.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
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
INSERT INTO keys (key_id, key_alias, key_prefix, key_hash, created_at, allowed_routes,
                  allowed_credentials, max_budget, rpm_limit)
  VALUES ('key_old', 'legacy', 'sk-pg-old…',
          'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 1700000000,
          '["anthropic"]', '["byok"]', 5.0, 30);
INSERT INTO spend (request_id, started_at_ms, duration_ms, key_id, status, model, credential,
                   input_tokens, cost_usd, outcome)
  VALUES ('req_old', 1714521600000, 120, 'key_old', 200, 'claude-haiku', 'byok', 12, 0.25, 'ok');
)sql";

void exec_raw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

std::int64_t schema_version_of(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &s, nullptr);
  std::int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

TEST(SqliteMigration, Version1DatabaseIsMigratedWithRowsKept) {
  std::cout << "a version-1 file with a key and a spend row opens at the latest version, rows "
               "intact, key changes now counted\n";
  test::temp_db_file file;
  exec_raw(file.path(), schema_v1);
  ASSERT_EQ(schema_version_of(file.path()), 1);

  auto db = open_sqlite(file.path());
  EXPECT_EQ(schema_version_of(file.path()), sqlite::latest_schema_version());

  auto key = db->find_key_by_id("key_old");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->key_alias, "legacy");
  EXPECT_EQ(key->allowed_routes, std::vector<std::string>{"anthropic"});
  EXPECT_EQ(key->allowed_credentials.describe(), "byok");
  EXPECT_EQ(key->max_budget, 5.0);
  EXPECT_EQ(key->rpm_limit, 30);
  EXPECT_FALSE(key->tpm_limit);
  EXPECT_EQ(key->metadata_json, "{}");

  auto logs = db->spend_logs({}, {});
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].request_id, "req_old");
  EXPECT_EQ(logs[0].cost_usd, 0.25);
  EXPECT_EQ(logs[0].input_tokens, 12);
  EXPECT_EQ(db->key_spend_usd("key_old", 0), 0.25);

  auto v = db->keys_version();
  EXPECT_TRUE(db->revoke_key_by_id("key_old"));
  EXPECT_NE(db->keys_version(), v) << "the version-2 triggers must fire on migrated rows";
}

TEST(SqliteMigration, DuplicateRequestIdsAreMadeUniqueWithoutLosingRequests) {
  std::cout << "a version-1 file where one request was stored twice and two different rows share "
               "an id: the copy goes, the different row is kept renamed, and request_id is unique "
               "from then on\n";
  test::temp_db_file file;
  exec_raw(file.path(), schema_v1);
  exec_raw(file.path(), R"sql(
INSERT INTO spend (request_id, started_at_ms, duration_ms, key_id, status, model, credential,
                   input_tokens, cost_usd, outcome)
  VALUES ('req_old', 1714521600000, 120, 'key_old', 200, 'claude-haiku', 'byok', 12, 0.25, 'ok'),
         ('req_twin', 1714521700000, 5, 'key_old', 200, 'claude-haiku', 'byok', NULL, NULL, 'ok'),
         ('req_twin', 1714521800000, 7, 'key_old', 529, 'claude-haiku', 'byok', NULL, NULL, 'upstream_error');
)sql");
  auto db = open_sqlite(file.path());
  EXPECT_EQ(schema_version_of(file.path()), sqlite::latest_schema_version());
  auto logs = db->spend_logs({}, {});
  std::vector<std::string> ids;
  for (const auto& r : logs) ids.push_back(r.request_id);
  // Newest first; the renamed twin is the later row (id 4).
  EXPECT_EQ(ids, (std::vector<std::string>{"req_twin#4", "req_twin", "req_old"}));
  EXPECT_EQ(db->key_spend_usd("key_old", 0), 0.25) << "the exact copy no longer counts twice";

  usage::spend_record again;
  again.request_id = "req_old";
  again.started_at_ms = 1;
  db->insert_spend({again});
  EXPECT_EQ(db->spend_logs({}, {}).size(), 3u);
}

TEST(SqliteMigration, ReopeningACurrentDatabaseChangesNothing) {
  std::cout << "closing and reopening keeps rows, schema version and keys_version\n";
  test::temp_db_file file;
  std::int64_t version = 0;
  {
    auto db = open_sqlite(file.path());
    auth::key_record r;
    r.key_id = "key_1";
    r.key_hash = std::string(64, 'c');
    db->insert_key(r);
    version = db->keys_version();
  }
  auto db = open_sqlite(file.path());
  EXPECT_TRUE(db->find_key_by_id("key_1"));
  EXPECT_EQ(db->keys_version(), version);
  EXPECT_EQ(schema_version_of(file.path()), sqlite::latest_schema_version());
}

TEST(SqliteMigration, NewerDatabaseIsRefused) {
  std::cout << "a file at a schema version from the future is refused with a clear message\n";
  test::temp_db_file file;
  open_sqlite(file.path());
  exec_raw(file.path(), "UPDATE schema_version SET version = 99");
  try {
    open_sqlite(file.path());
    ADD_FAILURE() << "opened a version-99 database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99 is newer"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace passgate::store
