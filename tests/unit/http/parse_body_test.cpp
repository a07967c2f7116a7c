// parse_body's bounds on what Beast would otherwise buffer whole: a chunk-size
// line and the trailer section, fed whole and split at every byte.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/parse_body.hpp"

namespace passgate::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

// Feeds a whole request, `step` bytes more at a time, as the relay does: bytes
// stay buffered until parse_body used them. The first error, or none.
error_code feed(const std::string& msg, std::size_t step, const body_framing_limits& lim, std::string* body = nullptr) {
  bhttp::request_parser<bhttp::string_body> p;
  p.body_limit(1 << 20);
  boost::beast::flat_buffer buf;
  std::size_t sent = 0;
  error_code ec;
  while (!p.is_done()) {
    if (sent == msg.size()) return bhttp::error::need_more;
    auto n = std::min(step, msg.size() - sent);
    auto b = buf.prepare(n);
    std::memcpy(b.data(), msg.data() + sent, n);
    buf.commit(n);
    sent += n;
    if (!p.is_header_done()) {
      auto used = p.put(buf.data(), ec);
      buf.consume(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) return ec;
      if (!p.is_header_done()) continue;
    }
    auto used = parse_body(p, buf, ec, lim);
    buf.consume(used);
    if (ec) return ec;
  }
  if (body) *body = p.get().body();
  return {};
}

const std::string head = "POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n";

TEST(parse_body, valid_chunked_body_with_trailers_at_every_split) {
  std::cout << "checks: extensions and trailers within bounds parse to the same body at every split size\n";
  std::string msg = head + "3;a=b\r\nabc\r\n2\r\nde\r\n0;last\r\nx-t: 1\r\ny-t: 2\r\n\r\n";
  for (std::size_t step = 1; step <= msg.size(); ++step) {
    std::string body;
    EXPECT_FALSE(feed(msg, step, {}, &body)) << step;
    EXPECT_EQ(body, "abcde") << step;
  }
}

TEST(parse_body, long_chunk_line_is_refused_before_it_is_buffered_whole) {
  std::cout << "checks: a chunk-size line not finished within 64 bytes (limit 64) fails with chunk_line_too_long,\n"
               "        whatever the read size up to the limit\n";
  body_framing_limits lim{.max_chunk_line = 64, .max_trailer_bytes = 128, .max_trailer_fields = 4};
  std::string msg = head + "3;" + std::string(200, 'e') + "\r\nabc\r\n0\r\n\r\n";
  for (std::size_t step : {1u, 7u, 64u}) EXPECT_EQ(feed(msg, step, lim), framing_errc::chunk_line_too_long) << step;
  std::string at_limit = head + "3;" + std::string(58, 'e') + "\r\nabc\r\n0\r\n\r\n";
  EXPECT_FALSE(feed(at_limit, 1, lim));
}

TEST(parse_body, trailer_bounds) {
  body_framing_limits lim{.max_chunk_line = 64, .max_trailer_bytes = 128, .max_trailer_fields = 4};
  std::cout << "checks: trailers over 128 bytes: trailers_too_large, whole or byte by byte\n";
  std::string big = head + "1\r\na\r\n0\r\nx-big: " + std::string(200, 't') + "\r\n\r\n";
  for (std::size_t step : {1u, 13u, 1000u}) EXPECT_EQ(feed(big, step, lim), framing_errc::trailers_too_large) << step;
  std::cout << "checks: five trailer fields (limit 4): too_many_trailers; four: fine\n";
  std::string five = head + "1\r\na\r\n0\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n\r\n";
  EXPECT_EQ(feed(five, 1000, lim), framing_errc::too_many_trailers);
  std::string four = head + "1\r\na\r\n0\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n";
  EXPECT_FALSE(feed(four, 1000, lim));
  EXPECT_FALSE(feed(four, 1, lim));
  std::cout << "checks: a folded trailer line: trailer_obs_fold\n";
  std::string folded = head + "1\r\na\r\n0\r\na: 1\r\n  more\r\n\r\n";
  EXPECT_EQ(feed(folded, 1000, lim), framing_errc::trailer_obs_fold);
  EXPECT_EQ(feed(folded, 1, lim), framing_errc::trailer_obs_fold);
}

}  // namespace
}  // namespace passgate::http
