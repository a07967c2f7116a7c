#include "common/request_id.hpp"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>

namespace passgate {

void next_request_id(std::string& out) {
  struct state {
    std::uint64_t prefix = 0;
    std::uint32_t counter = 0;
    state() { RAND_bytes(reinterpret_cast<unsigned char*>(&prefix), sizeof prefix); }
  };
  thread_local state s;
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "req_%016llx%08x",
                        static_cast<unsigned long long>(s.prefix), ++s.counter);
  out.assign(buf, static_cast<std::size_t>(n));
}

}  // namespace passgate
