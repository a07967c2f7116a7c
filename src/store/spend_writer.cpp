#include "store/spend_writer.hpp"

#include <spdlog/spdlog.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace passgate::store {

std::size_t approx_bytes(const usage::spend_record& r) {
  return sizeof r + r.request_id.size() + r.key_id.size() + r.key_alias.size() + r.route.size() + r.path.size() +
         r.method.size() + r.model.size() + r.credential.size() + r.outcome.size() + r.end_user.size() +
         r.session_id.size() + r.agent_id.size() + r.client.size();
}

spend_writer::spend_writer(store& st, spend_writer_options opts) : store_(st), opts_(opts) {
  if (!opts_.spool_dir.empty()) {
    spool_ = std::make_unique<spend_spool>(opts_.spool_dir, opts_.spool_max_bytes);
    // An earlier run's spooled rows count as queued: flush() waits for them too.
    queued_total_.store(spool_->rows(), std::memory_order_relaxed);
  }
  thread_ = std::thread([this] { run(); });
}

spend_writer::~spend_writer() { stop(); }

bool spend_writer::push(usage::spend_record&& row) {
  const std::size_t size = approx_bytes(row);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      lost_.fetch_add(1, std::memory_order_relaxed);  // after stop(): nobody would write it
      return false;
    }
    if (bytes_.load(std::memory_order_relaxed) + size > opts_.max_queue_bytes) {
      auto n = overflowed_.fetch_add(1, std::memory_order_relaxed) + 1;
      // One line per power of two: visible, never a flood.
      if ((n & (n - 1)) == 0)
        spdlog::warn("spend queue full ({} bytes, {} rows waiting): {} row(s) dropped so far", opts_.max_queue_bytes,
                     rows_.load(std::memory_order_relaxed), n);
      return false;
    }
    queue_.push(std::move(row), size);
    queued_total_.store(queued_total_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    rows_.store(rows_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    bytes_.store(bytes_.load(std::memory_order_relaxed) + size, std::memory_order_relaxed);
    wake = queue_.size() == opts_.batch;  // a full batch: write now rather than at the next tick
  }
  if (wake) wake_.notify_one();
  return true;
}

void spend_writer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t spend_writer::take_batch(std::vector<usage::spend_record>& batch) {
  std::size_t size = 0;
  while (!queue_.empty() && batch.size() < opts_.batch) {
    batch.push_back(std::move(queue_.front().first));
    size += queue_.front().second;
    queue_.pop_front();
  }
  return size;
}

void spend_writer::forget(std::size_t rows, std::size_t bytes) {
  std::lock_guard lock(mu_);
  rows_.store(rows_.load(std::memory_order_relaxed) - rows, std::memory_order_relaxed);
  bytes_.store(bytes_.load(std::memory_order_relaxed) - bytes, std::memory_order_relaxed);
}

