#pragma once
// Text a reader keeps from a body (an SSE event's data, a JSON member's value):
// appended up to Cap bytes, past which the rest is dropped and the text marked
// truncated. The first append reserves a typical size (one allocation, not a
// run of regrowths); clear() gives a buffer that grew large back, so that one
// big event does not pin its memory for the rest of a long stream.
#include <cstddef>
#include <string>
#include <string_view>

namespace passgate::usage {

template <std::size_t Cap, std::size_t FirstReserve>
class capped_text {
 public:
  static constexpr std::size_t kept_capacity = 4096;

  void append(std::string_view bytes) {
    if (truncated_) return;
    if (text_.capacity() < FirstReserve) text_.reserve(FirstReserve);
    const auto room = Cap - text_.size();
    if (bytes.size() > room) {
      bytes = bytes.substr(0, room);
      truncated_ = true;
    }
    text_.append(bytes);
  }

  void clear() {
    truncated_ = false;
    if (text_.capacity() > kept_capacity) {
      std::string().swap(text_);
    } else {
      text_.clear();
    }
  }

  std::string_view view() const noexcept { return text_; }
  std::size_t size() const noexcept { return text_.size(); }
  bool truncated() const noexcept { return truncated_; }

 private:
  std::string text_;
  bool truncated_ = false;
};

}  // namespace passgate::usage
