// The spend writer: a failing store keeps rows queued and retried until written
// (each once), the queue is bounded by bytes, stop() is bounded while the store
// stays down and counts what it loses, and each failure episode is logged once.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "store/spend_writer.hpp"
#include "unit/store/temp_db_file.hpp"
#include "support/eventually.hpp"

namespace passgate::store {
namespace {

using namespace std::chrono_literals;
using passgate::test::eventually;

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

usage::spend_record row(int n) {
  usage::spend_record r;
  char id[32];
  std::snprintf(id, sizeof id, "req_%06d", n);  // fixed width: every row has the same size
  r.request_id = id;
  r.started_at_ms = 1'714'521'600'000 + n;
  r.duration_ms = 10;
  r.key_id = "key_a";
  r.route = "anthropic";
  r.path = "/v1/messages";
  r.method = "POST";
  r.status = 200;
  r.model = "claude-sonnet";
  r.credential = "server";
  r.outcome = "ok";
  return r;
}


// Fast timings: nothing below depends on them, they only keep the test short.
spend_writer_options fast(std::size_t batch = 8) {
  spend_writer_options o;
  o.batch = batch;
  o.flush_interval = 2ms;
  o.retry_initial = 1ms;
  o.retry_max = 4ms;
  o.drain_timeout = 60s;  // a stop() that must write everything
  return o;
}

// Records the rows of every successful insert_spend; fails while told to, as a
// locked database would (store::unavailable naming a file).
class fake_store final : public store {
 public:
  std::atomic<int> fail_next{0};       // fail this many more calls
  std::atomic<bool> down{false};       // fail every call while set
  std::atomic<int> calls{0}, failures{0};

  void insert_spend(const std::vector<usage::spend_record>& rows) override {
    ++calls;
    if (down || fail_next > 0) {
      if (fail_next > 0) --fail_next;
      ++failures;
      throw unavailable("sqlite /data/passgate.db: database is locked (begin transaction)");
    }
    std::lock_guard lk(mu_);
    for (const auto& r : rows) ++count_[r.request_id];
    batch_sizes_.push_back(rows.size());
  }
  std::map<std::string, int> counts() const {
    std::lock_guard lk(mu_);
    return count_;
  }
  std::vector<std::size_t> batch_sizes() const {
    std::lock_guard lk(mu_);
    return batch_sizes_;
  }

