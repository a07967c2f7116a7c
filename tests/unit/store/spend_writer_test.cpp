// The spend writer: a failing store keeps rows queued and retried until written
// (each once), the queue is bounded by bytes, stop() is bounded while the store
// stays down and counts what it loses, and each failure episode is logged once.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdlib.h>

#include "store/spend_writer.hpp"
#include "support/captured_log.hpp"
#include "unit/store/temp_db_file.hpp"
#include "support/eventually.hpp"

namespace passgate::store {
namespace {

using passgate::test::captured_log;

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

// A store of which the spend writer uses insert_spend only.
class spend_only_store : public store {
 public:
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
  std::vector<spend_group_row> spend_report(const spend_filter&, spend_group, std::optional<spend_group>) override {
    unused();
  }
  double key_spend_usd(const std::string&, std::int64_t, policy::label_set) override { unused(); }
  std::vector<usage::spend_record> spend_in_order(std::int64_t&, std::int64_t) override { unused(); }
  int schema_version() override { unused(); }
};

// Records the rows of every successful insert_spend; fails while told to, as a
// locked database would (store::unavailable naming a file).
class fake_store final : public spend_only_store {
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

  std::string describe() const override { return "fake store"; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> count_;
  std::vector<std::size_t> batch_sizes_;
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

// Records how often each insert_spend was asked to yield its core; the first
// insert waits until released, so that rows pile up behind it.
class pacing_store final : public spend_only_store {
 public:
  std::size_t every = 0;
  std::vector<std::size_t> yields;  // one per insert_spend
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;

  void yield_every_spend_rows(std::size_t rows) override { every = rows; }
  void insert_spend(const std::vector<usage::spend_record>&) override {
    std::unique_lock lk(mu);
    yields.push_back(every);
    cv.wait(lk, [&] { return released; });
  }
  void release() {
    {
      std::lock_guard lk(mu);
      released = true;
    }
    cv.notify_all();
  }
  std::string describe() const override { return "pacing store"; }
};

TEST(spend_writer, yields_often_while_keeping_up_and_seldom_when_behind) {
  captured_log log;
  pacing_store st;
  spend_writer w(st, fast(16));
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(w.push(row(i)));  // a full batch: the writer takes it, and waits
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(st.mu);
    return st.yields.size() == 1;
  }));
  for (int i = 16; i < 160; ++i) ASSERT_TRUE(w.push(row(i)));  // 9 batches behind it
  st.release();
  w.stop();
  say("a writer that keeps up yields every 16 rows; 9 batches behind, every 128 rows until at most one batch waits "
      "behind the one in hand, then every 16 again");
  std::string seen;
  for (auto n : st.yields) seen += n == 16 ? 'y' : n == 128 ? '-' : '?';
  std::cout << "  batches (y: every 16 rows, -: every 128): " << seen << std::endl;
  ASSERT_EQ(st.yields.size(), 10u);
  EXPECT_EQ(seen, "y-------yy") << "160 rows in 10 batches: 144 queued after the first, seldom while more than 32";
  EXPECT_EQ(w.dropped(), 0u);
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
  std::vector<spend_group_row> spend_report(const spend_filter& f, spend_group g,
                                            std::optional<spend_group> split) override {
    return inner_.spend_report(f, g, split);
  }
  double key_spend_usd(const std::string& id, std::int64_t from, policy::label_set labels) override {
    return inner_.key_spend_usd(id, from, labels);
  }
  std::vector<usage::spend_record> spend_in_order(std::int64_t& cursor, std::int64_t limit) override {
    return inner_.spend_in_order(cursor, limit);
  }
  int schema_version() override { return inner_.schema_version(); }
  std::string describe() const override { return inner_.describe(); }

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

// ---- the spool: the second stage behind the queue ----

// A fresh directory under the temp directory, removed at the end.
class temp_dir {
 public:
  temp_dir() {
    std::string p = (std::filesystem::temp_directory_path() / "passgate-spool-XXXXXX").string();
    if (!::mkdtemp(p.data())) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::size_t files(std::string_view suffix) const {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(path_))
      if (e.path().string().ends_with(suffix)) ++n;
    return n;
  }

