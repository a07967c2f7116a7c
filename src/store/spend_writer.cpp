#include "store/spend_writer.hpp"

#include <spdlog/spdlog.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vector>

namespace passgate::store {

spend_writer::spend_writer(store& st, spend_writer_options opts) : store_(st), opts_(opts) {
  thread_ = std::thread([this] { run(); });
}

spend_writer::~spend_writer() { stop(); }

bool spend_writer::push(usage::spend_record&& row) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= opts_.max_queue) {
      auto n = dropped_.fetch_add(1) + 1;
      // One line per power of two: visible, never a flood.
      if ((n & (n - 1)) == 0) spdlog::warn("spend queue full ({} rows): {} row(s) dropped so far", opts_.max_queue, n);
      return false;
    }
    queue_.push_back(std::move(row));
    wake = queue_.size() == opts_.batch;  // a full batch: write now rather than at the next tick
  }
  if (wake) wake_.notify_one();
  return true;
}

std::size_t spend_writer::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
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

void spend_writer::run() {
  // Below the I/O threads, so that a batch never holds a request back on a busy
  // core; nice 5 still leaves it a quarter of a contended core, more than it needs.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
  ::pthread_setname_np(::pthread_self(), "pg-spend");
  std::vector<usage::spend_record> batch;
  batch.reserve(opts_.batch);
  for (;;) {
    bool last = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, opts_.flush_interval, [&] { return stopping_ || queue_.size() >= opts_.batch; });
      while (!queue_.empty() && batch.size() < opts_.batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      last = stopping_ && queue_.empty();
    }
    if (!batch.empty()) {
      try {
        store_.insert_spend(batch);
        written_ += batch.size();
      } catch (const std::exception& e) {
        failed_ += batch.size();
        spdlog::error("spend writer: {} row(s) not written: {}", batch.size(), e.what());
      }
      batch.clear();
    }
    if (last) return;
  }
}

}  // namespace passgate::store
