// Store faults end to end (issue 12), through the real binary: while another
// process holds the SQLite file locked, or the disk is full, proxied requests go
// on, their spend rows wait in the writer's queue and all arrive once the store
// works again; the admin API answers 503 with the reason instead of hanging; the
// CLI says the same and exits 1; a stop while the store stays down is bounded and
// says how many rows it lost.
#include <sqlite3.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/e2e.hpp"
#include "support/eventually.hpp"
#include "support/raw_sqlite.hpp"

namespace passgate::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string master = "sk-master-store-faults-0123456789";

// The value of metric `name` in /metrics; -1 when absent.
double metric(std::uint16_t port, const std::string& name) {
  auto m = fetch(port, "GET", "/metrics");
  std::istringstream in(m.body);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  return -1;
}


std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// The test's own connection to the database: another process than passgate.

struct admin_reply {
  int status = 0;
  std::string type, message;
  std::chrono::milliseconds took{};
};

admin_reply admin_call(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "") {
  auto start = std::chrono::steady_clock::now();
  auto r = fetch(port, method, target, {{"authorization", "Bearer " + master}}, body);
  admin_reply out;
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  out.status = r.status;
  boost::system::error_code ec;
  auto j = json::parse(r.body, ec);
  if (!ec && j.is_object() && j.as_object().contains("error")) {
    out.type = std::string(j.at("error").at("type").as_string());
    out.message = std::string(j.at("error").at("message").as_string());
  }
  return out;
}

// Request ids of the spend rows /spend/logs shows (up to 1000), each with its count.
std::map<std::string, int> logged_ids(std::uint16_t port) {
  auto r = fetch(port, "GET", "/spend/logs?size=1000", {{"authorization", "Bearer " + master}});
  std::map<std::string, int> ids;
  if (r.status != 200) return ids;
  auto j = json::parse(r.body);  // kept: a temporary would die before the loop
  for (const auto& row : j.at("logs").as_array())
    ++ids[std::string(row.at("request_id").as_string())];
  return ids;
}

mock_upstream::handler json_answers() {
  return [](const recorded_request&) {
    mock_response m;
    m.headers = {{"content-type", "application/json"}};
    m.body = R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",)"
             R"("content":[],"usage":{"input_tokens":10,"output_tokens":5}})";
    return m;
  };
}

std::string gateway_yaml(const mock_upstream& up, const std::string& store_yaml) {
  return route_config(up, "    server_key: \"sk-ant-org\"\n", "master_key: \"" + master + "\"\n" + store_yaml);
}

// Sends n requests; returns their request ids (all answered 200, or the test fails).
std::vector<std::string> send_requests(std::uint16_t port, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    auto r = fetch(port, "POST", "/anthropic/v1/messages", {}, "{}");
    EXPECT_EQ(r.status, 200);
    if (auto id = r.get("x-passgate-request-id")) ids.push_back(*id);
  }
  return ids;
}

// Waits until the writer has written `n` rows in all (the database exists and
// holds them).
void wait_written(std::uint16_t port, double n) {
  ASSERT_TRUE(eventually([&] { return metric(port, "passgate_spend_rows_written_total") >= n; }))
      << "written: " << metric(port, "passgate_spend_rows_written_total");
}

// Every id in `sent` shows up in /spend/logs exactly once (bounded wait).
void expect_all_rows_arrive(std::uint16_t port, const std::vector<std::string>& sent, std::size_t total) {
  std::map<std::string, int> ids;
  EXPECT_TRUE(eventually([&] {
    ids = logged_ids(port);
    return ids.size() >= total;
  })) << "rows in the store: " << ids.size() << " of " << total;
  EXPECT_EQ(ids.size(), total);
  for (const auto& id : sent) EXPECT_EQ(ids[id], 1) << id;
}

class store_faults : public ::testing::Test {
 protected:
  store_faults() { up.on_request(json_answers()); }
  mock_upstream up;
};

