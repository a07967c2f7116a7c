#pragma once
// Feeds the bytes buffered so far to a parser whose header is done. The body
// views land in the parser's sink (see flat_parser.hpp); the return value is how many
// bytes were used, to consume from the buffer once those views are written.
#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "http/framing_error.hpp"
#include "http/request_checks.hpp"

namespace passgate::http {

// Where the next read goes: the buffer's free room when it is worth a read, else
// `grow` more bytes. A flat_buffer reads at most its free capacity, so a buffer
// kept with room saves a reallocation and a second read for a typical message.
inline boost::asio::mutable_buffer read_space(boost::beast::flat_buffer& buf, std::size_t grow) {
  const std::size_t free = buf.capacity() - buf.size();
  return buf.prepare(free >= 1024 ? free : grow);
}

// Bounds on what Beast buffers whole in a chunked body: a chunk-size line and the
// trailer section are parsed only once complete, so without these a peer could
// make the gateway hold megabytes waiting for a line end.
struct body_framing_limits {
  std::size_t max_chunk_line = 4096;
  std::size_t max_trailer_bytes = 65536;
  std::size_t max_trailer_fields = 256;
};

namespace detail {

// What follows the last chunk's size line: the trailer fields and the blank line.
// `s` starts at that line, or at the CRLF that ends the chunk before it.
inline std::string_view after_chunk_line(std::string_view s, std::size_t max_line) {
  if (s.starts_with("\r\n")) s.remove_prefix(2);
  auto eol = s.substr(0, max_line + 1).find('\n');
  return eol == std::string_view::npos ? std::string_view{} : s.substr(eol + 1);
}

// The last chunk and trailer section of a chunked body, exactly as one put()
// consumed them (the parser is not eager: one put, one step).
inline boost::system::error_code check_trailer_section(std::string_view s, const body_framing_limits& lim) {
  auto trailers = after_chunk_line(s, s.size());
  if (trailers.size() > lim.max_trailer_bytes) return framing_errc::trailers_too_large;
  auto lines = static_cast<std::size_t>(std::count(trailers.begin(), trailers.end(), '\n'));
  if (lines > 1 && lines - 1 > lim.max_trailer_fields) return framing_errc::too_many_trailers;  // less the blank line
  if (has_obs_fold(trailers)) return framing_errc::trailer_obs_fold;
  return {};
}

// Bytes left unparsed in the middle of a chunked body: Beast waits for a whole
// chunk-size line, or for the whole trailer section after the last chunk.
inline boost::system::error_code check_unparsed(std::string_view rest, const body_framing_limits& lim) {
  if (rest.size() <= lim.max_chunk_line) return {};
  auto line = rest.starts_with("\r\n") ? rest.substr(2) : rest;
  if (line.substr(0, lim.max_chunk_line + 1).find('\n') == std::string_view::npos)
    return framing_errc::chunk_line_too_long;
  if (after_chunk_line(rest, lim.max_chunk_line).size() > lim.max_trailer_bytes) return framing_errc::trailers_too_large;
  return {};
}

}  // namespace detail

template <class Parser>
std::size_t parse_body(Parser& p, boost::beast::flat_buffer& buf, boost::system::error_code& ec,
                       const body_framing_limits& lim = {}) {
  auto data = buf.data();
  const char* base = static_cast<const char*>(data.data());
  std::size_t used = 0;
  while (used < data.size() && !p.is_done()) {
    std::size_t n = 0;
    try {
      n = p.put(boost::asio::const_buffer(base + used, data.size() - used), ec);
    } catch (const std::length_error&) {  // a trailer field longer than Beast's fields hold
      ec = framing_errc::field_too_large;
      break;
    }
    if (!ec && p.is_done() && p.chunked()) ec = detail::check_trailer_section({base + used, n}, lim);
    used += n;
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || n == 0) break;
  }
  if (!ec && !p.is_done() && p.chunked())
    ec = detail::check_unparsed({base + used, data.size() - used}, lim);
  return used;
}

}  // namespace passgate::http
