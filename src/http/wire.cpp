#include "http/wire.hpp"

#include <charconv>

#include <boost/beast/http/status.hpp>

#include "common/headers.hpp"

namespace passgate::http {

std::string_view reason_phrase(int status) {
  return boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

void append_chunk_size(std::string& out, std::size_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n, 16);
  out.append(buf, r.ptr);
  out.append("\r\n"sv);
}

void append_status_line(std::string& out, int status, std::string_view reason) {
  out.append("HTTP/1.1 "sv);
  append_number(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(reason.empty() ? reason_phrase(status) : reason);
  out.append("\r\n"sv);
}

void build_local_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                          std::string_view request_id, bool close, std::string_view extra_headers) {
  out.clear();
  append_status_line(out, status, {});
  append_header(out, "content-type", content_type);
  append_number_header(out, hdr::content_length, body.size());
  if (!request_id.empty()) append_header(out, hdr::x_passgate_request_id, request_id);
  out.append(extra_headers);
  if (close) out.append("connection: close\r\n"sv);
  out.append("\r\n"sv);
  out.append(body);
}

}  // namespace passgate::http