TEST_F(store_faults, a_locked_database_keeps_rows_queued_and_admin_writes_answer_503_at_once) {
  gateway_process gw({gateway_yaml(up, "")});
  const std::string db = gw.dir() + "/passgate.db";
  send_requests(gw.port(), 1);
  wait_written(gw.port(), 1);
  auto key = fetch(gw.port(), "POST", "/key/generate", {{"authorization", "Bearer " + master}}, "{}");
  ASSERT_EQ(key.status, 200) << key.body;
  auto key_id = std::string(json::parse(key.body).at("key_id").as_string());

  say("another process holds BEGIN EXCLUSIVE on the database; 20 requests are still answered 200");
  raw_sqlite other(db);
  other.exec("BEGIN EXCLUSIVE");
  auto sent = send_requests(gw.port(), 20);
  ASSERT_EQ(sent.size(), 20u);

  say("their 20 rows wait in the queue while several write attempts fail (metrics)");
  ASSERT_TRUE(eventually([&] { return metric(gw.port(), "passgate_spend_write_retries_total") >= 2; }))
      << "retries: " << metric(gw.port(), "passgate_spend_write_retries_total");
  ASSERT_TRUE(eventually([&] { return metric(gw.port(), "passgate_spend_queue_rows") == 20; }))
      << "queued: " << metric(gw.port(), "passgate_spend_queue_rows");
  EXPECT_GT(metric(gw.port(), "passgate_spend_queue_bytes"), 20 * 100.0);
  EXPECT_EQ(metric(gw.port(), "passgate_spend_rows_written_total"), 1);
  EXPECT_EQ(metric(gw.port(), "passgate_spend_rows_dropped_total"), 0);
  EXPECT_GE(metric(gw.port(), "passgate_store_errors_total"), 2);

  say("the log says so once for the episode, naming the file and SQLite's reason");
  auto log = gw.log();
  EXPECT_EQ(occurrences(log, "spend writer: cannot write to the store"), 1u) << log;
  EXPECT_NE(log.find("sqlite " + db + ": database is locked"), std::string::npos) << log;

  say("admin writes answer 503 overloaded_error 'key store unavailable: sqlite <file>: database is locked …; try "
      "again' instead of hanging");
  const std::string expected_start = "key store unavailable: sqlite " + db + ": database is locked (";
  for (auto [target, body] : {std::pair<std::string, std::string>{"/key/generate", "{}"},
                              {"/key/update", R"({"key_id":")" + key_id + R"(","key_alias":"x"})"},
                              {"/key/delete", R"({"key_ids":[")" + key_id + R"("]})"}}) {
    auto r = admin_call(gw.port(), "POST", target, body);
    EXPECT_EQ(r.status, 503) << target;
    EXPECT_EQ(r.type, "overloaded_error") << target;
    EXPECT_TRUE(r.message.starts_with(expected_start) && r.message.ends_with("; try again"))
        << target << ": " << r.message;
    say(target + " answered 503 in " + std::to_string(r.took.count()) + " ms");
  }
  say("reads go on under a write lock (WAL): /key/info 200, /spend/logs 200 with only the row written before");
  EXPECT_EQ(admin_call(gw.port(), "GET", "/key/info?key_id=" + key_id).status, 200);
  EXPECT_EQ(logged_ids(gw.port()).size(), 1u);

  say("the CLI prints the same message and exits 1");
  auto cli = run_passgate({"keys", "create", "--config", gw.dir() + "/passgate.yaml", "--alias", "cli"});
  EXPECT_EQ(cli.status, 1) << cli.output;
  EXPECT_NE(cli.output.find("passgate: " + expected_start), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("; try again"), std::string::npos) << cli.output;

  say("lock released: every one of the 20 rows arrives, once; nothing dropped; recovery logged once");
  other.exec("COMMIT");
  expect_all_rows_arrive(gw.port(), sent, 21);
  EXPECT_EQ(metric(gw.port(), "passgate_spend_rows_written_total"), 21);
  EXPECT_EQ(metric(gw.port(), "passgate_spend_queue_rows"), 0);
  EXPECT_EQ(metric(gw.port(), "passgate_spend_queue_bytes"), 0);
  EXPECT_EQ(metric(gw.port(), "passgate_spend_rows_dropped_total"), 0);
  ASSERT_TRUE(gw.wait_for_log("store writable again after"));
  EXPECT_EQ(occurrences(gw.log(), "store writable again after"), 1u);
  EXPECT_EQ(admin_call(gw.port(), "POST", "/key/generate", "{}").status, 200);
  EXPECT_EQ(gw.stop(), 0);
}

