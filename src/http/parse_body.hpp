#pragma once
// Feeds the bytes buffered so far to a parser whose header is done. The body
// views land in the parser's sink (see view_body); the return value is how many
// bytes were used, to consume from the buffer once those views are written.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace passgate::http {

// Where the next read goes: the buffer's free room when it is worth a read, else
// `grow` more bytes. A flat_buffer reads at most its free capacity, so a buffer
// kept with room saves a reallocation and a second read for a typical message.
inline boost::asio::mutable_buffer read_space(boost::beast::flat_buffer& buf, std::size_t grow) {
  const std::size_t free = buf.capacity() - buf.size();
  return buf.prepare(free >= 1024 ? free : grow);
}

template <class Parser>
std::size_t parse_body(Parser& p, boost::beast::flat_buffer& buf, boost::system::error_code& ec) {
  auto data = buf.data();
  const char* base = static_cast<const char*>(data.data());
  std::size_t used = 0;
  while (used < data.size() && !p.is_done()) {
    auto n = p.put(boost::asio::const_buffer(base + used, data.size() - used), ec);
    used += n;
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || n == 0) break;
  }
  return used;
}

}  // namespace passgate::http
