// Spend in the SQLite store: batch inserts are atomic, logs filter and page
// newest first, reports group and sum, unpriced rows are counted.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <iostream>

#include "store/store.hpp"
#include "unit/store/spend_rows.hpp"
#include "unit/store/temp_db_file.hpp"

namespace passgate::store {
namespace {

using namespace test_rows;

using names = std::vector<std::string>;

class SqliteStoreSpend : public ::testing::Test {
 protected:
  void SetUp() override { db_->insert_spend(sample_rows()); }
  names logs(const spend_filter& f, page p = {}) { return ids(db_->spend_logs(f, p)); }

  test::temp_db_file file_;
  std::unique_ptr<store> db_ = open_sqlite(file_.path());
};

TEST_F(SqliteStoreSpend, EveryFieldRoundTripsIncludingNulls) {
  std::cout << "req_1 (all fields set) and req_3 (token and cost fields null) read back equal\n";
  auto expected = sample_rows();
  auto got = db_->spend_logs({}, {});
  ASSERT_EQ(got.size(), 6u);
  for (int n : {1, 3}) {
    const auto& e = expected[n - 1];
    const auto& g = got[6 - n];  // newest first
    expect_same_row(g, e);
  }
  EXPECT_FALSE(got[3].cost_usd);
  EXPECT_FALSE(got[3].ttfb_ms);
}

TEST_F(SqliteStoreSpend, LogsFilterByEachFieldNewestFirst) {
  std::cout << "spend_logs: no filter, then each filter field alone and combined\n";
  EXPECT_EQ(logs({}), (names{"req_6", "req_5", "req_4", "req_3", "req_2", "req_1"}));
  EXPECT_EQ(logs({.key_id = "key_a"}), (names{"req_6", "req_2", "req_1"}));
  EXPECT_EQ(logs({.key_id = ""}), (names{"req_5"}));
  EXPECT_EQ(logs({.model = "claude-sonnet"}), (names{"req_4", "req_3", "req_1"}));
  EXPECT_EQ(logs({.credential = "server"}), (names{"req_4", "req_3"}));
  EXPECT_EQ(logs({.status = 200}), (names{"req_6", "req_4", "req_2", "req_1"}));
  EXPECT_EQ(logs({.from_ms = day2}), (names{"req_6", "req_5", "req_4"}));
  EXPECT_EQ(logs({.to_ms = day2}), (names{"req_3", "req_2", "req_1"}));
  EXPECT_EQ(logs({.from_ms = day1 + 2000, .to_ms = day2 + 2000}),
            (names{"req_4", "req_3", "req_2"}));
  EXPECT_EQ(logs({.key_id = "key_a", .status = 200, .from_ms = day1 + 1500}),
            (names{"req_6", "req_2"}));
  EXPECT_EQ(logs({.key_id = "key_a", .model = "claude-haiku", .credential = "byok"}),
            (names{"req_2"}));
  EXPECT_EQ(logs({.model = "nope"}), names{});
}

TEST_F(SqliteStoreSpend, LogsArePaged) {
  std::cout << "spend_logs pages: offset 1 limit 2, the last partial page, past the end\n";
  EXPECT_EQ(logs({}, {1, 2}), (names{"req_5", "req_4"}));
  EXPECT_EQ(logs({}, {4, 10}), (names{"req_2", "req_1"}));
  EXPECT_EQ(logs({}, {6, 10}), names{});
  EXPECT_EQ(logs({.key_id = "key_a"}, {1, 1}), (names{"req_2"}));
  EXPECT_THROW(db_->spend_logs({}, {0, 0}), std::invalid_argument);
}

void expect_group(const spend_group_row& g, const std::string& name, std::int64_t requests,
                  std::int64_t in, std::int64_t out, std::int64_t cache_creation,
                  std::int64_t cache_read, double cost, std::int64_t unpriced) {
  SCOPED_TRACE("group '" + name + "'");
  EXPECT_EQ(g.group, name);
  EXPECT_EQ(g.requests, requests);
  EXPECT_EQ(g.input_tokens, in);
  EXPECT_EQ(g.output_tokens, out);
  EXPECT_EQ(g.cache_creation_input_tokens, cache_creation);
  EXPECT_EQ(g.cache_read_input_tokens, cache_read);
  EXPECT_NEAR(g.cost_usd, cost, 1e-12);
  EXPECT_EQ(g.unpriced_requests, unpriced);
}

TEST_F(SqliteStoreSpend, ReportGroupsByKey) {
  std::cout << "spend_report by key: anonymous, key_a, key_b with sums and unpriced counts\n";
  auto r = db_->spend_report({}, spend_group::key);
  ASSERT_EQ(r.size(), 3u);
  expect_group(r[0], "", 1, 0, 0, 0, 0, 0.0, 1);
  expect_group(r[1], "key_a", 3, 310, 80, 10, 5, 0.012, 1);
  expect_group(r[2], "key_b", 2, 1000, 500, 0, 300, 0.5, 1);
}

TEST_F(SqliteStoreSpend, ReportGroupsByModel) {
  std::cout << "spend_report by model\n";
  auto r = db_->spend_report({}, spend_group::model);
  ASSERT_EQ(r.size(), 4u);
  expect_group(r[0], "", 1, 0, 0, 0, 0, 0.0, 1);
  expect_group(r[1], "claude-haiku", 1, 200, 20, 0, 0, 0.002, 0);
  expect_group(r[2], "claude-sonnet", 3, 1100, 550, 10, 305, 0.51, 1);
  expect_group(r[3], "mystery-model", 1, 10, 10, 0, 0, 0.0, 1);
}

TEST_F(SqliteStoreSpend, ReportGroupsByCredential) {
  std::cout << "spend_report by credential label\n";
  auto r = db_->spend_report({}, spend_group::credential);
  ASSERT_EQ(r.size(), 4u);
  expect_group(r[0], "byok", 1, 200, 20, 0, 0, 0.002, 0);
  expect_group(r[1], "none", 1, 0, 0, 0, 0, 0.0, 1);
  expect_group(r[2], "oauth", 2, 110, 60, 10, 5, 0.01, 1);
  expect_group(r[3], "server", 2, 1000, 500, 0, 300, 0.5, 1);
}

TEST_F(SqliteStoreSpend, ReportGroupsByUtcDayAndFilters) {
  std::cout << "spend_report by UTC day, whole table and for key_a only; empty filter result\n";
  auto r = db_->spend_report({}, spend_group::day);
  ASSERT_EQ(r.size(), 2u);
  expect_group(r[0], "2024-05-01", 3, 300, 70, 10, 5, 0.012, 1);
  expect_group(r[1], "2024-05-02", 3, 1010, 510, 0, 300, 0.5, 2);

  auto a = db_->spend_report({.key_id = "key_a"}, spend_group::day);
  ASSERT_EQ(a.size(), 2u);
  expect_group(a[0], "2024-05-01", 2, 300, 70, 10, 5, 0.012, 0);
  expect_group(a[1], "2024-05-02", 1, 10, 10, 0, 0, 0.0, 1);

  EXPECT_TRUE(db_->spend_report({.model = "nope"}, spend_group::key).empty());
}

TEST_F(SqliteStoreSpend, KeySpendSumsKnownCostsSince) {
  std::cout << "key_spend_usd sums known costs from from_ms on\n";
  EXPECT_NEAR(db_->key_spend_usd("key_a", 0), 0.012, 1e-12);
  EXPECT_NEAR(db_->key_spend_usd("key_a", day1 + 1500), 0.002, 1e-12);
  EXPECT_NEAR(db_->key_spend_usd("key_b", day2), 0.5, 1e-12);
  EXPECT_EQ(db_->key_spend_usd("key_a", day2 + 1), 0.0);
  EXPECT_EQ(db_->key_spend_usd("key_nope", 0), 0.0);
}

TEST_F(SqliteStoreSpend, BatchIsOneTransaction) {
  std::cout << "a batch whose last row fails leaves none of its rows behind\n";
  // A trigger installed behind the store's back makes one row fail.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file_.path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TRIGGER refuse_boom BEFORE INSERT ON spend "
                         "WHEN NEW.request_id = 'req_boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);

  auto good = row(7, day2 + 5000, "key_a", "claude-haiku", "oauth", 200);
  auto bad = good;
  bad.request_id = "req_boom";
  EXPECT_THROW(db_->insert_spend({good, bad}), std::runtime_error);
  EXPECT_EQ(db_->spend_logs({}, {}).size(), 6u);

  db_->insert_spend({good});
  EXPECT_EQ(logs({}, {0, 1}), (names{"req_7"}));
}

TEST_F(SqliteStoreSpend, SameRequestIdTwiceIsOneRow) {
  std::cout << "a row whose request_id is stored already is skipped, alone or inside a batch; "
               "the first version stays\n";
  auto again = sample_rows()[0];  // req_1
  again.cost_usd = 99.0;
  db_->insert_spend({again});
  EXPECT_EQ(db_->spend_logs({}, {}).size(), 6u);
  auto fresh = row(8, day2 + 9000, "key_a", "claude-haiku", "oauth", 200);
  db_->insert_spend({fresh, again, fresh});
  EXPECT_EQ(db_->spend_logs({}, {}).size(), 7u);
  EXPECT_EQ(logs({.key_id = "key_a"}), (names{"req_8", "req_6", "req_2", "req_1"}));
  EXPECT_NEAR(db_->key_spend_usd("key_a", 0), 0.012, 1e-12) << "req_1 still costs 0.01, not 99";
}

}  // namespace
}  // namespace passgate::store
