#pragma once
// What the fuzz targets share: reading option bytes and a split plan off the
// front of an input, handing out its payload in pieces, and stopping on a
// broken property.
//
// Layout of an input (most targets):
//   [option bytes][k][k piece lengths][payload]
// Option and count bytes use their low bits only, so that a seed can be written
// by hand with digits: "0" is 0, "3" is 3. k is the low 3 bits of its byte; each
// piece length is a byte value (0 counts as 1), used in turn. k = 0 means the
// payload comes in one piece.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// A property of the code under test does not hold: report it and abort, which
// libFuzzer records as a crash with the input that caused it.
#define PG_FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "\nPROPERTY VIOLATED: %s\n  (%s) at %s:%d\n", what, #cond, __FILE__, \
                   __LINE__);                                                            \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace passgate::fuzz {

// Lengths of the pieces a payload arrives in, used in turn.
struct split_plan {
  std::array<std::uint8_t, 7> lengths{};
  std::size_t count = 0;

  std::size_t piece(std::size_t i) const {
    if (count == 0) return SIZE_MAX;
    return std::max<std::size_t>(1, lengths[i % count]);
  }
};

class input {
 public:
  input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next option byte; 0 once the input is used up.
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  // An option from the low nibble of the next byte, in [0, n).
  unsigned choice(unsigned n) { return (byte() & 0x0fu) % n; }

  split_plan plan() {
    split_plan p;
    p.count = byte() & 7u;
    for (std::size_t i = 0; i < p.count; ++i) p.lengths[i] = byte();
    return p;
  }

  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Hands out a payload piece by piece, as reads from a socket would.
class pieces {
 public:
  pieces(std::string_view payload, const split_plan& plan) : left_(payload), plan_(plan) {}

  bool empty() const { return left_.empty(); }
  // The next piece, at most `room` bytes of it: the rest of a piece longer than
  // the room comes with the next call, as with a short read.
  std::string_view next(std::size_t room = SIZE_MAX) {
    if (pending_ == 0) pending_ = std::min(plan_.piece(index_++), left_.size());
    auto n = std::min(pending_, room);
    auto out = left_.substr(0, n);
    left_.remove_prefix(n);
    pending_ -= n;
    return out;
  }

 private:
  std::string_view left_;
  split_plan plan_;
  std::size_t index_ = 0;
  std::size_t pending_ = 0;
};

// Reads every byte of a view handed out by the code under test, so that ASan
// sees a view that points outside live memory.
inline volatile unsigned char touched = 0;
inline void touch(const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  unsigned char x = 0;
  for (std::size_t i = 0; i < size; ++i) x ^= p[i];
  touched = x;
}
inline void touch(std::string_view s) { touch(s.data(), s.size()); }

}  // namespace passgate::fuzz
