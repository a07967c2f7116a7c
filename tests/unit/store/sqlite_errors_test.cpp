// SQLite store failures: each message names the database file; the faults that
// may go away by themselves (locked, read-only, cannot open) are
// store::unavailable, others are not; a database file deleted while open is
// reopened at the next call.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "store/sqlite_statement.hpp"
#include "store/store.hpp"
#include "unit/store/temp_db_file.hpp"
#include "support/raw_sqlite.hpp"

namespace passgate::store {
namespace {

using namespace std::chrono_literals;

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

// Another connection to the file, as another process would hold it.

usage::spend_record spend_row(std::string id) {
  usage::spend_record r;
  r.request_id = std::move(id);
  r.started_at_ms = 1'714'521'600'000;
  r.credential = "server";
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

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

TEST(sqlite_store_errors, a_locked_database_is_unavailable_for_writes_and_names_the_file) {
  test::temp_db_file file;
  auto db = open_sqlite(file.path(), {.busy_timeout = 20ms});
  db->insert_spend({spend_row("req_before")});
  passgate::test::raw_sqlite other(file.path());
  other.exec("BEGIN EXCLUSIVE");

  say("another connection holds the write lock: spend and key writes fail with store::unavailable");
  auto msg = unavailable_message([&] { db->insert_spend({spend_row("req_1")}); });
  EXPECT_TRUE(msg.starts_with("sqlite /")) << msg;
  EXPECT_NE(msg.find(file_name(file.path()) + ": database is locked"), std::string::npos) << msg;
  auth::key_record k;
  k.key_id = "key_1";
  k.key_hash = std::string(64, 'a');
  msg = unavailable_message([&] { db->insert_key(k); });
  EXPECT_NE(msg.find("database is locked"), std::string::npos) << msg;

  say("readers are not blocked by it (WAL): spend logs still read");
  EXPECT_EQ(db->spend_logs({}, {}).size(), 1u);

  say("once the lock is released, the same calls work");
  other.exec("COMMIT");
  db->insert_spend({spend_row("req_1")});
  db->insert_key(k);
  EXPECT_EQ(db->spend_logs({}, {}).size(), 2u);
}

TEST(sqlite_store_errors, a_database_held_exclusively_cannot_be_opened_and_says_so) {
  test::temp_db_file file;
  open_sqlite(file.path())->insert_spend({spend_row("req_1")});
  // Exclusive locking mode shuts readers out too, but only when no other
  // connection is open (WAL readers keep a shared lock): so before the store opens.
  auto other = std::make_unique<passgate::test::raw_sqlite>(file.path());
  other->exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE lock_probe (x)");
  say("opening the store while another connection holds the file exclusively: store::unavailable naming it");
  auto msg = unavailable_message([&] { open_sqlite(file.path(), {.busy_timeout = 20ms}); });
  EXPECT_NE(msg.find(file_name(file.path()) + ": database is locked"), std::string::npos) << msg;

  say("released (that connection closed): it opens and reads");
  other.reset();
  EXPECT_EQ(open_sqlite(file.path())->spend_logs({}, {}).size(), 1u);
}

TEST(sqlite_store_errors, a_read_only_connection_is_unavailable) {
  test::temp_db_file file;
  open_sqlite(file.path());
  sqlite::connection c(file.path());
  c.exec("PRAGMA query_only = 1", "set query_only");
  say("a write on a read-only connection: store::unavailable, 'attempt to write a readonly database', the file named");
  auto msg = unavailable_message([&] { c.exec("DELETE FROM spend", "delete spend"); });
  EXPECT_NE(msg.find(file_name(file.path()) + ": attempt to write a readonly database (delete spend)"),
            std::string::npos)
      << msg;
}

TEST(sqlite_store_errors, a_file_that_cannot_be_opened_is_unavailable) {
  say("a database in a missing folder: store::unavailable naming the path");
  auto msg = unavailable_message([] { open_sqlite("/nonexistent-passgate-folder/passgate.db"); });
  EXPECT_EQ(msg, "sqlite /nonexistent-passgate-folder/passgate.db: unable to open database file (open)");
}

TEST(sqlite_store_errors, other_failures_are_not_unavailable_but_name_the_file) {
  test::temp_db_file file;
  auto db = open_sqlite(file.path());
  passgate::test::raw_sqlite(file.path())
      .exec("CREATE TRIGGER refuse_boom BEFORE INSERT ON spend "
            "WHEN NEW.request_id = 'req_boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
  say("a constraint failure is a plain error (not retried as unavailable), still naming the file");
  try {
    db->insert_spend({spend_row("req_boom")});
    ADD_FAILURE() << "did not throw";
  } catch (const unavailable& e) {
    ADD_FAILURE() << "a constraint failure is not 'unavailable': " << e.what();
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(file_name(file.path()) + ": boom"), std::string::npos) << msg;
  }
}

TEST(sqlite_store_errors, a_database_file_deleted_while_open_is_unavailable_until_a_file_is_back) {
  test::temp_db_file file;
  auto db = open_sqlite(file.path());
  db->insert_spend({spend_row("req_old")});
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.path() + suffix);
  say("the file is deleted under the store: calls fail with store::unavailable, none goes to the unlinked file, "
      "and no empty database is made in its place");
  auto msg = unavailable_message([&] { db->insert_spend({spend_row("req_lost?")}); });
  EXPECT_NE(msg.find(file_name(file.path()) + ": the database file was deleted while open"), std::string::npos) << msg;
  unavailable_message([&] { db->keys_version(); });
  EXPECT_FALSE(std::filesystem::exists(file.path()));

  say("a database is put back at the path (restored, or renamed into place): the store reopens it and writes there");
  std::string elsewhere = file.path() + ".restored";
  {
    auto restored = open_sqlite(elsewhere);
    restored->insert_spend({spend_row("req_restored")});
  }
  std::filesystem::rename(elsewhere, file.path());
  db->insert_spend({spend_row("req_new")});
  auto fresh = open_sqlite(file.path());
  std::set<std::string> ids;
  for (const auto& r : fresh->spend_logs({}, {})) ids.insert(r.request_id);
  EXPECT_EQ(ids, (std::set<std::string>{"req_restored", "req_new"}));
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(elsewhere + suffix);
}

}  // namespace
}  // namespace passgate::store
