// The key cache: static and stored keys, refresh by polling and by invalidate(),
// expiry at lookup time, failure tolerance, and lookups racing reloads.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "auth/key_cache.hpp"
#include "support/captured_log.hpp"
#include "store/store.hpp"
#include "unit/store/temp_db_file.hpp"
#include "support/eventually.hpp"

namespace passgate::auth {
namespace {

using passgate::test::captured_log;

using namespace std::chrono_literals;
using passgate::test::eventually;
namespace pg_store = ::passgate::store;  // inside a store subclass, `store` names the class

key_record record_for(const std::string& key, std::string id = generate_key_id()) {
  key_record r;
  r.key_id = std::move(id);
  r.key_prefix = display_prefix(key);
  r.key_hash = hash_key(key);
  r.created_at = 1'700'000'000;
  return r;
}


TEST(KeyCache, StaticKeysFoundUnknownRefused) {
  std::cout << "with no store: static keys found by key and by hash; unknown and malformed "
               "refused\n";
  auto k1 = generate_key(), k2 = std::string("master-from-config");
  key_cache cache(nullptr, {record_for(k1, "key_one"), record_for(k2, "key_master")});
  cache.start();  // nothing to load, no thread
  auto r = cache.find(k1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key_id, "key_one");
  ASSERT_TRUE(cache.find(k2));
  EXPECT_EQ(cache.find(k2)->key_id, "key_master");

  auto hex = hash_key(k1);
  ASSERT_TRUE(cache.find_by_hash(hex));
  EXPECT_EQ(cache.find_by_hash(hex)->key_id, "key_one");
  for (auto& c : hex) c = char(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(cache.find_by_hash(hex));

  EXPECT_EQ(cache.find(generate_key()), nullptr);
  EXPECT_EQ(cache.find(""), nullptr);
  EXPECT_EQ(cache.find_by_hash("not-a-hash"), nullptr);
  EXPECT_EQ(cache.find_by_hash(hash_key("unknown")), nullptr);
  EXPECT_EQ(cache.snapshot_generation(), 1);
}

TEST(KeyCache, MalformedStaticHashIsRefusedAtConstruction) {
  std::cout << "a static key whose key_hash is not 64 hex digits throws invalid_argument\n";
  auto r = record_for("x", "key_bad");
  r.key_hash = "abc";
  EXPECT_THROW(key_cache(nullptr, {r}), std::invalid_argument);
}

TEST(KeyCache, StartLoadsEveryStoredKeyAcrossPages) {
  std::cout << "2500 stored keys (3 list pages) are all found after start(); revoked ones "
               "are not\n";
  auto db = store::open_sqlite(":memory:");
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) {
    keys.push_back(generate_key());
    db->insert_key(record_for(keys.back()));
  }
  auto revoked = generate_key();
  auto rec = record_for(revoked);
  rec.revoked = true;
  db->insert_key(rec);

  key_cache cache(db.get(), {});
  cache.start();
  int found = 0;
  for (const auto& k : keys) found += cache.find(k) != nullptr;
  EXPECT_EQ(found, 2500);
  EXPECT_EQ(cache.find(revoked), nullptr);
}

TEST(KeyCache, StaticKeyWinsOverStoredKeyWithSameHash) {
  std::cout << "a hash both in config and in the store resolves to the config record\n";
  auto db = store::open_sqlite(":memory:");
  auto key = generate_key();
  db->insert_key(record_for(key, "key_stored"));
  key_cache cache(db.get(), {record_for(key, "key_static")});
  cache.start();
  ASSERT_TRUE(cache.find(key));
  EXPECT_EQ(cache.find(key)->key_id, "key_static");
}

TEST(KeyCache, ChangesFromAnotherConnectionArriveByPolling) {
  std::cout << "a key created, then revoked, through a second store object (the CLI) is "
               "seen by the cache's poll\n";
  test::temp_db_file file;
  auto server_db = store::open_sqlite(file.path());
  auto cli_db = store::open_sqlite(file.path());
  key_cache cache(server_db.get(), {}, {.refresh_interval = 100ms});
  cache.start();

  auto key = generate_key();
  EXPECT_EQ(cache.find(key), nullptr);
  auto rec = record_for(key);
  cli_db->insert_key(rec);
  EXPECT_TRUE(eventually([&] { return cache.find(key) != nullptr; })) << "creation not seen";

  auto generation = cache.snapshot_generation();
  ASSERT_TRUE(cli_db->revoke_key_by_id(rec.key_id));
  EXPECT_TRUE(eventually([&] { return cache.find(key) == nullptr; })) << "revocation not seen";
  EXPECT_GT(cache.snapshot_generation(), generation);
}

TEST(KeyCache, InvalidateReloadsAtOnce) {
  std::cout << "with an hour-long poll interval, invalidate() alone makes a new key visible\n";
  auto db = store::open_sqlite(":memory:");
  key_cache cache(db.get(), {}, {.refresh_interval = 1h});
  cache.start();
  auto key = generate_key();
  db->insert_key(record_for(key));
  EXPECT_EQ(cache.find(key), nullptr) << "no poll for an hour: the snapshot is unchanged";
  cache.invalidate();
  EXPECT_TRUE(eventually([&] { return cache.find(key) != nullptr; }));
}

TEST(KeyCache, ExpiredKeyIsRefusedWithoutAReload) {
  std::cout << "static and stored keys expiring at T are found at T-1 and refused at T, "
               "with no new snapshot\n";
  constexpr std::int64_t t = 1'800'000'000;
  std::atomic<std::int64_t> now{t - 1};
  auto db = store::open_sqlite(":memory:");
  auto stored = generate_key(), configured = generate_key();
  auto rec = record_for(stored);
  rec.expires_at = t;
  db->insert_key(rec);
  auto static_rec = record_for(configured);
  static_rec.expires_at = t;

  key_cache_options opts{.refresh_interval = 1h, .now_unix = [&] { return now.load(); }};
  key_cache cache(db.get(), {static_rec}, opts);
  cache.start();
  EXPECT_TRUE(cache.find(stored));
  EXPECT_TRUE(cache.find(configured));
  auto generation = cache.snapshot_generation();
  now = t;
  EXPECT_EQ(cache.find(stored), nullptr);
  EXPECT_EQ(cache.find(configured), nullptr);
  EXPECT_EQ(cache.find_by_hash(rec.key_hash), nullptr);
  EXPECT_EQ(cache.snapshot_generation(), generation);
}

// Forwards to a real store; keys_version and list_keys fail while `failing` is set.
class flaky_store final : public pg_store::store {
 public:
  explicit flaky_store(pg_store::store& inner) : inner_(inner) {}
  std::atomic<bool> failing{false};
  std::atomic<bool> unavailable{false};  // fail as a locked SQLite file does
  std::atomic<bool> fail_list_only{false};
  std::atomic<int> version_calls{0};