bool spend_writer::flush(std::chrono::milliseconds max_wait) {
  auto until = std::chrono::steady_clock::now() + max_wait;
  std::uint64_t target = 0;
  {
    std::lock_guard lock(mu_);
    flush_requested_ = true;
    // The rows queued so far: each ends written, or not (lost, refused by the
    // store, in a damaged spool file), in the order queued. Rows queued after
    // this call are not waited for, so steady traffic does not keep a flush waiting.
    target = queued_total_.load(std::memory_order_relaxed);
  }
  wake_.notify_one();
  while (written_.load(std::memory_order_relaxed) + lost_after_queue_.load(std::memory_order_relaxed) < target) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void spend_writer::count_lost(std::size_t rows) {
  lost_.fetch_add(rows, std::memory_order_relaxed);
  lost_after_queue_.fetch_add(rows, std::memory_order_relaxed);
}

bool spend_writer::spill(std::vector<usage::spend_record>* batch, std::size_t batch_bytes) {
  if (!spool_) return false;
  // The queue is taken whole under the lock (a swap: push() waits for nothing
  // more) and written without it; a refused spill puts it back in front of
  // whatever was pushed meanwhile, in order.
  std::vector<row_queue::entry> taken;
  {
    std::lock_guard lock(mu_);
    taken = queue_.take_all();
  }
  std::vector<usage::spend_record> rows;
  std::size_t bytes = 0;
  rows.reserve((batch ? batch->size() : 0) + taken.size());
  if (batch)
    for (auto& r : *batch) rows.push_back(std::move(r));
  for (auto& [row, size] : taken) {
    rows.push_back(std::move(row));
    bytes += size;
  }
  if (rows.empty()) return true;
  if (!spool_->append(rows)) {
    // Back as they were: the batch's rows to the batch, the rest to the queue.
    std::size_t i = 0;
    if (batch)
      for (auto& r : *batch) r = std::move(rows[i++]);
    for (auto& [row, size] : taken) row = std::move(rows[i++]);
    std::lock_guard lock(mu_);
    queue_.put_back_front(std::move(taken));
    return false;
  }
  if (batch) {
    bytes += batch_bytes;
    batch->clear();
  }
  forget(rows.size(), bytes);
  spooled_.fetch_add(rows.size(), std::memory_order_relaxed);
  spdlog::warn("spend writer: {} row(s) moved to the spool {} while the store fails or catches up ({} row(s) there now)",
               rows.size(), spool_->dir().string(), spool_->rows());
  return true;
}

bool spend_writer::write_row_by_row(std::vector<usage::spend_record>& batch) {
  refused_in_batch_ = 0;
  std::vector<usage::spend_record> refused;
  std::string why;
  for (auto& row : batch) {
    try {
      store_.insert_spend({row});
    } catch (const passgate::store::rejected& e) {
      why = e.what();
      refused.push_back(std::move(row));
    } catch (const std::exception&) {
      return false;  // the store itself fails: the whole batch again, later
    }
  }
  refused_in_batch_ = refused.size();
  if (!refused.empty()) {
    rejected_.fetch_add(refused.size(), std::memory_order_relaxed);
    const bool kept = spool_ && spool_->append_rejected(refused);
    // Either way they will not be written: flush() stops waiting for them.
    if (kept) lost_after_queue_.fetch_add(refused.size(), std::memory_order_relaxed);
    else count_lost(refused.size());
    spdlog::error("spend writer: the store refuses {} row(s) for what they hold ({}); {}", refused.size(), why,
                  kept ? "set aside in " + spool_->dir().string() + " (rejected-*.jsonl)" : std::string("dropped"));
  }
  return true;
}

void spend_writer::run() {
  // Below the I/O threads, so that a batch never holds a request back on a busy
  // core; nice 5 still leaves it a quarter of a contended core, more than it needs.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
  ::pthread_setname_np(::pthread_self(), "pg-spend");
  using clock = std::chrono::steady_clock;
  std::vector<usage::spend_record> batch;  // not yet written: off the queue, or a copy of the spool's oldest
  batch.reserve(opts_.batch);
  std::size_t batch_bytes = 0;
  bool from_spool = false;  // the batch is the spool's: consume it there once written
  std::optional<clock::time_point> give_up_at;  // set when stop() is seen
  // The current failure episode: the pause before the next attempt (0: the last
  // attempt worked), the attempts repeated so far and the last error.
  std::chrono::milliseconds pause{0};
  std::uint64_t episode_retries = 0;
  std::string last_error;
  // After a failure: wait out the pause, waking early only when stop() starts the drain.
  auto wait_pause = [&](std::unique_lock<std::mutex>& lock) {
    auto until = clock::now() + pause;
    if (give_up_at) until = std::min(until, *give_up_at);
    wake_.wait_until(lock, until, [&] { return stopping_ && !give_up_at; });
  };
  // The batch, when it came off the queue (a spill takes it first); else null.
  auto queue_batch = [&] { return from_spool ? nullptr : &batch; };

  for (;;) {
    const bool spool_waiting = spool_ && !spool_->empty();
    {
      std::unique_lock lock(mu_);
      if (batch.empty() && !spool_waiting) {
        wake_.wait_for(lock, opts_.flush_interval,
                       [&] { return stopping_ || flush_requested_ || queue_.size() >= opts_.batch; });
        if (queue_.size() <= opts_.batch) flush_requested_ = false;  // this batch empties the queue
        batch_bytes = take_batch(batch);
        from_spool = false;
      } else if (!batch.empty()) {
        wait_pause(lock);
      }
      if (stopping_ && !give_up_at) give_up_at = clock::now() + opts_.drain_timeout;
      if (batch.empty() && !spool_waiting && stopping_) return;  // everything written
    }
    if (batch.empty()) {
      if (!spool_waiting) continue;  // nothing queued yet
      // The spool holds older rows than the queue: they go first.
      from_spool = true;
      batch_bytes = 0;
      const auto peeked = spool_->peek(batch, opts_.batch);
      if (auto aside = spool_->take_set_aside()) count_lost(aside);  // a damaged file: its rows will not come
      if (peeked == 0) continue;
    }

    // Past the drain's deadline: what is left goes to the spool (failing, slow
    // or still replaying: a stop must not outlast drain_timeout by much), or,
    // without one, is given up only while the store fails.
    if (give_up_at && clock::now() >= *give_up_at && (pause.count() > 0 || spool_)) {
      if (spill(queue_batch(), batch_bytes)) {
        spdlog::warn("spend writer: stopped with {} row(s) in the spool {}; they are written at the next start",
                     spool_->rows(), spool_->dir().string());
        return;
      }
      std::size_t lost = 0;
      {
        std::lock_guard lock(mu_);
        lost = rows_.load(std::memory_order_relaxed);
        queue_.clear();
        rows_.store(0, std::memory_order_relaxed);
        bytes_.store(0, std::memory_order_relaxed);
      }
      count_lost(lost);
      spdlog::error("spend writer: the store still failed {} ms after the stop began; {} spend row(s) lost: {}",
                    opts_.drain_timeout.count(), lost, last_error);
      return;
    }
    if (pause.count() > 0) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      ++episode_retries;
    }
    // Inside a batch, yield the core every 16 rows (~50 µs of work) while keeping
    // up (at most one more batch waits); further behind, every 128 rows (~0.5 ms):
    // a request then waits at most that long, and the writer still catches up.
    // (Yielding every 16 rows when behind starved it: rows were dropped.)
    const bool keeping_up = rows_.load(std::memory_order_relaxed) <= 2 * opts_.batch;
    store_.yield_every_spend_rows(keeping_up ? 16 : 128);
    try {
      try {
        store_.insert_spend(batch);
      } catch (const passgate::store::rejected&) {
        if (!write_row_by_row(batch)) throw;
      }
    } catch (const std::exception& e) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      last_error = e.what();
      if (pause.count() == 0)
        spdlog::warn("spend writer: cannot write to the store; {} row(s) kept queued, retrying: {}", pending_rows(),
                     last_error);
      pause = pause.count() == 0 ? opts_.retry_initial : std::min(pause * 2, opts_.retry_max);
      pause = std::max(pause, std::chrono::milliseconds(1));
      // Half the queue's room used: the rest of the outage goes to disk.
      if (queue_half_full() && spill(queue_batch(), batch_bytes)) batch_bytes = 0;
      if (from_spool) batch.clear();  // read again from the spool at the next attempt
      if (batch.empty()) {
        // Nothing in hand: wait out the pause here before trying the spool again.
        std::unique_lock lock(mu_);
        wait_pause(lock);
      }
      continue;
    }
    written_.fetch_add(batch.size() - std::exchange(refused_in_batch_, 0), std::memory_order_relaxed);
    if (from_spool) {
      spool_->consume(batch.size());
      // A long replay must not leave the queue to overflow: behind the spool's
      // rows it goes, in order, once it is half full.
      if (queue_half_full()) spill(nullptr, 0);
    } else {
      forget(batch.size(), batch_bytes);
    }
    if (pause.count() > 0)
      spdlog::info("spend writer: store writable again after {} retries, {} row(s) written, {} still queued",
                   episode_retries, batch.size(), pending_rows());
    pause = std::chrono::milliseconds(0);
    episode_retries = 0;
    batch.clear();
    batch_bytes = 0;
  }
}

}  // namespace passgate::store
