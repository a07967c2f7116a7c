#pragma once
// Percent-decoding (RFC 3986), header-only: the URL's query parameters, a
// Bedrock model id in a path, SigV4's canonical query all decode the same way.
#include <string>
#include <string_view>

namespace passgate::pct {

// 0–15 for a hex digit, -1 otherwise.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends `in` decoded to `out`. A malformed escape ("%zz", a trailing "%")
// stays as literal text; '+' becomes a space only where the syntax says so
// (form-encoded queries), else it stays a '+'.
inline void decode_append(std::string_view in, std::string& out, bool plus_is_space = false) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    int hi, lo;
    if (in[i] == '%' && i + 2 < in.size() && (hi = hex_digit(in[i + 1])) >= 0 && (lo = hex_digit(in[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && in[i] == '+' ? ' ' : in[i]);
    }
  }
}

}  // namespace passgate::pct