  [[noreturn]] static void unused() { throw std::logic_error("not used by the spend writer"); }
  void insert_key(const auth::key_record&) override { unused(); }
  std::optional<auth::key_record> find_key_by_hash(const std::string&) override { unused(); }
  std::optional<auth::key_record> find_key_by_id(const std::string&) override { unused(); }
  std::vector<auth::key_record> list_keys(page) override { unused(); }
  bool update_key(const auth::key_record&) override { unused(); }
  bool revoke_key_by_id(const std::string&) override { unused(); }
  bool revoke_key_by_hash(const std::string&) override { unused(); }
  std::int64_t keys_version() override { unused(); }
  std::vector<usage::spend_record> spend_logs(const spend_filter&, page) override { unused(); }
  std::vector<spend_group_row> spend_report(const spend_filter&, spend_group) override { unused(); }
  double key_spend_usd(const std::string&, std::int64_t, policy::label_set) override { unused(); }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> count_;
  std::vector<std::size_t> batch_sizes_;
};

// Routes spdlog's default logger into a string for the life of the object.
class captured_log {
 public:
  captured_log() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~captured_log() { spdlog::set_default_logger(previous_); }
  int count(std::string_view what) const {
    std::string text = str();
    int n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
  }
  std::string str() const {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(spend_writer, healthy_store_gets_every_row_in_batches) {
  captured_log log;
  fake_store st;
  spend_writer w(st, fast(16));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(w.push(row(i)));
  w.stop();
  say("100 rows pushed: each written once, in batches of at most 16, nothing retried or dropped");
  auto counts = st.counts();
  ASSERT_EQ(counts.size(), 100u);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id;
  for (auto n : st.batch_sizes()) EXPECT_LE(n, 16u);
  EXPECT_EQ(w.written(), 100u);
  EXPECT_EQ(w.retries(), 0u);
  EXPECT_EQ(w.dropped(), 0u);
  EXPECT_EQ(w.queued_rows(), 0u);
  EXPECT_EQ(w.queued_bytes(), 0u);
  EXPECT_EQ(log.count("spend writer"), 0) << log.str();
}

TEST(spend_writer, failed_batches_stay_queued_and_are_retried_until_written_once) {
  captured_log log;
  fake_store st;
  st.fail_next = 5;
  spend_writer w(st, fast());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(w.push(row(i)));
  say("the store fails its first 5 writes: the writer retries the batch, nothing is dropped meanwhile");
  ASSERT_TRUE(eventually([&] { return w.written() == 50; })) << "written " << w.written();
  EXPECT_EQ(st.failures, 5);
  EXPECT_EQ(w.write_errors(), 5u);
  EXPECT_EQ(w.retries(), 5u) << "one retry after each failure";
  EXPECT_EQ(w.dropped(), 0u);
  w.stop();
  say("every row reached the store exactly once, and the queue is empty");
  auto counts = st.counts();
  ASSERT_EQ(counts.size(), 50u);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(w.queued_rows(), 0u);
  EXPECT_EQ(w.queued_bytes(), 0u);
  say("one warning for the episode, naming the file and the reason; one line when it recovered");
  EXPECT_EQ(log.count("cannot write to the store"), 1) << log.str();
  EXPECT_EQ(log.count("sqlite /data/passgate.db: database is locked"), 1) << log.str();
  EXPECT_EQ(log.count("store writable again after 5 retries"), 1) << log.str();
}

TEST(spend_writer, a_second_episode_is_logged_again) {
  captured_log log;
  fake_store st;
  spend_writer w(st, fast());
  st.fail_next = 2;
  for (int i = 0; i < 8; ++i) w.push(row(i));
  ASSERT_TRUE(eventually([&] { return w.written() == 8; }));
  st.fail_next = 3;
  for (int i = 8; i < 16; ++i) w.push(row(i));
  ASSERT_TRUE(eventually([&] { return w.written() == 16; }));
  w.stop();
  say("two failure episodes: two warnings and two recoveries, none per retry");
  EXPECT_EQ(log.count("cannot write to the store"), 2) << log.str();
  EXPECT_EQ(log.count("store writable again after 2 retries"), 1) << log.str();
  EXPECT_EQ(log.count("store writable again after 3 retries"), 1) << log.str();
  EXPECT_EQ(w.retries(), 5u);
}

TEST(spend_writer, queue_is_bounded_by_bytes_and_only_the_overflow_is_dropped) {
  captured_log log;
  fake_store st;
  st.down = true;
  const std::size_t size = approx_bytes(row(0));
  auto opts = fast();
  opts.max_queue_bytes = 40 * size + size / 2;  // room for 40 rows, not 41
  spend_writer w(st, opts);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 60; ++i) (w.push(row(i)) ? accepted : refused)++;
  say("the store is down; 60 rows of " + std::to_string(size) + " bytes into a queue of 40.5 rows: 40 kept, 20 dropped");
  EXPECT_EQ(accepted, 40);
  EXPECT_EQ(refused, 20);
  EXPECT_EQ(w.overflowed(), 20u);
  EXPECT_EQ(w.dropped(), 20u);
  EXPECT_EQ(w.queued_rows(), 40u) << "the batch being retried counts too";
  EXPECT_EQ(w.queued_bytes(), 40 * size);
  say("overflow is logged once per power of two (1, 2, 4, 8, 16)");
  EXPECT_EQ(log.count("spend queue full"), 5) << log.str();

  say("the store comes back: all 40 kept rows are written, once each");
  st.down = false;
  ASSERT_TRUE(eventually([&] { return w.written() == 40; })) << "written " << w.written();
  w.stop();
  auto counts = st.counts();
  ASSERT_EQ(counts.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(counts[row(i).request_id], 1) << i;
  EXPECT_EQ(w.lost(), 0u);
  EXPECT_EQ(w.queued_bytes(), 0u);

  say("and with room again, a new row is taken");
  fake_store st2;
  spend_writer w2(st2, opts);
  EXPECT_TRUE(w2.push(row(100)));
}

TEST(spend_writer, stop_with_the_store_down_is_bounded_and_counts_the_lost_rows) {
  captured_log log;
  fake_store st;
  st.down = true;
  auto opts = fast();
  opts.drain_timeout = 50ms;
  spend_writer w(st, opts);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(w.push(row(i)));
  ASSERT_TRUE(eventually([&] { return w.write_errors() >= 2; }));
  say("stop() while the store stays down: it gives up after drain_timeout and says how many rows were lost");
  w.stop();  // returns: a hang here fails the test by its time-out
  EXPECT_EQ(w.lost(), 30u);
  EXPECT_EQ(w.dropped(), 30u);
  EXPECT_EQ(w.written(), 0u);
  EXPECT_EQ(w.queued_rows(), 0u);
  EXPECT_EQ(w.queued_bytes(), 0u);
  EXPECT_EQ(log.count("30 spend row(s) lost"), 1) << log.str();
  EXPECT_EQ(log.count("database is locked"), 2) << "the episode's warning and the final error: " << log.str();
  say("a row pushed after stop() is refused and counted as lost");
  EXPECT_FALSE(w.push(row(99)));
  EXPECT_EQ(w.lost(), 31u);
  w.stop();  // idempotent
}

TEST(spend_writer, stop_keeps_retrying_a_store_that_comes_back) {
  fake_store st;
  st.down = true;
  auto opts = fast();
  opts.drain_timeout = 60s;
  spend_writer w(st, opts);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(w.push(row(i)));
  ASSERT_TRUE(eventually([&] { return w.write_errors() >= 1; }));
  std::thread revive([&] {
    // Brings the store back only once stop() is retrying (more failures after it began).
    auto before = st.failures.load();
    eventually([&] { return st.failures >= before + 3; });
    st.down = false;
  });
  say("stop() while the store is down, which comes back during the drain: every row written, none lost");
  w.stop();
  revive.join();
  EXPECT_EQ(w.written(), 20u);
  EXPECT_EQ(w.lost(), 0u);
  EXPECT_EQ(st.counts().size(), 20u);
}

// A real SQLite store whose first write commits and then reports a failure (an
// answer lost after COMMIT, an I/O error at the last step): the writer retries a
// batch that is already in.
class commits_then_fails final : public store {
 public:
  explicit commits_then_fails(store& inner) : inner_(inner) {}
  std::atomic<int> lies{1};
  void insert_spend(const std::vector<usage::spend_record>& rows) override {
    inner_.insert_spend(rows);
    if (lies-- > 0) throw unavailable("sqlite /data/passgate.db: disk I/O error (commit)");
  }
  void insert_key(const auth::key_record& r) override { inner_.insert_key(r); }
  std::optional<auth::key_record> find_key_by_hash(const std::string& h) override { return inner_.find_key_by_hash(h); }
  std::optional<auth::key_record> find_key_by_id(const std::string& id) override { return inner_.find_key_by_id(id); }
  std::vector<auth::key_record> list_keys(page p) override { return inner_.list_keys(p); }
  bool update_key(const auth::key_record& r) override { return inner_.update_key(r); }
  bool revoke_key_by_id(const std::string& id) override { return inner_.revoke_key_by_id(id); }
  bool revoke_key_by_hash(const std::string& h) override { return inner_.revoke_key_by_hash(h); }
  std::int64_t keys_version() override { return inner_.keys_version(); }
  std::vector<usage::spend_record> spend_logs(const spend_filter& f, page p) override { return inner_.spend_logs(f, p); }
  std::vector<spend_group_row> spend_report(const spend_filter& f, spend_group g) override {
    return inner_.spend_report(f, g);
  }
  double key_spend_usd(const std::string& id, std::int64_t from, policy::label_set labels) override {
    return inner_.key_spend_usd(id, from, labels);
  }

 private:
  store& inner_;
};

TEST(spend_writer, a_batch_retried_after_it_committed_counts_once) {
  test::temp_db_file file;
  auto db = open_sqlite(file.path());
  commits_then_fails st(*db);
  spend_writer w(st, fast(8));
  for (int i = 0; i < 20; ++i) w.push(row(i));
  w.stop();
  say("the first batch committed but was reported failed, so it was written again: still one row per request id");
  EXPECT_EQ(w.retries(), 1u);
  auto rows = db->spend_logs({}, {0, 1000});
  EXPECT_EQ(rows.size(), 20u);
  std::map<std::string, int> seen;
  for (const auto& r : rows) ++seen[r.request_id];
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[row(i).request_id], 1) << i;
}

}  // namespace
}  // namespace passgate::store
