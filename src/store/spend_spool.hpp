#pragma once
// Spend rows that could not reach the store, kept on local disk until it is
// back: the second stage behind the spend writer's in-memory queue.
//
// While the store fails, the writer moves what it holds here once its queue is
// half full (and everything it holds at a stop that gave up). Each spill is one
// file, `spend-<sequence>-<rows>.jsonl` (one JSON object per row), written to a
// temporary name, synced and renamed, so a crash never leaves half a file; the
// row count in the name lets a start find what waits without reading it. Files are
// replayed oldest first, before anything queued in memory, so rows reach the
// store in the order they were made; a file is deleted once all its rows are
// written. A replay cut short by a crash is replayed again: the store skips
// request_ids it already has, so nothing counts twice.
//
// The directory is locked (flock on `lock`) by one process at a time: two
// instances sharing one spool would replay each other's files.
//
// Bounded by max_bytes (the files' sizes): a spill that does not fit is refused
// and the writer counts those rows as lost. Files left by an earlier run are
// found at start and replayed.
//
// Used by the writer's thread only (not thread-safe), except the counters.
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "usage/spend_record.hpp"

namespace passgate::store {

class spend_spool {
 public:
  // Creates the directory if needed and takes its lock; throws std::runtime_error
  // (naming the directory) when it cannot, or when another process holds it.
  spend_spool(std::filesystem::path dir, std::uint64_t max_bytes);
  ~spend_spool();
  spend_spool(const spend_spool&) = delete;
  spend_spool& operator=(const spend_spool&) = delete;

  // Writes rows as one new file. False (nothing written, logged) when they do
  // not fit in max_bytes or the disk refuses them.
  bool append(std::span<const usage::spend_record> rows);

  // Rows the store refused for what they hold: written to `rejected-<n>.jsonl`,
  // kept for a person and never replayed. Not bounded by max_bytes beyond it
  // (they are few); false when the disk refuses.
  bool append_rejected(std::span<const usage::spend_record> rows);

  // The oldest rows not yet consumed, up to max (loading the oldest file when
  // needed), without consuming them; 0: the spool is empty. A file that cannot
  // be read is set aside as `<name>.bad` (logged) and skipped.
  std::size_t peek(std::vector<usage::spend_record>& out, std::size_t max);
  // The first n rows of the last peek are in the store: forget them (deleting a
  // file once all of its rows are gone).
  void consume(std::size_t n);

  // Rows of files set aside as damaged since the last call (they will not be
  // written: the writer counts them lost).
  std::uint64_t take_set_aside() { return std::exchange(set_aside_, 0); }

  bool empty() const { return rows_.load(std::memory_order_relaxed) == 0; }
  std::uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct file_info {
    std::filesystem::path path;
    std::uint64_t bytes = 0;
    std::uint64_t rows = 0;
  };
  bool load_oldest();  // fills loaded_ from files_.front(); false: unreadable (set aside)

  const std::filesystem::path dir_;
  const std::uint64_t max_bytes_;
  int lock_fd_ = -1;
  std::uint64_t next_seq_ = 1;
  std::deque<file_info> files_;                 // oldest first
  std::vector<usage::spend_record> loaded_;     // rows of files_.front(), when loaded
  std::size_t loaded_pos_ = 0;                  // rows of it already consumed
  bool have_loaded_ = false;
  std::uint64_t set_aside_ = 0;
  std::atomic<std::uint64_t> rows_{0}, bytes_{0};
};

}  // namespace passgate::store
