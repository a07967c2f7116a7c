#pragma once
// Writes spend rows to the store from its own thread, in batches, so that an I/O
// thread only ever appends to a bounded queue. A full queue drops the row and
// counts it (and says so in the log); stop() drains what is queued.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "store/store.hpp"

namespace passgate::store {

struct spend_writer_options {
  std::size_t max_queue = 100000;
  std::size_t batch = 128;  // rows per transaction
  std::chrono::milliseconds flush_interval{200};
};

class spend_writer {
 public:
  spend_writer(store& st, spend_writer_options opts = {});
  ~spend_writer();  // stop()
  spend_writer(const spend_writer&) = delete;

  // Never blocks beyond a short lock; false when the queue was full.
  bool push(usage::spend_record&& row);
  // Writes everything queued, then stops the thread. Idempotent.
  void stop();

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t failed() const { return failed_.load(); }
  std::size_t queued() const;

 private:
  void run();

  store& store_;
  spend_writer_options opts_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<usage::spend_record> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> written_{0}, dropped_{0}, failed_{0};
  std::thread thread_;
};

}  // namespace passgate::store
