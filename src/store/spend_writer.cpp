#include "store/spend_writer.hpp"

#include <spdlog/spdlog.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

namespace passgate::store {

std::size_t approx_bytes(const usage::spend_record& r) {
  return sizeof r + r.request_id.size() + r.key_id.size() + r.key_alias.size() + r.route.size() + r.path.size() +
         r.method.size() + r.model.size() + r.credential.size() + r.outcome.size();
}

spend_writer::spend_writer(store& st, spend_writer_options opts) : store_(st), opts_(opts) {
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
    queue_.emplace_back(std::move(row), size);
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
    // The rows queued so far: each is written or, at a stop that gave up, lost.
    // Rows queued after this call are not waited for, so steady traffic does
    // not keep a flush waiting.
    target = queued_total_.load(std::memory_order_relaxed) - lost_after_queue_.load(std::memory_order_relaxed);
  }
  wake_.notify_one();
  while (written_.load(std::memory_order_relaxed) < target) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void spend_writer::run() {
  // Below the I/O threads, so that a batch never holds a request back on a busy
  // core; nice 5 still leaves it a quarter of a contended core, more than it needs.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
  ::pthread_setname_np(::pthread_self(), "pg-spend");
  using clock = std::chrono::steady_clock;
  std::vector<usage::spend_record> batch;  // taken off the queue, not yet written
  batch.reserve(opts_.batch);
  std::size_t batch_bytes = 0;
  std::optional<clock::time_point> give_up_at;  // set when stop() is seen
  // The current failure episode: the pause before the next attempt (0: the last
  // attempt worked), the attempts repeated so far and the last error.
  std::chrono::milliseconds pause{0};
  std::uint64_t episode_retries = 0;
  std::string last_error;

  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (batch.empty()) {
        wake_.wait_for(lock, opts_.flush_interval,
                       [&] { return stopping_ || flush_requested_ || queue_.size() >= opts_.batch; });
        if (queue_.size() <= opts_.batch) flush_requested_ = false;  // this batch empties the queue
        batch_bytes = take_batch(batch);
      } else {
        // After a failure: pause, waking early only when stop() starts the drain.
        auto until = clock::now() + pause;
        if (give_up_at) until = std::min(until, *give_up_at);
        wake_.wait_until(lock, until, [&] { return stopping_ && !give_up_at; });
      }
      if (stopping_ && !give_up_at) give_up_at = clock::now() + opts_.drain_timeout;
      if (batch.empty() && stopping_) return;  // everything written
    }
    if (batch.empty()) continue;

    if (pause.count() > 0) {
      if (give_up_at && clock::now() >= *give_up_at) {
        std::size_t lost = 0;
        {
          std::lock_guard lock(mu_);
          lost = rows_.load(std::memory_order_relaxed);
          queue_.clear();
          rows_.store(0, std::memory_order_relaxed);
          bytes_.store(0, std::memory_order_relaxed);
        }
        lost_.fetch_add(lost, std::memory_order_relaxed);
        lost_after_queue_.fetch_add(lost, std::memory_order_relaxed);
        spdlog::error("spend writer: the store still failed {} ms after the stop began; {} spend row(s) lost: {}",
                      opts_.drain_timeout.count(), lost, last_error);
        return;
      }
      retries_.fetch_add(1, std::memory_order_relaxed);
      ++episode_retries;
    }
    try {
      store_.insert_spend(batch);
    } catch (const std::exception& e) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      last_error = e.what();
      if (pause.count() == 0)
        spdlog::warn("spend writer: cannot write to the store; {} row(s) kept queued, retrying: {}",
                     rows_.load(std::memory_order_relaxed), last_error);
      pause = pause.count() == 0 ? opts_.retry_initial : std::min(pause * 2, opts_.retry_max);
      pause = std::max(pause, std::chrono::milliseconds(1));
      continue;
    }
    written_.fetch_add(batch.size(), std::memory_order_relaxed);
    forget(batch.size(), batch_bytes);
    if (pause.count() > 0)
      spdlog::info("spend writer: store writable again after {} retries, {} row(s) written, {} still queued",
                   episode_retries, batch.size(), rows_.load(std::memory_order_relaxed));
    pause = std::chrono::milliseconds(0);
    episode_retries = 0;
    batch.clear();
    batch_bytes = 0;
  }
}

}  // namespace passgate::store
