// Keys in the SQLite store: every field round-trips, paging, update, revoke,
// expiry, and keys_version as seen from this and a second connection.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include "store/store.hpp"
#include "unit/store/temp_db_file.hpp"

namespace passgate::store {
namespace {

using policy::credential_label;

// A distinct, well-formed hash per n (the store treats it as opaque text).
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
  EXPECT_EQ(a.allowed_credentials.describe(), b.allowed_credentials.describe());
  EXPECT_EQ(a.max_budget, b.max_budget);
  EXPECT_EQ(a.budget_duration, b.budget_duration);
  EXPECT_EQ(a.rpm_limit, b.rpm_limit);
  EXPECT_EQ(a.tpm_limit, b.tpm_limit);
  EXPECT_EQ(a.max_parallel_requests, b.max_parallel_requests);
  EXPECT_EQ(a.metadata_json, b.metadata_json);
}

class SqliteStoreKeys : public ::testing::Test {
 protected:
  test::temp_db_file file_;
  std::unique_ptr<store> db_ = open_sqlite(file_.path());
};

TEST_F(SqliteStoreKeys, EveryFieldRoundTripsByHashAndById) {
  std::cout << "insert a key with every field set and one with defaults; read both back\n";
  auto full = full_key();
  auto plain = plain_key(2);
  db_->insert_key(full);
  db_->insert_key(plain);

  auto by_hash = db_->find_key_by_hash(full.key_hash);
  ASSERT_TRUE(by_hash);
  expect_same_key(*by_hash, full);
  EXPECT_EQ(by_hash->allowed_credentials.describe(), "oauth, byok");

  auto by_id = db_->find_key_by_id(plain.key_id);
  ASSERT_TRUE(by_id);
  expect_same_key(*by_id, plain);
  EXPECT_TRUE(by_id->allowed_credentials.is_all());
  EXPECT_TRUE(by_id->allowed_routes.empty());
  EXPECT_FALSE(by_id->expires_at);
}

TEST_F(SqliteStoreKeys, EmptyCredentialSetRoundTrips) {
  std::cout << "a key allowed no credential label at all stays that way\n";
  auto r = plain_key(3);
  r.allowed_credentials = {};
  db_->insert_key(r);
  EXPECT_TRUE(db_->find_key_by_id(r.key_id)->allowed_credentials.empty());
}

TEST_F(SqliteStoreKeys, MissingKeyIsNullopt) {
  std::cout << "unknown hash and id find nothing\n";
  db_->insert_key(plain_key(1));
  EXPECT_FALSE(db_->find_key_by_hash(fake_hash(2)));
  EXPECT_FALSE(db_->find_key_by_id("key_nope"));
}

TEST_F(SqliteStoreKeys, DuplicateIdOrHashIsRefused) {
  std::cout << "a second key with the same id, or with the same hash, throws\n";
  db_->insert_key(plain_key(1));
  auto same_hash = plain_key(1);
  same_hash.key_id = "key_other";
  auto same_id = plain_key(2);
  same_id.key_id = plain_key(1).key_id;
  for (const auto& dup : {same_hash, same_id}) {
    try {
      db_->insert_key(dup);
      ADD_FAILURE() << "duplicate accepted: " << dup.key_id;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(db_->list_keys({0, 10}).size(), 1u);
}

TEST_F(SqliteStoreKeys, ListKeysPagesThroughAllInCreationOrder) {
  std::cout << "25 keys listed 10 at a time: pages of 10, 10, 5, oldest first, none twice\n";
  for (int i = 0; i < 25; ++i) db_->insert_key(plain_key(i, 1'700'000'000 + (24 - i)));
  std::vector<std::size_t> sizes;
  std::vector<std::int64_t> created;
  std::set<std::string> ids;
  for (page p{0, 10};; p.offset += p.limit) {
    auto keys = db_->list_keys(p);
    sizes.push_back(keys.size());
    for (const auto& k : keys) {
      created.push_back(k.created_at);
      ids.insert(k.key_id);
    }
    if (std::int64_t(keys.size()) < p.limit) break;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(ids.size(), 25u);
  EXPECT_TRUE(std::is_sorted(created.begin(), created.end()));
  EXPECT_EQ(created.front(), 1'700'000'000);
  EXPECT_THROW(db_->list_keys({0, 0}), std::invalid_argument);
  EXPECT_THROW(db_->list_keys({-1, 10}), std::invalid_argument);
}

TEST_F(SqliteStoreKeys, UpdateReplacesAllButHashPrefixAndCreation) {
  std::cout << "update_key changes the mutable fields and keeps hash, prefix, created_at\n";
  auto original = plain_key(1);
  db_->insert_key(original);
  auto changed = full_key();  // same key_id as plain_key(1)
  changed.key_hash = fake_hash(99);
  changed.key_prefix = "sk-pg-other…";
  changed.created_at = 42;
  EXPECT_TRUE(db_->update_key(changed));

  auto got = db_->find_key_by_id(original.key_id);
  ASSERT_TRUE(got);
  auto expected = changed;
  expected.key_hash = original.key_hash;
  expected.key_prefix = original.key_prefix;
  expected.created_at = original.created_at;
  expect_same_key(*got, expected);
  EXPECT_FALSE(db_->find_key_by_hash(fake_hash(99)));

  auto unknown = plain_key(7);
  EXPECT_FALSE(db_->update_key(unknown));
}

TEST_F(SqliteStoreKeys, RevokeByIdAndByHash) {
  std::cout << "revoke by id and by hash mark the key revoked; unknown ones report false\n";
  db_->insert_key(plain_key(1));
  db_->insert_key(plain_key(2));
  EXPECT_TRUE(db_->revoke_key_by_id(plain_key(1).key_id));
  EXPECT_TRUE(db_->revoke_key_by_hash(fake_hash(2)));
  EXPECT_FALSE(db_->revoke_key_by_id("key_nope"));
  EXPECT_FALSE(db_->revoke_key_by_hash(fake_hash(3)));
  for (int n : {1, 2}) {
    auto k = db_->find_key_by_hash(fake_hash(n));
    ASSERT_TRUE(k);
    EXPECT_TRUE(k->revoked);
    EXPECT_FALSE(k->usable_at(0));
  }
}

TEST_F(SqliteStoreKeys, ExpiredKeyIsReturnedButNotUsable) {
  std::cout << "a key past its expires_at is still stored and listed, but not usable\n";
  auto r = plain_key(1);
  r.expires_at = 1'700'000'100;
  db_->insert_key(r);
  auto k = db_->find_key_by_id(r.key_id);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->expires_at, 1'700'000'100);
  EXPECT_TRUE(k->usable_at(1'700'000'099));
  EXPECT_FALSE(k->usable_at(1'700'000'100));
  EXPECT_EQ(db_->list_keys({0, 10}).size(), 1u);
}

TEST_F(SqliteStoreKeys, KeysVersionChangesOnEveryKeyChangeOnly) {
  std::cout << "keys_version moves on insert, update, revoke by id and by hash; not on reads "
               "or spend\n";
  std::set<std::int64_t> seen{db_->keys_version()};
  auto expect_new = [&](const char* what) {
    EXPECT_TRUE(seen.insert(db_->keys_version()).second) << what;
  };
  db_->insert_key(plain_key(1));
  expect_new("insert");
  db_->insert_key(plain_key(2));
  expect_new("second insert");
  db_->update_key(full_key());
  expect_new("update");
  db_->revoke_key_by_id(plain_key(1).key_id);
  expect_new("revoke by id");
  db_->revoke_key_by_hash(fake_hash(2));
  expect_new("revoke by hash");

  auto before = db_->keys_version();
  db_->find_key_by_id(plain_key(1).key_id);
  db_->list_keys({0, 10});
  db_->insert_spend({usage::spend_record{.request_id = "req_1", .started_at_ms = 1}});
  EXPECT_EQ(db_->keys_version(), before);
}

TEST_F(SqliteStoreKeys, SecondConnectionSeesChangesAndVersion) {
  std::cout << "two store objects on one file (CLI + server): each sees the other's key "
               "changes and version bumps\n";
  auto server = std::move(db_);
  auto cli = open_sqlite(file_.path());
  EXPECT_TRUE(std::filesystem::exists(file_.path() + "-wal")) << "WAL journal mode expected";

  auto v0 = server->keys_version();
  EXPECT_EQ(cli->keys_version(), v0);
  cli->insert_key(plain_key(1));
  auto v1 = server->keys_version();
  EXPECT_NE(v1, v0);
  ASSERT_TRUE(server->find_key_by_hash(fake_hash(1)));

  cli->revoke_key_by_hash(fake_hash(1));
  auto v2 = server->keys_version();
  EXPECT_NE(v2, v1);
  EXPECT_TRUE(server->find_key_by_hash(fake_hash(1))->revoked);

  server->insert_key(plain_key(2));
  EXPECT_NE(cli->keys_version(), v2);
  EXPECT_TRUE(cli->find_key_by_id(plain_key(2).key_id));
}

TEST(SqliteStoreOpen, InMemoryDatabaseWorks) {
  std::cout << "\":memory:\" opens with the full schema\n";
  auto db = open_sqlite(":memory:");
  auto v = db->keys_version();
  db->insert_key(plain_key(1));
  EXPECT_NE(db->keys_version(), v);
  EXPECT_TRUE(db->find_key_by_hash(fake_hash(1)));
}

TEST(SqliteStoreOpen, UnopenableFileThrowsNamingIt) {
  std::cout << "a path in a missing directory throws a runtime_error naming the path\n";
  try {
    open_sqlite("/nonexistent-passgate-dir/keys.db");
    ADD_FAILURE() << "opened a file in a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-passgate-dir/keys.db"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace passgate::store