 private:
  std::filesystem::path path_;
};

spend_writer_options spooling(const temp_dir& dir, std::size_t queue_rows) {
  auto o = fast();
  o.max_queue_bytes = queue_rows * approx_bytes(row(0));
  o.spool_dir = dir.path();
  return o;
}

TEST(spend_spool, an_outage_longer_than_the_queue_loses_nothing_and_keeps_the_order) {
  temp_dir dir;
  fake_store st;
  st.down = true;
  spend_writer w(st, spooling(dir, 20));
  say("store down, queue of 20 rows: 200 rows pushed one by one are all accepted (half-full queues go to the spool)");
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    // Give the writer a chance to spill before the queue is full: it spills after each failed attempt.
    if (!w.push(row(i))) ++refused;
    if (w.queued_rows() >= 15) {
      ASSERT_TRUE(eventually([&] { return w.queued_rows() < 10; }));
    }
  }
  EXPECT_EQ(refused, 0);
  EXPECT_GT(w.spooled(), 150u);
  EXPECT_GT(dir.files(".jsonl"), 1u);
  EXPECT_EQ(w.spool_rows() + w.queued_rows(), 200u);
  say("the store comes back: every row is written exactly once, the spool first, in the order made; its files go");
  st.down = false;
  ASSERT_TRUE(eventually([&] { return w.written() == 200; })) << w.written();
  w.stop();
  auto counts = st.counts();
  ASSERT_EQ(counts.size(), 200u);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(w.dropped(), 0u);
  EXPECT_EQ(w.spool_rows(), 0u);
  EXPECT_EQ(dir.files(".jsonl"), 0u);
}

TEST(spend_spool, stop_while_the_store_is_down_keeps_the_rows_for_the_next_start) {
  temp_dir dir;
  fake_store st;
  st.down = true;
  auto opts = spooling(dir, 1000);
  opts.drain_timeout = 20ms;
  {
    spend_writer w(st, opts);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(w.push(row(i)));
    ASSERT_TRUE(eventually([&] { return w.write_errors() >= 1; }));
    w.stop();
    say("stop() with the store down: the 50 rows go to the spool, none lost");
    EXPECT_EQ(w.lost(), 0u);
    EXPECT_EQ(w.spool_rows(), 50u);
  }
  say("a second writer on the same directory (the next start) writes them once the store works, exactly once");
  st.down = false;
  spend_writer again(st, opts);
  EXPECT_TRUE(again.flush(10s)) << "flush waits for the rows spooled by the earlier run";
  again.stop();
  auto counts = st.counts();
  ASSERT_EQ(counts.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(counts[row(i).request_id], 1) << i;
  EXPECT_EQ(dir.files(".jsonl"), 0u);
}

TEST(spend_spool, a_full_spool_refuses_and_counts_instead_of_filling_the_disk) {
  temp_dir dir;
  fake_store st;
  st.down = true;
  auto opts = spooling(dir, 1000);
  opts.drain_timeout = 20ms;
  opts.spool_max_bytes = 1000;  // a few rows' worth of JSON lines
  spend_writer w(st, opts);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(w.push(row(i)));
  ASSERT_TRUE(eventually([&] { return w.write_errors() >= 1; }));
  w.stop();
  say("30 rows, a spool of 1000 bytes: the spill does not fit, so the rows are counted lost at stop, never half-written");
  EXPECT_EQ(w.lost(), 30u);
  EXPECT_EQ(dir.files(".jsonl"), 0u);
  EXPECT_EQ(dir.files(".tmp"), 0u);
}

TEST(spend_spool, one_directory_serves_one_process) {
  temp_dir dir;
  spend_spool first(dir.path(), 1 << 20);
  say("a second spool on a locked directory is refused with a message naming it");
  try {
    spend_spool second(dir.path(), 1 << 20);
    FAIL() << "two spools on one directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another passgate process"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
  }
}

TEST(spend_spool, a_damaged_file_is_set_aside_and_the_rest_replayed) {
  temp_dir dir;
  {
    spend_spool sp(dir.path(), 1 << 20);
    std::vector<usage::spend_record> rows{row(1), row(2)};
    ASSERT_TRUE(sp.append(rows));
    std::vector<usage::spend_record> more{row(3)};
    ASSERT_TRUE(sp.append(more));
  }
  // Damage the first file.
  {
    std::filesystem::path first;  // the older spill: the lowest sequence number sorts first
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
      if (e.path().filename().string().starts_with("spend-") && (first.empty() || e.path() < first)) first = e.path();
    std::ofstream f(first, std::ios::app);
    f << "{not json\n";
  }
  spend_spool sp(dir.path(), 1 << 20);
  std::vector<usage::spend_record> got;
  say("the damaged file goes to .bad (its rows are not half-replayed); the next file's row is read");
  ASSERT_EQ(sp.peek(got, 10), 1u);
  EXPECT_EQ(got[0].request_id, row(3).request_id);
  EXPECT_EQ(dir.files(".bad"), 1u);
  EXPECT_EQ(sp.take_set_aside(), 3u) << "the damaged file's rows are reported, for the writer to count as lost";
  EXPECT_EQ(sp.take_set_aside(), 0u);
  sp.consume(1);
  EXPECT_TRUE(sp.empty());
  say("a row read back equals the row written, field by field (attribution too, and bytes that are not UTF-8)");
  spend_spool sp2(dir.path() / "sub", 1 << 20);
  auto r = row(7);
  r.ttfb_ms = 5;
  r.input_tokens = 10;
  r.cost_usd = 0.25;
  r.path = std::string("/v1/\xff\xfe", 6);  // not UTF-8: kept as it is
  r.end_user = "4b1e0f9c-2d3a-4e5f-8a7b-6c5d4e3f2a1b";
  r.session_id = "s-1";
  r.agent_id = "agent-7";
  r.client = "claude-cli/2.1.3";
  ASSERT_TRUE(sp2.append(std::span(&r, 1)));
  std::vector<usage::spend_record> back;
  ASSERT_EQ(sp2.peek(back, 10), 1u);
  EXPECT_EQ(back[0].request_id, r.request_id);
  EXPECT_EQ(back[0].ttfb_ms, r.ttfb_ms);
  EXPECT_EQ(back[0].input_tokens, r.input_tokens);
  EXPECT_FALSE(back[0].output_tokens);
  EXPECT_EQ(back[0].cost_usd, r.cost_usd);
  EXPECT_EQ(back[0].model, r.model);
  EXPECT_EQ(back[0].started_at_ms, r.started_at_ms);
  EXPECT_EQ(back[0].path, r.path);
  EXPECT_EQ(back[0].end_user, r.end_user);
  EXPECT_EQ(back[0].session_id, r.session_id);
  EXPECT_EQ(back[0].agent_id, r.agent_id);
  EXPECT_EQ(back[0].client, r.client);
}

// Refuses any batch holding a row whose model is "refused", as PostgreSQL does
// with a value too large for an index (store::rejected); stores the rest.
class refusing_store final : public spend_only_store {
 public:
  std::map<std::string, int> counts;
  void insert_spend(const std::vector<usage::spend_record>& rows) override {
    for (const auto& r : rows)
      if (r.model == "refused") throw rejected("postgres h:5432/db: index row size exceeds maximum [54000] (insert spend)");
    for (const auto& r : rows) ++counts[r.request_id];
  }
  std::string describe() const override { return "refusing store"; }
};

TEST(spend_writer, a_row_the_store_refuses_is_set_aside_and_the_rest_written) {
  say("a batch the store refuses for one row's content: the other rows are written, that row is set aside in the "
      "spool's rejected file, the writer goes on (no retry loop)");
  temp_dir dir;
  refusing_store st;
  auto opts = spooling(dir, 1000);
  spend_writer w(st, opts);
  for (int i = 0; i < 20; ++i) {
    auto r = row(i);
    if (i == 7) r.model = "refused";
    ASSERT_TRUE(w.push(std::move(r)));
  }
  ASSERT_TRUE(w.flush(10s));
  w.push(row(100));
  w.stop();
  EXPECT_EQ(st.counts.size(), 20u) << "19 of the batch, then the next row";
  EXPECT_EQ(st.counts.count(row(7).request_id), 0u);
  EXPECT_EQ(w.rejected(), 1u);
  EXPECT_EQ(w.written(), 20u);
  EXPECT_EQ(w.dropped(), 0u);
  EXPECT_EQ(dir.files(".jsonl"), 1u);
  EXPECT_EQ(w.spool_rows(), 0u) << "a rejected file is never replayed";
}

}  // namespace
}  // namespace passgate::store
