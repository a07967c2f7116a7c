#include "usage/byte_search.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <string>

namespace passgate::usage {
namespace {

const char* find_line_end(const char* p, const char* end) { return find_first_of<'\n', '\r'>(p, end); }

const char* find_json_special(std::string_view s) {
  return find_first_of<'"', '{', '}', '[', ']'>(s.data(), s.data() + s.size());
}

const char* naive_find(const char* p, const char* end) {
  for (; p != end; ++p) {
    if (*p == '\n' || *p == '\r') return p;
  }
  return end;
}

TEST(ByteSearch, AgreesWithAByteLoopAtEveryLengthAndPosition) {
  std::cout << "checks: find_first_of<LF, CR> equals a byte loop for ranges of 0..70 bytes, each start offset "
               "0..15, no hit or one or two hits at every position (block, overlapped tail, scalar paths)\n";
  std::string buffer(128, 'x');
  int cases = 0;
  for (std::size_t offset = 0; offset < 16; ++offset) {
    for (std::size_t length = 0; length <= 70; ++length) {
      const char* p = buffer.data() + offset;
      const char* end = p + length;
      std::fill(buffer.begin(), buffer.end(), 'x');
      ASSERT_EQ(find_line_end(p, end), end) << "no hit, offset " << offset << " length " << length;
      for (std::size_t hit = 0; hit < length; ++hit) {
        std::fill(buffer.begin(), buffer.end(), 'x');
        buffer[offset + hit] = hit % 2 ? '\r' : '\n';
        if (hit + 5 < length) buffer[offset + hit + 5] = '\n';  // a later hit must not win
        // Bytes outside the range are never reported, even when they match.
        if (offset > 0) buffer[offset - 1] = '\n';
        buffer[offset + length] = '\r';
        ASSERT_EQ(find_line_end(p, end), naive_find(p, end))
            << "offset " << offset << " length " << length << " hit " << hit;
        ++cases;
      }
    }
  }
  std::cout << "  " << cases << " cases agree\n";
}

TEST(ByteSearch, FiveBytesAndHighBitBytes) {
  std::cout << "checks: five wanted bytes at once; bytes >= 0x80 never match an ASCII byte\n";
  std::string s(40, '\xFF');
  s[33] = ']';
  EXPECT_EQ(find_json_special(s), s.data() + 33);
  s[20] = '{';
  EXPECT_EQ(find_json_special(s), s.data() + 20);
  for (const char c : {'"', '}', '['}) {
    s[7] = c;
    EXPECT_EQ(find_json_special(s), s.data() + 7) << c;
  }
}

TEST(ByteSearch, SameBytesAtEveryLengthAndMismatch) {
  std::cout << "checks: same_bytes equals memcmp for n = 0..40, with and without the 32-byte block path, "
               "with a difference at each index (bytes beyond n differ and must not count)\n";
  int cases = 0;
  for (std::size_t n = 0; n <= 40; ++n) {
    for (const bool blocks : {false, true}) {
      if (blocks && n > 32) continue;
      std::string a(64, 'e'), b(64, 'e');
      for (std::size_t i = n; i < 64; ++i) b[i] = 'z';  // after the compared bytes
      ASSERT_TRUE(same_bytes(a.data(), b.data(), n, blocks)) << "n " << n;
      for (std::size_t diff = 0; diff < n; ++diff) {
        std::string c = a;
        c[diff] = static_cast<char>(c[diff] ^ 0x20);
        ASSERT_FALSE(same_bytes(c.data(), b.data(), n, blocks)) << "n " << n << " diff at " << diff;
        ++cases;
      }
    }
  }
  std::cout << "  " << cases << " mismatches found\n";
}

}  // namespace
}  // namespace passgate::usage
