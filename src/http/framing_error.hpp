#pragma once
// Framing errors the gateway finds itself, beyond what Beast's parser reports:
// limits on the parts of a chunked body that Beast would buffer without bound.
#include <boost/system/error_code.hpp>

namespace passgate::http {

enum class framing_errc {
  chunk_line_too_long = 1,  // a chunk-size line (with its extensions) past the limit
  trailers_too_large,       // the trailer section past max_header_bytes
  too_many_trailers,        // more trailer fields than max_header_count
  trailer_obs_fold,         // a folded trailer line
  field_too_large,          // a header or trailer field past what Beast's fields hold (64 KiB)
};

const boost::system::error_category& framing_category();

inline boost::system::error_code make_error_code(framing_errc e) {
  return {static_cast<int>(e), framing_category()};
}

}  // namespace passgate::http

template <>
struct boost::system::is_error_code_enum<passgate::http::framing_errc> : std::true_type {};
