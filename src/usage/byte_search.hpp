#pragma once
// The first of a few given bytes in a range, 16 bytes a step with SSE2 (which
// every x86-64 has). The tap's readers look for a line end (LF or CR), a
// string's end or escape ('"' or '\\'), or JSON brackets; separate memchr calls
// for each byte would read short ranges several times and pay a call each.
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace passgate::usage {

#if defined(__SSE2__)
namespace detail {
// Bit i set: p[i] is one of Bytes.
template <char... Bytes>
inline unsigned match_mask(const char* p) noexcept {
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<unsigned>(_mm_movemask_epi8((_mm_cmpeq_epi8(block, _mm_set1_epi8(Bytes)) | ...)));
}
}  // namespace detail
#endif

template <char... Bytes>
inline const char* find_first_of(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  if (end - p >= 16) {
    for (; end - p >= 16; p += 16) {
      if (const unsigned mask = detail::match_mask<Bytes...>(p)) return p + __builtin_ctz(mask);
    }
    if (p == end) return end;
    // The last bytes as one block that overlaps the bytes already searched.
    const char* last = end - 16;
    const unsigned mask = detail::match_mask<Bytes...>(last) >> (p - last);
    return mask ? p + __builtin_ctz(mask) : end;
  }
#endif
  for (; p != end; ++p) {
    if (((*p == Bytes) || ...)) return p;
  }
  return end;
}

// Whether the n bytes at p equal those at q. When both ranges have 32 readable
// bytes and n <= 32 (an SSE name line, say), two block compares instead of a
// call to memcmp.
inline bool same_bytes(const char* p, const char* q, std::size_t n, bool both_have_32) noexcept {
#if defined(__SSE2__)
  if (both_have_32 && n <= 32) {
    const auto eq = [](const char* a, const char* b) {
      return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(a)), _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)))));
    };
    const std::uint64_t equal = eq(p, q) | static_cast<std::uint64_t>(eq(p + 16, q + 16)) << 16;
    const std::uint64_t wanted = (std::uint64_t{1} << n) - 1;
    return (equal & wanted) == wanted;
  }
#endif
  return std::memcmp(p, q, n) == 0;
}

}  // namespace passgate::usage