  std::int64_t keys_version() override {
    ++version_calls;
    if (!fail_list_only) fail_if_told();
    return inner_.keys_version();
  }
  std::vector<key_record> list_keys(pg_store::page p) override {
    fail_if_told();
    return inner_.list_keys(p);
  }
  void fail_if_told() const {
    if (unavailable) throw pg_store::unavailable("sqlite /srv/passgate.db: database is locked (run a statement)");
    if (failing) throw std::runtime_error("database is locked (simulated)");
  }
  void insert_key(const key_record& r) override { inner_.insert_key(r); }
  std::optional<key_record> find_key_by_hash(const std::string& h) override {
    return inner_.find_key_by_hash(h);
  }
  std::optional<key_record> find_key_by_id(const std::string& id) override {
    return inner_.find_key_by_id(id);
  }
  bool update_key(const key_record& r) override { return inner_.update_key(r); }
  bool revoke_key_by_id(const std::string& id) override { return inner_.revoke_key_by_id(id); }
  bool revoke_key_by_hash(const std::string& h) override { return inner_.revoke_key_by_hash(h); }
  void insert_spend(const std::vector<usage::spend_record>& rows) override {
    inner_.insert_spend(rows);
  }
  std::vector<usage::spend_record> spend_logs(const pg_store::spend_filter& f,
                                              pg_store::page p) override {
    return inner_.spend_logs(f, p);
  }
  std::vector<pg_store::spend_group_row> spend_report(const pg_store::spend_filter& f, pg_store::spend_group g,
                                                   std::optional<pg_store::spend_group> split) override {
    return inner_.spend_report(f, g, split);
  }
  double key_spend_usd(const std::string& id, std::int64_t from_ms, policy::label_set labels) override {
    return inner_.key_spend_usd(id, from_ms, labels);
  }
  std::vector<usage::spend_record> spend_in_order(std::int64_t& cursor, std::int64_t limit) override {
    return inner_.spend_in_order(cursor, limit);
  }
  int schema_version() override { return inner_.schema_version(); }
  std::string describe() const override { return inner_.describe(); }

