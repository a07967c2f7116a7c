#include "upstream/connection.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace passgate::upstream {

bool connection::idle_and_open() {
  auto& s = socket();
  if (!s.is_open()) return false;
  char c;
  ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace passgate::upstream
