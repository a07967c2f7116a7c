// The request side of a downstream connection, as session.cpp reads a head and
// relay.cpp a body: the flat request parser (Beast's parser, the head in the
// connection's arena),
// with the gateway's header and body limits, fed bytes that arrive in
// fuzzer-chosen pieces through a flat_buffer; then the edge's head checks and
// the credential rule over the parsed fields, and parse_body to the end of the
// body. Pipelined requests follow on the same buffer, the arena rewound between
// them.
//
// Input: [limits][k][k piece lengths][bytes from the client]
//   limits, low nibble: bit 0: max_header_bytes 1024 (the config's minimum)
//   instead of the default; bit 1: a small max_body_bytes, bits 2-3 pick it.
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
#include "http/request_checks.hpp"
#include "http/wire.hpp"
#include "policy/credential_rule.hpp"
#include "policy/path_mapping.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace passgate;
using boost::system::error_code;
using http::request_parser;

// One read from the client into the buffer, as session.cpp does it; false when
// the client has nothing more to send.
bool read_some(beast::flat_buffer& buf, fuzz::pieces& from, std::size_t grow) {
  if (from.empty()) return false;
  auto space = http::read_space(buf, grow);
  auto piece = from.next(space.size());
  std::copy(piece.begin(), piece.end(), static_cast<char*>(space.data()));
  buf.commit(piece.size());
  return true;
}

// What the relay does with the body views of one parse: frames and writes them.
std::uint64_t take_views(const std::vector<asio::const_buffer>& views, bool chunked, std::string& frames) {
  std::uint64_t n = 0;
  frames.clear();
  for (auto v : views) {
    fuzz::touch(v.data(), v.size());
    if (chunked) http::append_chunk_size(frames, v.size());
    n += v.size();
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  const unsigned opts = in.byte() & 0x0fu;
  config::limits_config L;
  if (opts & 1) L.max_header_bytes = 1024;
  if (opts & 2) {
    static constexpr std::uint64_t small_bodies[] = {0, 16, 300, 4096};
    L.max_body_bytes = small_bodies[(opts >> 2) & 3];
  }
  const auto plan = in.plan();
  fuzz::pieces from(in.rest(), plan);

  http::arena fields_arena;
  beast::flat_buffer buf;
  std::vector<asio::const_buffer> views;
  std::vector<hdr::field> fields;
  std::vector<policy::header_view> header_views;
  policy::policy_result policy;
  std::string frames, target;
  std::optional<request_parser> req;

  const std::string server_key = "sk-ant-api03-fuzz-server-key";
  policy::route_policy route;
  route.route_name = "anthropic";
  route.server_key = server_key;
  const policy::key_lookup lookup = [](std::string_view) { return nullptr; };

  for (int request = 0; request < 16; ++request) {
    // session::read_request_head
    req.reset();
    fields_arena.rewind();
    req.emplace(fields_arena, fields);
    req->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(L.max_header_bytes, UINT32_MAX)));
    req->body_limit(L.max_body_bytes);
    req->sink = &views;
    std::optional<http::head_problem> problem;
    for (;;) {
      if (buf.size()) {
        error_code ec;
        auto n = req->put(buf.data(), ec);
        if (req->is_header_done()) {
          // The head's bytes are the front of the buffer: check them before they go.
          std::string_view raw(static_cast<const char*>(buf.data().data()), n);
          problem = http::check_request_head({fields, req->version(), raw, L.max_header_count});
          if (!problem) {
            // Framing the check lets through is read one way only: chunked exactly
            // when there is one Transfer-Encoding (and then no Content-Length).
            int te = 0;
            bool length = false;
            for (const auto& f : fields) {
              te += hdr::iequals(f.name, hdr::transfer_encoding);
              length |= hdr::iequals(f.name, hdr::content_length);
            }
            PG_FUZZ_CHECK(req->chunked() == (te == 1), "accepted head: chunked iff one Transfer-Encoding");
            PG_FUZZ_CHECK(!(req->chunked() && length), "accepted head: chunked and a Content-Length");
            PG_FUZZ_CHECK(fields.size() <= L.max_header_count, "accepted head: too many fields");
          }
        }
        buf.consume(n);
        if (ec && ec != bhttp::error::need_more) return 0;  // answered with an error; connection closed
        if (req->is_header_done()) break;
      }
      if (!read_some(buf, from, 8192)) return 0;  // the client stops mid-head
    }

    const auto& msg = *req;
    fuzz::touch(msg.method_string());
    target.assign(msg.target());
    for (const auto& f : fields) {
      fuzz::touch(f.name);
      fuzz::touch(f.value);
    }
    // relay.cpp: the credential rule over the fields, and the route's path.
    header_views.clear();
    for (const auto& f : fields) header_views.push_back({f.name, f.value});
    policy::apply_credential_rule(header_views, route, lookup, policy);
    for (const auto& h : policy.headers) {
      fuzz::touch(h.name);
      fuzz::touch(h.value);
    }
    std::string_view rest = target;
    if (rest.starts_with("/anthropic")) {
      rest.remove_prefix(10);
      std::string mapped;
      (void)policy::map_path("/base", rest, mapped);
    }
    (void)policy::path_only(target);

    // session::send_request: the body, as it arrives.
    const bool chunked = req->chunked();
    const auto declared = req->content_length();
    std::uint64_t body = 0;
    error_code ec;
    views.clear();
    auto used = http::parse_body(*req, buf, ec);
    body += take_views(views, chunked, frames);
    buf.consume(used);
    while (!ec && !req->is_done()) {
      if (!read_some(buf, from, 16384)) return 0;  // the client stops mid-body
      views.clear();
      used = http::parse_body(*req, buf, ec);
      body += take_views(views, chunked, frames);
      buf.consume(used);
    }
    PG_FUZZ_CHECK(body <= L.max_body_bytes, "a body passed max_body_bytes");
    if (ec) return 0;  // body_limit or bad chunk framing: answered, closed
    if (declared) PG_FUZZ_CHECK(body == *declared, "a complete body differs from its Content-Length");
    if (problem || !req->keep_alive()) return 0;
  }
  return 0;
}
