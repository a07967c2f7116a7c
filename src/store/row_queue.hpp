#pragma once
// The spend writer's FIFO of queued rows, over one vector whose memory is reused:
// a steady stream of rows allocates nothing here. (A std::deque of rows this
// large allocates a node per row on the I/O thread and frees it on the writer's.)
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include "usage/spend_record.hpp"

namespace passgate::store {

class row_queue {
 public:
  using entry = std::pair<usage::spend_record, std::size_t>;  // row, its bytes

  std::size_t size() const { return items_.size() - head_; }
  bool empty() const { return head_ == items_.size(); }
  std::size_t capacity() const { return items_.capacity(); }  // rows it holds without allocating

  void push(usage::spend_record&& row, std::size_t bytes) {
    // Full, with at least half of it taken: slide the rest down rather than grow.
    // Only then, so that each row is moved at most about once: a long backlog
    // grows the vector instead of being slid down every batch.
    if (items_.size() == items_.capacity() && head_ * 2 >= items_.size()) compact();
    items_.emplace_back(std::move(row), bytes);
  }

  entry& front() { return items_[head_]; }
  void pop_front() {
    if (++head_ < items_.size()) return;
    // Empty. The memory of a backlog (up to the queue's byte limit) goes back;
    // the few batches a steady flow needs stay.
    if (items_.capacity() > keep_rows) std::vector<entry>().swap(items_);
    clear();
  }

  // Everything queued, in order; the queue is left empty.
  std::vector<entry> take_all() {
    compact();
    return std::exchange(items_, {});
  }
  // `rows` back in front of whatever is queued now, in order.
  void put_back_front(std::vector<entry>&& rows) {
    compact();
    items_.insert(items_.begin(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  void compact() {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  static constexpr std::size_t keep_rows = 4096;  // kept when empty: a few 512-row batches

  std::vector<entry> items_;
  std::size_t head_ = 0;  // items_[0, head_) were taken
};

}  // namespace passgate::store
