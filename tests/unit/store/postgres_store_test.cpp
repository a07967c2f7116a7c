// Keys and spend in the PostgreSQL store, against a throwaway server: every key
// field round-trips, spend inserts are idempotent and keep the daily sums exact,
// reports from the daily sums equal reports from the rows (and SQLite's), logs
// filter and page as SQLite's do, and copy_store moves a SQLite store over,
// twice without duplicates.
#include <gtest/gtest.h>
#include <map>

#include <algorithm>
#include <iostream>

#include "store/copy_store.hpp"
#include "store/store.hpp"
#include "support/postgres_instance.hpp"
#include "unit/store/spend_rows.hpp"
#include "unit/store/temp_db_file.hpp"

namespace passgate::store {
namespace {

using policy::credential_label;

void say(const std::string& what) { std::cout << "checks: " << what << std::endl; }

constexpr std::int64_t day3 = test_rows::day2 + 86'400'000;

std::string fake_hash(int n) {
  std::string h = std::to_string(n);
  return std::string(64 - h.size(), 'a') + h;
}

auth::key_record plain_key(int n, std::int64_t created_at = 1'700'000'000) {
  auth::key_record r;
  r.key_id = "key_" + std::to_string(1000 + n);
  r.key_prefix = "sk-pg-" + std::to_string(n) + "…";
  r.key_hash = fake_hash(n);
  r.created_at = created_at;
  return r;
}

auth::key_record full_key() {
  auto r = plain_key(1);
  r.key_alias = "ci-bot";
  r.expires_at = 1'900'000'000;
  r.is_master = true;
  r.allowed_routes = {"anthropic", "openai"};
  r.allowed_credentials = {};
  r.allowed_credentials.add(credential_label::oauth);
  r.allowed_credentials.add(credential_label::byok);
  r.budget_credentials = {};
  r.budget_credentials.add(credential_label::server);
  r.max_budget = 12.5;
  r.budget_duration = "30d";
  r.rpm_limit = 60;
  r.tpm_limit = 100000;
  r.max_parallel_requests = 4;
  r.metadata_json = R"({"team":"infra"})";
  return r;
}

void expect_same_key(const auth::key_record& a, const auth::key_record& b) {
  EXPECT_EQ(a.key_id, b.key_id);
  EXPECT_EQ(a.key_alias, b.key_alias);
  EXPECT_EQ(a.key_prefix, b.key_prefix);
  EXPECT_EQ(a.key_hash, b.key_hash);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.expires_at, b.expires_at);
  EXPECT_EQ(a.revoked, b.revoked);
  EXPECT_EQ(a.is_master, b.is_master);
  EXPECT_EQ(a.allowed_routes, b.allowed_routes);
  EXPECT_EQ(a.allowed_credentials, b.allowed_credentials);
  EXPECT_EQ(a.budget_credentials, b.budget_credentials);
  EXPECT_EQ(a.max_budget, b.max_budget);
  EXPECT_EQ(a.budget_duration, b.budget_duration);
  EXPECT_EQ(a.rpm_limit, b.rpm_limit);
  EXPECT_EQ(a.tpm_limit, b.tpm_limit);
  EXPECT_EQ(a.max_parallel_requests, b.max_parallel_requests);
  EXPECT_EQ(a.metadata_json, b.metadata_json);
}

using namespace test_rows;
using names = std::vector<std::string>;

void expect_same_report(const std::vector<spend_group_row>& a, const std::vector<spend_group_row>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("group " + a[i].group);
    EXPECT_EQ(a[i].group, b[i].group);
    EXPECT_EQ(a[i].requests, b[i].requests);
    EXPECT_EQ(a[i].input_tokens, b[i].input_tokens);
    EXPECT_EQ(a[i].output_tokens, b[i].output_tokens);
    EXPECT_EQ(a[i].cache_creation_input_tokens, b[i].cache_creation_input_tokens);
    EXPECT_EQ(a[i].cache_read_input_tokens, b[i].cache_read_input_tokens);
    EXPECT_NEAR(a[i].cost_usd, b[i].cost_usd, 1e-9);
    EXPECT_EQ(a[i].unpriced_requests, b[i].unpriced_requests);
  }
}

class PostgresStore : public ::testing::Test {
 protected:
  names logs(const spend_filter& f, page p = {}) { return ids(db_->spend_logs(f, p)); }

