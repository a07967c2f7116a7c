#pragma once
// Writing HTTP/1.1 heads by hand into reused strings: cheaper than building a
// message and serialising it, and it keeps header names exactly as received.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/gateway_error.hpp"

namespace passgate::http {

// Literals as string_views: append() then copies without a strlen per call.
using namespace std::string_view_literals;

std::string_view reason_phrase(int status);

inline void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": "sv);
  out.append(value);
  out.append("\r\n"sv);
}

void append_status_line(std::string& out, int status, std::string_view reason);
void append_number(std::string& out, std::uint64_t n);

// "name: n\r\n".
inline void append_number_header(std::string& out, std::string_view name, std::uint64_t n) {
  out.append(name);
  out.append(": "sv);
  append_number(out, n);
  out.append("\r\n"sv);
}
// "1a2b\r\n" for a chunk of n bytes.
void append_chunk_size(std::string& out, std::size_t n);

// A complete response the gateway answers itself (errors, health, admin).
// extra_headers: whole "name: value\r\n" lines, added as they are.
void build_local_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                          std::string_view request_id, bool close, std::string_view extra_headers = {});

}  // namespace passgate::http
