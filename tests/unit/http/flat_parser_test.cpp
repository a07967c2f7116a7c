// The flat parser (http/flat_parser.hpp): Beast's parser with the head copied
// into the connection's arena and listed in order. Fed whole and split at every
// byte, as reads arrive: the same head, the same body views, the same framing
// errors as Beast's own message parser; trailers never reach the fields.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>

#include "http/flat_parser.hpp"
#include "http/framing_error.hpp"
#include "http/parse_body.hpp"

namespace passgate::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

struct parsed {
  error_code ec;
  std::vector<hdr::field> fields;  // copies of the views, taken at the end
  std::vector<std::string> names, values;
  std::string method, target, reason, body;
  unsigned version = 0;
  int status = 0;
  bool keep_alive = false, chunked = false;
};

// Feeds `msg` `step` bytes at a time through a flat_buffer, consuming what each
// put used (as session.cpp does), then reads the parser's head and body.
template <bool IsRequest>
parsed feed(const std::string& msg, std::size_t step, std::size_t header_limit = 8192) {
  arena memory;
  std::vector<hdr::field> fields = {{"stale", "from an earlier request"}};
  std::vector<boost::asio::const_buffer> views;
  flat_parser<IsRequest> p(memory, fields);
  p.header_limit(static_cast<std::uint32_t>(header_limit));
  p.sink = &views;
  if constexpr (!IsRequest) p.body_limit(boost::none);
  boost::beast::flat_buffer buf;
  parsed out;
  std::size_t sent = 0;
  while (!p.is_done()) {
    if (sent == msg.size()) {
      out.ec = bhttp::error::need_more;
      break;
    }
    auto n = std::min(step, msg.size() - sent);
    auto b = buf.prepare(n);
    std::memcpy(b.data(), msg.data() + sent, n);
    buf.commit(n);
    sent += n;
    views.clear();
    error_code ec;
    std::size_t used = 0;
    if (!p.is_header_done()) {
      used = p.put(buf.data(), ec);
      if (ec == bhttp::error::need_more) ec = {};
      if (!ec && p.is_header_done()) {
        buf.consume(used);
        used = parse_body(p, buf, ec);
      }
    } else {
      used = parse_body(p, buf, ec);
    }
    for (auto v : views) out.body.append(static_cast<const char*>(v.data()), v.size());
    buf.consume(used);
    if (ec) {
      out.ec = ec;
      break;
    }
  }
  for (auto f : p.fields()) {
    out.names.emplace_back(f.name);
    out.values.emplace_back(f.value);
  }
  out.version = p.version();
  if constexpr (IsRequest) {
    out.method = p.method_string();
    out.target = p.target();
  } else {
    out.status = p.result_int();
    out.reason = p.reason();
  }
  if (p.is_header_done()) {
    out.keep_alive = p.keep_alive();
    out.chunked = p.chunked();
  }
  return out;
}

const std::string request =
    "POST /anthropic/v1/messages?beta=true HTTP/1.1\r\n"
    "Host: gw\r\n"
    "X-Api-Key: sk-ant-api03-own\r\n"
    "anthropic-version: 2023-06-01\r\n"
    "x-empty:\r\n"
    "X-Api-Key: second\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5\r\nhello\r\n"
    "6;ext=1\r\n world\r\n"
    "0\r\n"
    "x-passgate-key: sk-pg-from-a-trailer\r\n"
    "\r\n";

TEST(flat_parser, request_head_in_order_with_body_views_split_at_every_byte) {
  say("a chunked request fed whole and 1..n bytes at a time: method, target, version, every field in order "
      "(duplicates and empty values kept, stale fields cleared), the body de-chunked, the trailer not a field");
  for (std::size_t step = 1; step <= request.size(); ++step) {
    auto r = feed<true>(request, step);
    ASSERT_FALSE(r.ec) << "step " << step << ": " << r.ec.message();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/anthropic/v1/messages?beta=true");
    EXPECT_EQ(r.version, 11u);
    EXPECT_EQ(r.names, (std::vector<std::string>{"Host", "X-Api-Key", "anthropic-version", "x-empty", "X-Api-Key",
                                                 "Transfer-Encoding"}))
        << "step " << step;
    EXPECT_EQ(r.values, (std::vector<std::string>{"gw", "sk-ant-api03-own", "2023-06-01", "", "second", "chunked"}));
    EXPECT_EQ(r.body, "hello world") << "step " << step;
    EXPECT_TRUE(r.chunked);
    EXPECT_TRUE(r.keep_alive);
  }
}