  std::string url_ = test::shared_postgres().create_database(test::unique_db_name("store"));
  std::unique_ptr<store> db_ = open_postgres(url_);
};

TEST_F(PostgresStore, KeysRoundTripListUpdateRevokeAndVersion) {
  say("keys: every field round-trips by hash and id; list pages oldest first; update keeps hash; "
      "revoke by id and hash; keys_version moves on each change only");
  EXPECT_EQ(db_->schema_version(), 4);
  EXPECT_EQ(db_->describe().rfind("postgres 127.0.0.1:", 0), 0u) << db_->describe();
  auto v0 = db_->keys_version();
  auto full = full_key();
  db_->insert_key(full);
  db_->insert_key(plain_key(2, 1'600'000'000));
  db_->insert_key(plain_key(3, 1'800'000'000));
  auto v1 = db_->keys_version();
  EXPECT_GT(v1, v0);

  auto by_hash = db_->find_key_by_hash(full.key_hash);
  ASSERT_TRUE(by_hash);
  expect_same_key(*by_hash, full);
  auto by_id = db_->find_key_by_id(full.key_id);
  ASSERT_TRUE(by_id);
  expect_same_key(*by_id, full);
  auto plain = db_->find_key_by_id("key_1002");
  ASSERT_TRUE(plain);
  expect_same_key(*plain, plain_key(2, 1'600'000'000));
  EXPECT_FALSE(db_->find_key_by_hash(fake_hash(99)));
  EXPECT_FALSE(db_->find_key_by_id("key_nope"));

  auto all = db_->list_keys({0, 10});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key_id, "key_1002");
  EXPECT_EQ(all[1].key_id, "key_1001");
  EXPECT_EQ(all[2].key_id, "key_1003");
  auto second = db_->list_keys({1, 1});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].key_id, "key_1001");
  EXPECT_THROW(db_->list_keys({0, 0}), std::invalid_argument);

  auto changed = full;
  changed.key_alias = "renamed";
  changed.rpm_limit = std::nullopt;
  changed.max_budget = 0.1;
  changed.allowed_credentials = policy::label_set::all();
  changed.key_hash = fake_hash(77);  // ignored: update keeps the stored hash
  EXPECT_TRUE(db_->update_key(changed));
  auto after = db_->find_key_by_id(full.key_id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->key_alias, "renamed");
  EXPECT_EQ(after->rpm_limit, std::nullopt);
  EXPECT_EQ(after->max_budget, 0.1);
  EXPECT_TRUE(after->allowed_credentials.is_all());
  EXPECT_EQ(after->key_hash, full.key_hash);
  auto v2 = db_->keys_version();
  EXPECT_GT(v2, v1);
  auto missing = plain_key(50);
  EXPECT_FALSE(db_->update_key(missing));
  EXPECT_EQ(db_->keys_version(), v2) << "an update that changes no row is no change";

  EXPECT_TRUE(db_->revoke_key_by_id("key_1002"));
  EXPECT_TRUE(db_->find_key_by_id("key_1002")->revoked);
  EXPECT_TRUE(db_->revoke_key_by_hash(fake_hash(3)));
  EXPECT_TRUE(db_->find_key_by_id("key_1003")->revoked);
  EXPECT_FALSE(db_->revoke_key_by_id("key_nope"));
  EXPECT_FALSE(db_->revoke_key_by_hash(fake_hash(99)));
  EXPECT_GT(db_->keys_version(), v2);
}

TEST_F(PostgresStore, AKeywordConnectionStringWorksLikeAUri) {
  say("open_postgres with a keyword string (host= port= dbname= user=) reaches the same database");
  db_->insert_key(plain_key(1));
  auto& server = test::shared_postgres();
  std::string db_name = url_.substr(url_.rfind('/') + 1);
  auto other = open_postgres("host=127.0.0.1 port=" + std::to_string(server.port()) + " dbname=" + db_name +
                             " user=passgate application_name=mine");
  EXPECT_EQ(other->describe(), "postgres 127.0.0.1:" + std::to_string(server.port()) + "/" + db_name);
  EXPECT_TRUE(other->find_key_by_id("key_1001"));
}

TEST_F(PostgresStore, DuplicateKeyIsAClearErrorWithoutTheHash) {
  say("a second key with the same id or the same hash: runtime_error 'already exists', the hash not in it");
  db_->insert_key(plain_key(1));
  auto same_id = plain_key(2);
  same_id.key_id = "key_1001";
  auto same_hash = plain_key(3);
  same_hash.key_hash = fake_hash(1);
  for (const auto& k : {same_id, same_hash}) {
    try {
      db_->insert_key(k);
      ADD_FAILURE() << "no error for " << k.key_id;
    } catch (const unavailable& e) {
      ADD_FAILURE() << "unavailable: " << e.what();
    } catch (const std::runtime_error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("a key with this id or hash already exists"), std::string::npos) << msg;
      EXPECT_EQ(msg.find(k.key_hash), std::string::npos) << msg;
      EXPECT_EQ(msg.find(fake_hash(1)), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(db_->list_keys({0, 10}).size(), 1u);
}

TEST_F(PostgresStore, SpendInsertIsIdempotentAndKeepsDailySumsExact) {
  say("the same batch twice, and a batch mixing stored and new rows (one twice): each request "
      "counted once in the rows and in the daily sums; the first version of a row stays");
  db_->insert_spend(sample_rows());
  db_->insert_spend(sample_rows());
  auto again = sample_rows()[0];
  again.cost_usd = 99.0;
  auto fresh = row(7, day2 + 9000, "key_a", "claude-haiku", "oauth", 200);
  set_tokens(fresh, 1, 2, 3, 4, 0.25);
  db_->insert_spend({fresh, again, fresh});
  EXPECT_EQ(logs({}).size(), 7u);

  // All day-aligned: from the daily sums; from_ms one ms early: from the rows.
  auto daily = db_->spend_report({}, spend_group::key);
  auto rows = db_->spend_report({.from_ms = day1 - 1}, spend_group::key);
  expect_same_report(daily, rows);
  ASSERT_EQ(daily.size(), 3u);
  EXPECT_EQ(daily[1].group, "key_a");
  EXPECT_EQ(daily[1].requests, 4);
  EXPECT_EQ(daily[1].input_tokens, 311);
  EXPECT_EQ(daily[1].cache_read_input_tokens, 9);
  EXPECT_NEAR(daily[1].cost_usd, 0.262, 1e-12);
  EXPECT_EQ(daily[1].unpriced_requests, 1);
}

TEST_F(PostgresStore, ReportsFromDailySumsEqualReportsFromRowsAndSqlite) {
  say("for each grouping and several filters, day-aligned reports (daily sums) equal non-aligned "
      "ones over the same rows and SQLite's report of the same data");
  test::temp_db_file file;
  auto lite = open_sqlite(file.path());
  auto data = sample_rows();
  // More rows, written in several batches, so that the daily sums add up.
  for (int n = 10; n < 40; ++n) {
    auto r = row(n, day1 + n * 3'600'000, n % 3 ? "key_a" : "key_b", n % 2 ? "claude-sonnet" : "claude-haiku",
                 n % 4 ? "oauth" : "server", 200);
    set_tokens(r, n, 2 * n, n % 5 ? std::optional<std::int64_t>(n) : std::nullopt, 1,
               n % 7 ? std::optional<double>(n * 0.001) : std::nullopt);
    data.push_back(r);
  }
  for (std::size_t i = 0; i < data.size(); i += 7) {
    std::vector<usage::spend_record> batch(data.begin() + i, data.begin() + std::min(data.size(), i + 7));
    db_->insert_spend(batch);
    lite->insert_spend(batch);
  }
  struct pair {
    spend_filter aligned, unaligned;
  };
  std::vector<pair> filters = {
      {{}, {.from_ms = 0}},
      {{.from_ms = day2}, {.from_ms = day2 - 1}},
      {{.to_ms = day2}, {.to_ms = day2 - 1}},
      {{.from_ms = day1, .to_ms = day3}, {.from_ms = day1 - 5, .to_ms = day3 - 5}},
      {{.key_id = "key_a", .from_ms = day2}, {.key_id = "key_a", .from_ms = day2 - 1}},
      {{.model = "claude-sonnet", .credential = "server"}, {.model = "claude-sonnet", .credential = "server", .to_ms = day3 * 2 + 1}},
  };
  for (auto g : {spend_group::key, spend_group::model, spend_group::credential, spend_group::day}) {
    for (std::size_t i = 0; i < filters.size(); ++i) {
      SCOPED_TRACE("group " + std::to_string(int(g)) + " filter " + std::to_string(i));
      auto aligned = db_->spend_report(filters[i].aligned, g);
      EXPECT_FALSE(aligned.empty());
      expect_same_report(aligned, db_->spend_report(filters[i].unaligned, g));
      expect_same_report(aligned, lite->spend_report(filters[i].aligned, g));
    }
  }
  // A status filter cannot use the daily sums: still right.
  expect_same_report(db_->spend_report({.status = 200}, spend_group::day),
                     lite->spend_report({.status = 200}, spend_group::day));
  auto days = db_->spend_report({}, spend_group::day);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].group, "2024-05-01");
  EXPECT_EQ(days[1].group, "2024-05-02");
}

TEST_F(PostgresStore, MonthlyAndDailySumsAnswerAsSqliteAcrossMonthsWithSplitsAndKeyset) {
  say("rows over four months: reports whose ranges start and end inside months (monthly + daily sums), by "
      "hour and by session (rows), split by a second dimension, equal SQLite's; keyset pages equal SQLite's");
  test::temp_db_file file;
  auto lite = open_sqlite(file.path());
  const std::int64_t jan1 = 1'704'067'200'000, day = 86'400'000;
  std::vector<usage::spend_record> data;
  int n = 0;
  for (std::int64_t t = jan1 + 9 * day; t < jan1 + 115 * day; t += 5 * 3'600'000, ++n) {
    auto r = row(1000 + n, t, n % 3 ? "key_a" : "key_b", n % 2 ? "claude-sonnet" : "claude-haiku",
                 n % 4 ? "server" : "oauth", 200);
    set_tokens(r, n, 2 * n, std::nullopt, 1, n % 7 ? std::optional<double>(n * 0.001) : std::nullopt);
    r.end_user = n % 2 ? "alice" : "bob";
    r.client = n % 5 ? "claude-cli/2.1.3" : "Anthropic/JS 0.60.0";
    r.session_id = "s" + std::to_string(n / 10);
    data.push_back(r);
  }
  db_->insert_spend(data);
  lite->insert_spend(data);
  std::vector<spend_filter> filters = {{},
                                       {.from_ms = jan1 + 15 * day, .to_ms = jan1 + 100 * day},
                                       {.from_ms = jan1 + 31 * day, .to_ms = jan1 + 91 * day},
                                       {.from_ms = jan1 + 40 * day},
                                       {.to_ms = jan1 + 70 * day},
                                       {.key_id = "key_a", .from_ms = jan1 + 20 * day, .to_ms = jan1 + 80 * day}};
  for (auto g : {spend_group::key, spend_group::model, spend_group::end_user, spend_group::client,
                 spend_group::day, spend_group::hour, spend_group::session_id})
    for (std::optional<spend_group> split : {std::optional<spend_group>(), std::optional(spend_group::credential)})
      for (std::size_t i = 0; i < filters.size(); ++i) {
        SCOPED_TRACE("group " + std::to_string(int(g)) + " filter " + std::to_string(i));
        auto pg = db_->spend_report(filters[i], g, split);
        EXPECT_FALSE(pg.empty());
        expect_same_report(pg, lite->spend_report(filters[i], g, split));
        for (std::size_t k = 0; k < std::min(pg.size(), std::size_t(3)); ++k) {
          auto l = lite->spend_report(filters[i], g, split);
          EXPECT_EQ(pg[k].split, l[k].split);
        }
      }
  say("keyset paging: the same pages, in the same order, from both stores");
  spend_filter f;
  std::vector<std::string> pg_ids, lite_ids;
  for (auto* st : {db_.get(), lite.get()}) {
    spend_filter cur;
    auto& out = st == db_.get() ? pg_ids : lite_ids;
    for (;;) {
      auto page_rows = st->spend_logs(cur, {0, 37});
      if (page_rows.empty()) break;
      for (const auto& r : page_rows) out.push_back(r.request_id);
      cur.before = spend_cursor{page_rows.back().started_at_ms, page_rows.back().row_id};
    }
  }
  EXPECT_EQ(pg_ids.size(), data.size());
  EXPECT_EQ(pg_ids, lite_ids);
}

TEST_F(PostgresStore, LogsFilterAndPageNewestFirstAsSqlite) {
  say("spend_logs: each filter alone and combined, newest first, paged; every field reads back");
  db_->insert_spend(sample_rows());
  EXPECT_EQ(logs({}), (names{"req_6", "req_5", "req_4", "req_3", "req_2", "req_1"}));
  EXPECT_EQ(logs({.key_id = "key_a"}), (names{"req_6", "req_2", "req_1"}));
  EXPECT_EQ(logs({.key_id = ""}), (names{"req_5"}));
  EXPECT_EQ(logs({.model = "claude-sonnet"}), (names{"req_4", "req_3", "req_1"}));
  EXPECT_EQ(logs({.credential = "server"}), (names{"req_4", "req_3"}));
  EXPECT_EQ(logs({.status = 200}), (names{"req_6", "req_4", "req_2", "req_1"}));
  EXPECT_EQ(logs({.from_ms = day2}), (names{"req_6", "req_5", "req_4"}));
  EXPECT_EQ(logs({.to_ms = day2}), (names{"req_3", "req_2", "req_1"}));
  EXPECT_EQ(logs({.key_id = "key_a", .status = 200, .from_ms = day1 + 1500}), (names{"req_6", "req_2"}));
  EXPECT_EQ(logs({}, {1, 2}), (names{"req_5", "req_4"}));
  EXPECT_EQ(logs({}, {6, 10}), names{});
  EXPECT_EQ(logs({.key_id = "key_a"}, {1, 1}), (names{"req_2"}));
  EXPECT_THROW(db_->spend_logs({}, {0, 0}), std::invalid_argument);

  auto expected = sample_rows();
  auto got = db_->spend_logs({}, {});
  for (int n : {1, 2, 3}) {
    const auto& e = expected[n - 1];
    const auto& g = got[6 - n];
    expect_same_row(g, e);
  }
}

TEST_F(PostgresStore, KeySpendSumsKnownCostsSinceForTheLabels) {
  say("key_spend_usd: known costs from from_ms on, all labels or only the given ones");
  db_->insert_spend(sample_rows());
  EXPECT_NEAR(db_->key_spend_usd("key_a", 0), 0.012, 1e-12);
  EXPECT_NEAR(db_->key_spend_usd("key_a", day1 + 1500), 0.002, 1e-12);
  EXPECT_NEAR(db_->key_spend_usd("key_b", day2), 0.5, 1e-12);
  EXPECT_EQ(db_->key_spend_usd("key_a", day2 + 1), 0.0);
  EXPECT_EQ(db_->key_spend_usd("key_nope", 0), 0.0);
  policy::label_set oauth;
  oauth.add(credential_label::oauth);
  EXPECT_NEAR(db_->key_spend_usd("key_a", 0, oauth), 0.01, 1e-12);
  policy::label_set byok_server;
  byok_server.add(credential_label::byok);
  byok_server.add(credential_label::server);
  EXPECT_NEAR(db_->key_spend_usd("key_a", 0, byok_server), 0.002, 1e-12);
  EXPECT_EQ(db_->key_spend_usd("key_a", 0, policy::label_set{}), 0.0);
}

TEST_F(PostgresStore, SpendInOrderPagesByInsertion) {
  say("spend_in_order: pages of 4 in the order stored (not by time), cursor moves, empty at the end");
  auto rows = sample_rows();
  std::reverse(rows.begin(), rows.end());
  db_->insert_spend({rows[0], rows[1], rows[2]});
  db_->insert_spend({rows[3], rows[4], rows[5]});
  std::int64_t cursor = 0;
  auto first = db_->spend_in_order(cursor, 4);
  EXPECT_EQ(ids(first), (names{"req_6", "req_5", "req_4", "req_3"}));
  auto second = db_->spend_in_order(cursor, 4);
  EXPECT_EQ(ids(second), (names{"req_2", "req_1"}));
  EXPECT_TRUE(db_->spend_in_order(cursor, 4).empty());
  db_->insert_spend({row(9, day1, "key_a", "m", "oauth", 200)});
  EXPECT_EQ(ids(db_->spend_in_order(cursor, 4)), (names{"req_9"}));
}

TEST_F(PostgresStore, HostileTextInASpendRowIsKeptWithReplacementCharacters) {
  say("a row whose model and path hold NUL, a lone continuation byte and a cut sequence is stored (bytes "
      "become U+FFFD) and does not fail its batch; the good row beside it is stored too");
  auto bad = row(1, day1, "key_a", std::string("claude\0x\xff\x80", 10), "server", 200);
  bad.path = "/v1/\xc3";
  auto good = row(2, day1, "key_a", "claude-ok", "server", 200);
  db_->insert_spend({bad, good});
  auto rows = db_->spend_logs({}, {0, 10});
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string, usage::spend_record> by_id;
  for (auto& r : rows) by_id[r.request_id] = r;
  EXPECT_EQ(by_id["req_1"].model, "claude\xEF\xBF\xBDx\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(by_id["req_1"].path, "/v1/\xEF\xBF\xBD");
  EXPECT_EQ(by_id["req_2"].model, "claude-ok");
  say("valid multi-byte text and quotes pass unchanged");
  auto fine = row(3, day1, "key_a", "mod\xC3\xA9le \"q\" \\ \xF0\x9F\x98\x80", "server", 200);
  db_->insert_spend({fine});
  EXPECT_EQ(db_->spend_logs({.model = fine.model}, {0, 10}).size(), 1u);
}

TEST_F(PostgresStore, AValueTooLargeToIndexIsRejectedNotUnavailable) {
  say("a row whose end user is too large for an index entry: store::rejected (the writer sets the row aside), "
      "not store::unavailable (which it would retry forever)");
  auto r = row(1, day1, "key_a", "m", "server", 200);
  std::string big;
  std::uint64_t x = 88172645463325252ull;  // xorshift: letters that do not compress below the limit
  for (int i = 0; i < 8000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    big += char('!' + x % 90);
  }
  r.end_user = big;
  EXPECT_THROW(db_->insert_spend({r}), rejected);
  EXPECT_TRUE(db_->spend_logs({}, {0, 10}).empty());
}

TEST_F(PostgresStore, CopyFromSqliteTwiceAddsNothingTheSecondTime) {
  say("copy_store SQLite -> PostgreSQL: keys and 2500 spend rows copied; a second run adds no row "
      "and carries a revocation made meanwhile; reports equal SQLite's");
  test::temp_db_file file;
  auto lite = open_sqlite(file.path());
  lite->insert_key(full_key());
  for (int n = 2; n <= 4; ++n) lite->insert_key(plain_key(n, 1'700'000'000 + n));
  lite->revoke_key_by_id("key_1003");
  std::vector<usage::spend_record> rows;
  for (int n = 0; n < 2500; ++n) {
    auto r = row(n, day1 + n * 60'000, n % 2 ? "key_1001" : "key_1002", "claude-sonnet", "oauth", 200);
    set_tokens(r, n, n, std::nullopt, 1, n % 10 ? std::optional<double>(n * 1e-4) : std::nullopt);
    rows.push_back(r);
  }
  lite->insert_spend(rows);
  EXPECT_EQ(lite->schema_version(), 6);
  EXPECT_EQ(lite->describe(), "sqlite " + file.path());

  std::int64_t last_progress = 0;
  auto first = copy_store(*lite, *db_, [&](std::int64_t n) { last_progress = n; });
  EXPECT_EQ(first.keys_added, 4);
  EXPECT_EQ(first.keys_updated, 0);
  EXPECT_EQ(first.spend_rows, 2500);
  EXPECT_EQ(last_progress, 2500);
  EXPECT_TRUE(db_->find_key_by_id("key_1003")->revoked);
  expect_same_key(*db_->find_key_by_id("key_1001"), full_key());

  lite->revoke_key_by_hash(fake_hash(4));
  auto second = copy_store(*lite, *db_);
  EXPECT_EQ(second.keys_added, 0);
  EXPECT_EQ(second.keys_updated, 4);
  EXPECT_EQ(second.spend_rows, 2500);
  EXPECT_TRUE(db_->find_key_by_id("key_1004")->revoked);
  EXPECT_EQ(db_->list_keys({0, 100}).size(), 4u);

  std::int64_t cursor = 0, count = 0;
  for (auto page = db_->spend_in_order(cursor, 1000); !page.empty(); page = db_->spend_in_order(cursor, 1000))
    count += std::int64_t(page.size());
  EXPECT_EQ(count, 2500);
  for (auto g : {spend_group::key, spend_group::day})
    expect_same_report(db_->spend_report({}, g), lite->spend_report({}, g));
}

}  // namespace
}  // namespace passgate::store
