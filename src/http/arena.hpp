#pragma once
// Per-connection memory for the text of parsed heads (http/flat_parser.hpp):
// each field is one bump allocation, and the arena is rewound between requests.
// Its first block stays with the connection, so a typical request allocates
// nothing here.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace passgate::http {

class arena {
 public:
  arena() = default;
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  ~arena() { release(); }

  void* allocate(std::size_t n, std::size_t align) {
    std::size_t at = (used_ + align - 1) & ~(align - 1);
    if (!head_ || at + n > head_->size) {
      grow(n + align);
      at = (used_ + align - 1) & ~(align - 1);
    }
    used_ = at + n;
    return head_->data() + at;
  }

  // Nothing allocated before may be used after this: keeps the first block.
  void rewind() {
    while (head_ && head_->next) {
      block* b = head_;
      head_ = b->next;
      std::free(b);
    }
    used_ = 0;
  }

  void release() {
    rewind();
    std::free(head_);
    head_ = nullptr;
  }

 private:
  struct block {
    block* next;
    std::size_t size;
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };
  static constexpr std::size_t first_block = 4096 - sizeof(block);

  void grow(std::size_t at_least) {
    std::size_t size = at_least > first_block ? at_least * 2 : first_block;
    auto* b = static_cast<block*>(std::malloc(sizeof(block) + size));
    if (!b) throw std::bad_alloc();
    b->next = head_;
    b->size = size;
    head_ = b;
    used_ = 0;
  }

  block* head_ = nullptr;
  std::size_t used_ = 0;
};

}  // namespace passgate::http
