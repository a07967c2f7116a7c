#include "common/request_id.hpp"

#include <openssl/rand.h>

#include <cstdint>

namespace passgate {
namespace {

// Writes v's `digits` lowest hex digits, most significant first.
char* put_hex(char* p, std::uint64_t v, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) *p++ = hex[(v >> (4 * i)) & 0xf];
  return p;
}

}  // namespace

void next_request_id(std::string& out) {
  struct state {
    std::uint64_t prefix = 0;
    std::uint32_t counter = 0;
    state() { RAND_bytes(reinterpret_cast<unsigned char*>(&prefix), sizeof prefix); }
  };
  thread_local state s;
  // By hand, not snprintf: this runs once per request.
  char buf[28] = {'r', 'e', 'q', '_'};
  char* end = put_hex(put_hex(buf + 4, s.prefix, 16), ++s.counter, 8);
  out.assign(buf, static_cast<std::size_t>(end - buf));
}

}  // namespace passgate
