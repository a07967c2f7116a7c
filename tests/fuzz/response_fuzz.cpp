// The upstream side of a relayed request, as relay.cpp reads an answer: the
// flat response parser (Beast's parser, the head in the connection's arena) (no body limit, the
// gateway's header limit, skip() for an answer to HEAD), interim 1xx answers
// passed over, the head's fields walked as the relay copies them, and the body
// through parse_body to its end (or the connection's end, when it is
// close-delimited), each view re-framed as a chunk and fed to the usage tap.
//
// Input: [options][k][k piece lengths][bytes from the upstream]
//   options, low nibble: bit 0: the request was HEAD; bit 1: max_header_bytes
//   1024 (the config's minimum) instead of the default.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>

#include "common/headers.hpp"
#include "config/config.hpp"
#include "fuzz_input.hpp"
#include "http/arena.hpp"
#include "http/flat_parser.hpp"
#include "http/parse_body.hpp"
#include "http/wire.hpp"
#include "usage/content_type.hpp"
#include "usage/usage_tap.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace passgate;
using boost::system::error_code;
using http::response_parser;

bool read_some(beast::flat_buffer& buf, fuzz::pieces& from) {
  if (from.empty()) return false;
  auto space = http::read_space(buf, 16384);
  auto piece = from.next(space.size());
  std::copy(piece.begin(), piece.end(), static_cast<char*>(space.data()));
  buf.commit(piece.size());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const unsigned opts = in.byte() & 0x0fu;
  const bool head_request = opts & 1;
  config::limits_config L;
  if (opts & 2) L.max_header_bytes = 1024;
  const auto plan = in.plan();
  fuzz::pieces from(in.rest(), plan);

  http::arena fields_arena;
  beast::flat_buffer buf;
  buf.reserve(8192);
  std::vector<asio::const_buffer> views;
  std::string head, frames;
  std::vector<hdr::field> fields;
  std::optional<response_parser> res;
  usage::usage_tap tap;

  // session::read_response_head
  auto new_parser = [&] {
    res.emplace(fields_arena, fields);
    res->body_limit(boost::none);
    res->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(L.max_header_bytes, UINT32_MAX)));
    if (head_request) res->skip(true);
    res->sink = &views;
  };
  new_parser();
  for (int interim = 0;;) {
    if (buf.size()) {
      error_code ec;
      auto n = res->put(buf.data(), ec);
      buf.consume(n);
      if (ec && ec != bhttp::error::need_more) return 0;  // 502 to the client
      if (res->is_header_done()) {
        int status = res->result_int();
        if (status >= 100 && status < 200 && status != 101) {
          if (++interim > 64) return 0;
          new_parser();
          continue;
        }
        if (status == 101) return 0;  // refused: 502
        break;
      }
    }
    if (!read_some(buf, from)) return 0;  // the upstream closed before answering
  }

  // session::relay_response: the head towards the client.
  const auto& msg = *res;
  const int status = msg.result_int();
  const bool no_body = res->is_done();
  const bool has_length = res->content_length().has_value();
  const bool reframe_chunked = !no_body && !has_length;
  head.clear();
  http::append_status_line(head, status, msg.reason());
  std::string_view connection_tokens, content_type, content_encoding;
  for (const auto& f : msg.fields())
    if (hdr::iequals(f.name, hdr::connection)) connection_tokens = f.value;
  content_type = msg.find(hdr::content_type);
  content_encoding = msg.find(hdr::content_encoding);
  PG_FUZZ_CHECK(msg.fields().size() == fields.size(), "the parser's fields are the vector it fills");
  for (const auto& f : msg.fields()) {
    auto name = f.name;
    if (hdr::is_hop_by_hop(name)) continue;
    bool named = false;
    hdr::for_each_token(connection_tokens, [&](std::string_view t) { named |= hdr::iequals(t, name); });
    if (!named) http::append_header(head, name, f.value);
  }
  fuzz::touch(head);

  const auto kind = usage::kind_from_content_type(content_type);
  tap.start(kind, usage::encoding_from_header(content_encoding));

  // The body: each parse's views framed, written, then fed to the tap.
  std::uint64_t body = 0;
  bool eof = false;
  error_code ec;
  for (;;) {
    views.clear();
    auto used = http::parse_body(*res, buf, ec);
    frames.clear();
    for (auto v : views) {
      fuzz::touch(v.data(), v.size());
      if (reframe_chunked) http::append_chunk_size(frames, v.size());
      body += v.size();
    }
    for (auto v : views) tap.feed(std::string_view(static_cast<const char*>(v.data()), v.size()));
    PG_FUZZ_CHECK(tap.buffered_bytes() <= 65 * 1024, "the tap holds more than 64 KiB and change");
    buf.consume(used);
    if (ec || res->is_done()) break;
    if (!read_some(buf, from)) {
      if (eof || !res->need_eof()) break;  // cut short: the client is cut off too
      res->put_eof(ec);  // a close-delimited body ends here
      eof = true;
    }
  }
  tap.finish();
  fuzz::touch(tap.result().model);
  fuzz::touch(tap.result().error_type);

  if (!ec && res->is_done()) {
    if (head_request || status == 204 || status == 304)
      PG_FUZZ_CHECK(body == 0, "an answer that has no body had one");
    else if (has_length)
      PG_FUZZ_CHECK(body == *res->content_length(), "a complete body differs from its Content-Length");
  }
  return 0;
}