TEST(flat_parser, find_is_case_insensitive_and_first_wins) {
  say("find() names the first field of a name whatever its case; a missing one is empty");
  arena memory;
  std::vector<hdr::field> fields;
  request_parser p(memory, fields);
  const std::string head = "GET / HTTP/1.0\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n";
  error_code ec;
  p.put(boost::asio::buffer(head), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(p.find("CONTENT-TYPE"), "a");
  EXPECT_EQ(p.find("x-missing"), "");
  EXPECT_EQ(p.version(), 10u);
  EXPECT_EQ(p.method(), bhttp::verb::get);
  EXPECT_FALSE(p.keep_alive()) << "HTTP/1.0 without keep-alive";
}

TEST(flat_parser, response_status_reason_and_length_body) {
  say("a response: status, reason, fields, a Content-Length body, at every split");
  const std::string msg =
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 11\r\nconnection: keep-alive\r\n\r\n"
      "{\"ok\":true}";
  for (std::size_t step = 1; step <= msg.size(); ++step) {
    auto r = feed<false>(msg, step);
    ASSERT_FALSE(r.ec) << "step " << step << ": " << r.ec.message();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.reason, "OK");
    EXPECT_EQ(r.names, (std::vector<std::string>{"content-type", "Content-Length", "connection"}));
    EXPECT_EQ(r.body, "{\"ok\":true}");
  }
}

TEST(flat_parser, framing_errors_are_beasts) {
  say("framing Beast refuses is refused the same: two Content-Lengths that differ, a bad chunk size, a head over "
      "its limit");
  EXPECT_EQ(feed<true>("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", 64).ec,
            bhttp::error::multiple_content_length);
  EXPECT_EQ(feed<true>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 64).ec,
            bhttp::error::bad_chunk);
  EXPECT_EQ(feed<true>("GET / HTTP/1.1\r\nx: " + std::string(200, 'a') + "\r\n\r\n", 16, 100).ec,
            bhttp::error::header_limit);
}

TEST(flat_parser, a_field_over_65535_bytes_is_refused_as_before) {
  say("a name or value over 65535 bytes is field_too_large (the limit Beast's own fields had), even when the "
      "head's byte limit would allow it");
  const std::string big(70000, 'v');
  auto r = feed<true>("GET / HTTP/1.1\r\nx-big: " + big + "\r\n\r\n", 4096, 1 << 20);
  EXPECT_EQ(r.ec, make_error_code(framing_errc::field_too_large)) << r.ec.message();
  auto ok = feed<true>("GET / HTTP/1.1\r\nx-big: " + std::string(65535, 'v') + "\r\n\r\n", 4096, 1 << 20);
  EXPECT_FALSE(ok.ec) << ok.ec.message();
  EXPECT_EQ(ok.values.at(0).size(), 65535u);
}

TEST(flat_parser, fields_survive_the_input_buffer) {
  say("the head's text lives in the arena: the fields read right after the input buffer is overwritten");
  arena memory;
  std::vector<hdr::field> fields;
  request_parser p(memory, fields);
  std::string head = "GET /t HTTP/1.1\r\nauthorization: Bearer tok\r\n\r\n";
  error_code ec;
  p.put(boost::asio::buffer(head), ec);
  ASSERT_FALSE(ec);
  std::fill(head.begin(), head.end(), 'X');
  EXPECT_EQ(p.target(), "/t");
  EXPECT_EQ(p.method_string(), "GET");
  EXPECT_EQ(p.find("authorization"), "Bearer tok");
}

}  // namespace
}  // namespace passgate::http
