// The PostgreSQL store when things go wrong or happen at once: instances opening
// an empty database together migrate it once; a database newer than the code is
// refused; with the server stopped calls fail with store::unavailable and work
// again once it is back; the key watcher hears changes from another store object
// and reconnects by itself; no message ever shows the password.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "store/store.hpp"
#include "support/eventually.hpp"
#include "support/postgres_instance.hpp"

namespace passgate::store {
namespace {

using namespace std::chrono_literals;

void say(const std::string& what) { std::cout << "checks: " << what << std::endl; }

auth::key_record key(int n) {
  auth::key_record r;
  r.key_id = "key_" + std::to_string(n);
  r.key_hash = std::string(60, 'b') + std::to_string(1000 + n);
  r.created_at = 1'700'000'000;
  return r;
}

usage::spend_record spend(int n) {
  usage::spend_record r;
  r.request_id = "req_" + std::to_string(n);
  r.started_at_ms = 1'714'521'600'000 + n;
  r.credential = "server";
  r.cost_usd = 0.5;
  return r;
}

// Runs f, which must throw store::unavailable; returns its message.
template <class F>
std::string unavailable_message(F f) {
  try {
    f();
  } catch (const unavailable& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another error: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

// One value from a statement run on the database at `url` behind the store's back.
std::string query(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string out = "<error>";
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    else if (PQresultStatus(r) == PGRES_COMMAND_OK) out = "";
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

TEST(PostgresStoreFaults, ThreeInstancesOpeningAnEmptyDatabaseMigrateItOnce) {
  say("three threads open_postgres an empty database at once: all succeed, at version 4, one "
      "schema_version row, one key_changes row");
  auto url = test::shared_postgres().create_database(test::unique_db_name("migrate"));
  std::atomic<int> ready{0}, failures{0};
  std::vector<std::unique_ptr<store>> stores(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < 3) std::this_thread::yield();  // start together
      try {
        stores[i] = open_postgres(url);
      } catch (const std::exception& e) {
        ++failures;
        std::cout << "open failed: " << e.what() << "\n";
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (auto& s : stores) {
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), 4);
  }
  EXPECT_EQ(query(url, "SELECT count(*) FROM schema_version"), "1");
  EXPECT_EQ(query(url, "SELECT count(*) || ':' || max(version) FROM key_changes"), "1:1");
  stores[0]->insert_key(key(1));
  EXPECT_TRUE(stores[2]->find_key_by_id("key_1"));
}

TEST(PostgresStoreFaults, ADatabaseNewerThanTheCodeIsRefused) {
  say("schema_version 99 in the database: open_postgres throws runtime_error naming both versions");
  auto url = test::shared_postgres().create_database(test::unique_db_name("newer"));
  open_postgres(url);
  query(url, "UPDATE schema_version SET version = 99");
  try {
    open_postgres(url);
    ADD_FAILURE() << "opened";
  } catch (const unavailable& e) {
    ADD_FAILURE() << "unavailable: " << e.what();
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("schema version 99 is newer than this passgate supports (4)"), std::string::npos) << msg;
  }
}

TEST(PostgresStoreFaults, AStatementPastItsTimeoutIsUnavailableAndTheSessionIsNamed) {
  say("the connection carries application_name and statement_timeout: a read blocked by another "
      "session's table lock fails with store::unavailable after the timeout, then works again");
  auto url = test::shared_postgres().create_database(test::unique_db_name("timeout"));
  auto db = open_postgres(url, {.statement_timeout = 200ms, .application_name = "passgate-timeout-test"});
  db->insert_key(key(1));
  EXPECT_EQ(query(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'passgate-timeout-test'"),
            "1");

  PGconn* locker = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(locker), CONNECTION_OK);
  PQclear(PQexec(locker, "BEGIN; LOCK TABLE keys IN ACCESS EXCLUSIVE MODE"));
  auto msg = unavailable_message([&] { db->find_key_by_id("key_1"); });
  EXPECT_NE(msg.find("57014"), std::string::npos) << msg;
  PQclear(PQexec(locker, "ROLLBACK"));
  PQfinish(locker);
  EXPECT_TRUE(db->find_key_by_id("key_1"));
}

TEST(PostgresStoreFaults, ThePasswordNeverAppearsInAnErrorMessage) {
  say("URI and keyword strings with a password to a closed port: store::unavailable naming host, "
      "port and database, without the password; a malformed URL with one: no password either");
  const std::string password = "s3cr3t-Pa55";
  // A port nothing listens on: bound, then closed.
  int port = [] {
    test::postgres_instance* none = nullptr;
    (void)none;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return int(ntohs(a.sin_port));
  }();
  auto p = std::to_string(port);
  for (const std::string& url : {"postgresql://passgate:" + password + "@127.0.0.1:" + p + "/fleet",
                                 "host=127.0.0.1 port=" + p + " dbname=fleet user=passgate password=" + password}) {
    SCOPED_TRACE(url.substr(0, 10));
    auto msg = unavailable_message([&] { open_postgres(url, {.connect_timeout = 1s}); });
    EXPECT_NE(msg.find("postgres 127.0.0.1:" + p + "/fleet"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(password), std::string::npos) << msg;
  }
  try {
    open_postgres("postgresql://passgate:" + password + "@127.0.0.1:" + p + "/fleet?bogus%zz=1");
    ADD_FAILURE() << "opened";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
  }
}

TEST(PostgresStoreFaults, CallsAreUnavailableWhileTheServerIsDownAndWorkWhenItIsBack) {
  say("server stopped: key and spend calls throw store::unavailable naming the server (no crash); "
      "after start the same store objects work again, including one left idle meanwhile");
  test::postgres_instance server;
  auto url = server.create_database("down");
  auto busy = open_postgres(url, {.connect_timeout = 1s});
  auto idle = open_postgres(url, {.connect_timeout = 1s});
  busy->insert_key(key(1));
  busy->insert_spend({spend(1)});

  server.stop();
  for (auto call : std::vector<std::function<void()>>{
           [&] { busy->keys_version(); },
           [&] { busy->find_key_by_id("key_1"); },
           [&] { busy->insert_spend({spend(2)}); },
           [&] { busy->insert_key(key(2)); },
           [&] { busy->spend_report({}, spend_group::key); },
       }) {
    auto msg = unavailable_message(call);
    EXPECT_NE(msg.find("postgres 127.0.0.1:" + std::to_string(server.port()) + "/down"), std::string::npos)
        << msg;
  }

  server.start();
  busy->insert_spend({spend(2)});
  EXPECT_TRUE(busy->find_key_by_id("key_1"));
  EXPECT_TRUE(idle->find_key_by_id("key_1")) << "the idle store's dead connection is replaced at once";
  EXPECT_NEAR(idle->key_spend_usd("", 0), 1.0, 1e-12);
}

TEST(PostgresStoreFaults, TheWatcherHearsChangesFromAnotherStoreAndReconnects) {
  say("watch_key_changes: called once listening, within 1 s of an update through another store "
      "object, again after the server is stopped and started, and on changes after that");
  test::postgres_instance server;
  auto url = server.create_database("watch");
  auto watched = open_postgres(url, {.connect_timeout = 1s});
  auto other = open_postgres(url, {.connect_timeout = 1s});
  other->insert_key(key(1));
  std::atomic<int> calls{0};
  auto watcher = watched->watch_key_changes([&] { ++calls; });
  ASSERT_TRUE(watcher);
  ASSERT_TRUE(test::eventually([&] { return calls.load() >= 1; }, 10s)) << "no call once listening";

  int before = calls.load();
  auto k = key(1);
  k.rpm_limit = 10;
  ASSERT_TRUE(other->update_key(k));
  EXPECT_TRUE(test::eventually([&] { return calls.load() > before; }, 1s)) << "no call within 1 s";

  server.stop();
  before = calls.load();
  server.start();
  EXPECT_TRUE(test::eventually([&] { return calls.load() > before; }, 20s)) << "no call after reconnecting";

  // Once the watcher has reconnected (the call above), a change is heard again.
  before = calls.load();
  other->revoke_key_by_id("key_1");
  EXPECT_TRUE(test::eventually([&] { return calls.load() > before; }, 5s)) << "no call after the restart";
  watcher.reset();  // stops promptly
  EXPECT_TRUE(watched->find_key_by_id("key_1")->revoked);
}

}  // namespace
}  // namespace passgate::store
