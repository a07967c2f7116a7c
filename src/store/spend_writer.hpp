#pragma once
// Writes spend rows to the store from its own thread, in batches, so that an I/O
// thread only ever appends to a bounded queue (a short lock and a move).
//
// The queue is bounded by bytes (each row's approximate size: the struct plus its
// strings), counting the batch being written. A row that does not fit is dropped,
// counted, and logged once per power of two. Nothing else is dropped while the
// process runs: when a write fails (the store locked, read-only, full, gone…) the
// batch stays queued and is written again after a pause that doubles from
// retry_initial to retry_max, until it goes through; the store skips request_ids
// it already holds, so a batch whose commit did happen counts once. One warning
// when the store starts failing, one line when it works again.
//
// With a spool (spool_dir set; spend_spool.hpp) nothing is lost while the store
// fails: once the queue is half full, the writer moves what it holds to a spool
// file, and replays the spool, oldest first, before the queue when the store
// works again. Rows are dropped only when the spool is full too (spool_max_bytes)
// or the disk refuses them.
//
// stop() writes what is queued; while the store fails it keeps retrying for at
// most drain_timeout (measured from the stop), then moves what is left to the
// spool (replayed at the next start) or, without one, gives up and logs exactly
// how many rows were lost.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "store/row_queue.hpp"
#include "store/spend_spool.hpp"
#include "store/store.hpp"

namespace passgate::store {

struct spend_writer_options {
  std::size_t max_queue_bytes = std::size_t(64) << 20;
  // Rows per transaction. Larger batches rewrite fewer B-tree pages per row (512
  // against 128: ~9 % less writer CPU per row). The SQLite store yields the core
  // every few rows inside one (more seldom when the writer is behind), so that a
  // batch does not hold a request back.
  std::size_t batch = 512;
  std::chrono::milliseconds flush_interval{200};
  std::chrono::milliseconds retry_initial{50};
  std::chrono::milliseconds retry_max{5000};
  std::chrono::milliseconds drain_timeout{10000};
  std::filesystem::path spool_dir;  // empty: no spool
  std::uint64_t spool_max_bytes = 1ull << 30;
};

// The bytes a queued row counts for.
std::size_t approx_bytes(const usage::spend_record& row);

class spend_writer {
 public:
  // Throws std::runtime_error when the spool directory cannot be used.
  spend_writer(store& st, spend_writer_options opts = {});
  ~spend_writer();  // stop()
  spend_writer(const spend_writer&) = delete;

  // Never blocks beyond a short lock; false when the row did not fit (dropped).
  bool push(usage::spend_record&& row);
  // Writes everything queued (retrying a failing store for at most
  // drain_timeout), then stops the thread. Idempotent.
  void stop();

  // Asks for what is queued to be written now and waits until every row queued
  // before the call is written, for at most max_wait; false if some were not
  // by then. For readers that need the store to include every row pushed so far
  // (budgets).
  bool flush(std::chrono::milliseconds max_wait);
  // Waiting or being written now.
  std::size_t queued_rows() const { return rows_.load(std::memory_order_relaxed); }
  std::size_t queued_bytes() const { return bytes_.load(std::memory_order_relaxed); }
  // In the store (rows of a batch whose request_id was already there count too).
  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  // Overflow plus rows lost at stop().
  std::uint64_t dropped() const { return overflowed() + lost(); }
  std::uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }
  std::uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
  // Failed write attempts, and attempts that repeated a batch after one.
  std::uint64_t write_errors() const { return errors_.load(std::memory_order_relaxed); }
  std::uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  // In the spool now, waiting for the store; and ever moved there.
  std::uint64_t spool_rows() const { return spool_ ? spool_->rows() : 0; }
  std::uint64_t spool_bytes() const { return spool_ ? spool_->bytes() : 0; }
  std::uint64_t spooled() const { return spooled_.load(std::memory_order_relaxed); }
  // Rows the store refused for what they hold: set aside in the spool's
  // rejected-*.jsonl (counted in lost() and dropped() only without a spool).
  std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Takes up to opts_.batch rows off the queue (they stay counted in rows_/bytes_).
  std::size_t take_batch(std::vector<usage::spend_record>& batch);
  void forget(std::size_t rows, std::size_t bytes);  // written or lost
  // Moves the queue (and `batch` first, when given: one taken off the queue,
  // of batch_bytes) to the spool. False: no spool, or it refused them (they
  // stay where they were).
  bool spill(std::vector<usage::spend_record>* batch, std::size_t batch_bytes);
  // Once half the queue's room is used, the rest goes to the spool (while the
  // store fails, or while the spool replays).
  bool queue_half_full() const {
    return spool_ && bytes_.load(std::memory_order_relaxed) >= opts_.max_queue_bytes / 2;
  }
  // Rows not yet in the store: queued and spooled.
  std::uint64_t pending_rows() const { return rows_.load(std::memory_order_relaxed) + spool_rows(); }
  void count_lost(std::size_t rows);
  // The store refused the batch for what it holds: writes its rows one by one
  // and sets aside those it refuses alone (in the spool's rejected file when
  // there is a spool). True when the batch is done with; false when a row-by-row
  // attempt found the store itself failing (retry the batch as usual).
  bool write_row_by_row(std::vector<usage::spend_record>& batch);

  store& store_;
  const spend_writer_options opts_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  row_queue queue_;
  bool stopping_ = false;
  bool flush_requested_ = false;  // write without waiting for a full batch or the interval
  // Written under mu_, read anywhere.
  std::atomic<std::size_t> rows_{0}, bytes_{0};
  std::atomic<std::uint64_t> written_{0}, overflowed_{0}, lost_{0}, errors_{0}, retries_{0};
  // Rows ever queued, and those of them lost at a stop: flush() waits for the rest.
  std::atomic<std::uint64_t> queued_total_{0}, lost_after_queue_{0};
  std::atomic<std::uint64_t> spooled_{0}, rejected_{0};
  std::size_t refused_in_batch_ = 0;  // the writer's thread only: rows of the current batch set aside
  std::unique_ptr<spend_spool> spool_;  // used by the writer's thread only
  std::thread thread_;
};

}  // namespace passgate::store