 private:
  pg_store::store& inner_;
};

TEST(KeyCache, FailingReloadKeepsTheLastSnapshot) {
  std::cout << "while the store fails, reloads keep serving the last snapshot and warn once; "
               "once it recovers, new keys arrive\n";
  captured_log log;
  auto db = store::open_sqlite(":memory:");
  flaky_store flaky(*db);
  auto old_key = generate_key();
  db->insert_key(record_for(old_key));
  key_cache cache(&flaky, {}, {.refresh_interval = 20ms});
  cache.start();
  auto generation = cache.snapshot_generation();

  flaky.failing = true;
  auto new_key = generate_key();
  db->insert_key(record_for(new_key));
  int calls = flaky.version_calls;
  cache.invalidate();
  ASSERT_TRUE(eventually([&] { return flaky.version_calls >= calls + 3; }))
      << "the refresh thread should keep trying";
  EXPECT_TRUE(cache.find(old_key));
  EXPECT_EQ(cache.find(new_key), nullptr);
  EXPECT_EQ(cache.snapshot_generation(), generation);

  flaky.failing = false;
  EXPECT_TRUE(eventually([&] { return cache.find(new_key) != nullptr; }));
  EXPECT_TRUE(cache.find(old_key));
  cache.stop();  // the log is written by the refresh thread
  EXPECT_EQ(log.count("reload failed"), 1) << "one warning per failure streak";
}

TEST(key_cache_store_faults, an_unavailable_store_keeps_every_cached_key_and_is_counted) {
  std::cout << "  checks: the store fails with store::unavailable, at the version check or half-way through "
               "the keys: static and stored keys stay, failures are counted, one warning naming the file, "
               "one line on recovery\n";
  captured_log log;
  auto db = store::open_sqlite(":memory:");
  flaky_store flaky(*db);
  auto stored = generate_key(), configured = generate_key(), later = generate_key();
  db->insert_key(record_for(stored));
  key_cache cache(&flaky, {record_for(configured)}, {.refresh_interval = 5ms});
  cache.start();
  ASSERT_TRUE(cache.find(stored));
  EXPECT_EQ(cache.reload_failures(), 0u);

  flaky.unavailable = true;
  ASSERT_TRUE(eventually([&] { return cache.reload_failures() >= 3; }));
  EXPECT_TRUE(cache.find(stored));
  EXPECT_TRUE(cache.find(configured));

  // The version moves on (a key was added) but listing the keys fails: still the old snapshot.
  db->insert_key(record_for(later));
  flaky.fail_list_only = true;
  auto failures = cache.reload_failures();
  ASSERT_TRUE(eventually([&] { return cache.reload_failures() >= failures + 3; }));
  EXPECT_TRUE(cache.find(stored));
  EXPECT_TRUE(cache.find(configured));
  EXPECT_EQ(cache.find(later), nullptr);

  flaky.unavailable = false;
  flaky.fail_list_only = false;
  ASSERT_TRUE(eventually([&] { return cache.find(later) != nullptr; }));
  EXPECT_TRUE(cache.find(stored));
  cache.stop();
  EXPECT_EQ(log.count("reload failed"), 1);
  EXPECT_EQ(log.count("sqlite /srv/passgate.db: database is locked"), 1);
  EXPECT_EQ(log.count("reloading works again after"), 1);
}

TEST(KeyCache, StartThrowsWhenTheStoreFails) {
  std::cout << "start() reports a store failure instead of serving with no keys\n";
  auto db = store::open_sqlite(":memory:");
  flaky_store flaky(*db);
  flaky.failing = true;
  key_cache cache(&flaky, {});
  EXPECT_THROW(cache.start(), std::runtime_error);
}

TEST(KeyCache, ConcurrentLookupsDuringReloads) {
  std::cout << "4 threads look up keys while 30 reloads publish new snapshots: stable keys "
               "always found, unknown never\n";
  auto db = store::open_sqlite(":memory:");
  auto stored = generate_key(), configured = generate_key(), unknown = generate_key();
  db->insert_key(record_for(stored));
  key_cache cache(db.get(), {record_for(configured)}, {.refresh_interval = 1h});
  cache.start();

  std::atomic<bool> done{false};
  std::atomic<long> lookups{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      // At least 2000 rounds each, and on until the reloads are over.
      for (long i = 0; i < 2000 || !done; ++i) {
        wrong += cache.find(stored) == nullptr;
        wrong += cache.find(configured) == nullptr;
        wrong += cache.find(unknown) != nullptr;
        lookups += 3;
      }
    });

  std::vector<std::string> added;
  for (int round = 0; round < 30; ++round) {
    added.push_back(generate_key());
    db->insert_key(record_for(added.back()));
    auto generation = cache.snapshot_generation();
    cache.invalidate();
    if (!eventually([&] { return cache.snapshot_generation() > generation; })) {
      ADD_FAILURE() << "reload " << round << " never published";
      break;  // still join the readers below
    }
  }
  done = true;
  for (auto& r : readers) r.join();

  EXPECT_EQ(wrong, 0);
  EXPECT_GE(lookups, 4 * 2000 * 3);
  for (const auto& k : added) EXPECT_TRUE(cache.find(k));
  std::cout << "  " << lookups << " lookups, " << cache.snapshot_generation()
            << " snapshots published\n";
}

}  // namespace
}  // namespace passgate::auth