TEST_F(store_faults, a_stop_while_the_store_stays_locked_spools_the_rows_for_the_next_start) {
  gateway_process gw({gateway_yaml(up, "store: { sqlite: \"@DIR@/passgate.db\", drain_timeout_s: 1 }\n")});
  const std::string db = gw.dir() + "/passgate.db";
  send_requests(gw.port(), 1);
  wait_written(gw.port(), 1);
  raw_sqlite other(db);
  other.exec("BEGIN EXCLUSIVE");
  auto sent = send_requests(gw.port(), 5);
  ASSERT_TRUE(eventually([&] { return metric(gw.port(), "passgate_spend_queue_rows") == 5; }));
  ASSERT_TRUE(eventually([&] { return metric(gw.port(), "passgate_store_errors_total") >= 1; }));
  say("SIGTERM while the lock is held (store.drain_timeout_s: 1): passgate exits 0 within the bound, the 5 rows "
      "go to the spool beside the database (passgate.db-spool), none is lost");
  EXPECT_EQ(gw.stop(60), 0);
  auto log = gw.log();
  EXPECT_NE(log.find("5 row(s) moved to the spool"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped with 5 row(s) in the spool"), std::string::npos) << log;
  EXPECT_EQ(log.find("row(s) lost"), std::string::npos) << log;
  EXPECT_EQ(log.find("could not be written since start"), std::string::npos) << log;
  other.exec("COMMIT");

  say("the next start on the same database writes them first: all 6 rows there, each once");
  gateway_process again({gateway_yaml(up, "store: { sqlite: \"" + db + "\" }\n")});
  EXPECT_TRUE(again.wait_for_log("5 row(s) in 1 file(s) from an earlier run"));
  std::vector<std::string> all = sent;
  expect_all_rows_arrive(again.port(), all, 6);
  EXPECT_TRUE(eventually([&] { return metric(again.port(), "passgate_spend_spool_rows") == 0; }));
  EXPECT_EQ(again.stop(), 0);
}

// A small tmpfs mounted for the test (root only), unmounted at the end.
class tmpfs_mount {
 public:
  explicit tmpfs_mount(const std::string& options) {
    if (::geteuid() != 0) {
      reason = "not running as root: cannot mount a tmpfs";
      return;
    }
    if (::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      reason = std::string("mount -t tmpfs failed: ") + std::strerror(errno);
      return;
    }
    mounted = true;
  }
  ~tmpfs_mount() {
    if (mounted) ::umount2(dir.path.c_str(), MNT_DETACH);
  }
  temp_dir dir;
  bool mounted = false;
  std::string reason;
};

// Fills the file system holding `path` with one file; returns the bytes written.
std::size_t fill_disk(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  std::string chunk(4096, 'x');
  std::size_t total = 0;
  for (;;) {
    auto n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    total += std::size_t(n);
  }
  ::close(fd);
  return total;
}

TEST_F(store_faults, a_full_disk_keeps_rows_queued_until_space_returns) {
  tmpfs_mount disk("size=2m");
  if (!disk.mounted) {
    say("skipped: " + disk.reason);
    GTEST_SKIP() << disk.reason;
  }
  const std::string db = disk.dir.path + "/passgate.db";
  auto gw = std::make_unique<gateway_process>(gateway_options{gateway_yaml(up, "store: { sqlite: \"" + db + "\" }\n")});
  send_requests(gw->port(), 1);
  wait_written(gw->port(), 1);

  auto filled = fill_disk(disk.dir.path + "/filler");
  say("the database's 2 MiB tmpfs is filled (" + std::to_string(filled) + " bytes); 20 requests are answered 200");
  ASSERT_GT(filled, 0u);
  auto sent = send_requests(gw->port(), 20);
  ASSERT_EQ(sent.size(), 20u);

  say("their rows wait in the queue while writes fail with 'database or disk is full'");
  ASSERT_TRUE(eventually([&] { return metric(gw->port(), "passgate_spend_write_retries_total") >= 1; }))
      << gw->log();
  ASSERT_TRUE(eventually([&] { return metric(gw->port(), "passgate_spend_queue_rows") == 20; }));
  EXPECT_EQ(metric(gw->port(), "passgate_spend_rows_dropped_total"), 0);
  auto log = gw->log();
  EXPECT_NE(log.find("sqlite " + db + ": database or disk is full"), std::string::npos) << log;
  EXPECT_EQ(occurrences(log, "spend writer: cannot write to the store"), 1u) << log;
  auto r = admin_call(gw->port(), "POST", "/key/generate", "{}");
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(r.message.starts_with("key store unavailable: sqlite " + db + ": database or disk is full"))
      << r.message;

  say("space freed: all 20 rows arrive, once each, nothing dropped");
  std::filesystem::remove(disk.dir.path + "/filler");
  expect_all_rows_arrive(gw->port(), sent, 21);
  EXPECT_EQ(metric(gw->port(), "passgate_spend_rows_dropped_total"), 0);
  EXPECT_EQ(metric(gw->port(), "passgate_spend_queue_rows"), 0);
  EXPECT_EQ(gw->stop(), 0);
  gw.reset();  // before the tmpfs goes
}

TEST_F(store_faults, a_read_only_database_is_a_clear_error_for_the_cli) {
  if (::geteuid() != 0) {
    say("skipped: not running as root: cannot make a read-only bind mount");
    GTEST_SKIP() << "not running as root";
  }
  // A database made in a writable folder, then seen through a read-only bind
  // mount of that folder.
  temp_dir writable, read_only, configs;
  const std::string rw_config = configs.path + "/rw.yaml", ro_config = configs.path + "/ro.yaml";
  const std::string ro_db = read_only.path + "/passgate.db";
  std::ofstream(rw_config) << "store: { sqlite: \"" << writable.path << "/passgate.db\" }\n";
  std::ofstream(ro_config) << "store: { sqlite: \"" << ro_db << "\" }\n";
  auto made = run_passgate({"keys", "create", "--config", rw_config, "--alias", "before"});
  ASSERT_EQ(made.status, 0) << made.output;
  if (::mount(writable.path.c_str(), read_only.path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    std::string reason = std::string("bind mount failed: ") + std::strerror(errno);
    say("skipped: " + reason);
    GTEST_SKIP() << reason;
  }
  struct unmount {
    std::string path;
    ~unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } guard{read_only.path};
  if (::mount(nullptr, read_only.path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    std::string reason = std::string("read-only remount failed: ") + std::strerror(errno);
    say("skipped: " + reason);
    GTEST_SKIP() << reason;
  }
  ASSERT_TRUE(std::filesystem::exists(ro_db));

  say("a store on a read-only mount: `passgate keys create` exits 1 with 'passgate: key store unavailable: sqlite "
      "<file>: unable to open database file (…); try again' (WAL cannot make its shared-memory file)");
  for (const auto& args : {std::vector<std::string>{"keys", "create", "--config", ro_config, "--alias", "after"},
                           std::vector<std::string>{"spend", "logs", "--config", ro_config}}) {
    auto cli = run_passgate(args);
    EXPECT_EQ(cli.status, 1) << args[0] << " " << args[1] << ": " << cli.output;
    EXPECT_NE(cli.output.find("passgate: key store unavailable: sqlite " + ro_db + ": unable to open database file ("),
              std::string::npos)
        << cli.output;
    EXPECT_NE(cli.output.find("; try again"), std::string::npos) << cli.output;
  }
}

}  // namespace
}  // namespace passgate::test
