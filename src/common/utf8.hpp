#pragma once
// UTF-8 well-formedness, for text that leaves passgate in rows and reports.
#include <cstddef>
#include <string_view>

namespace passgate {

// The length of the well-formed UTF-8 sequence at the start of v (RFC 3629: no
// overlongs, no surrogates, nothing past U+10FFFF); 0 when it is not one (or v
// is empty).
inline std::size_t utf8_sequence(std::string_view v) {
  if (v.empty()) return 0;
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(v[i]); };
  const auto cont = [&](std::size_t i) { return i < v.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

}  // namespace passgate
