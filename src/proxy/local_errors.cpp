#include "proxy/local_errors.hpp"

#include <boost/beast/http/error.hpp>

namespace passgate::proxy {

std::string secs_text(double s) {
  auto t = std::to_string(s);
  t.erase(t.find_last_not_of('0') + 1);
  if (t.back() == '.') t.pop_back();
  return t;
}

http::body_framing_limits body_limits(const config::limits_config& L) {
  return {.max_chunk_line = 4096, .max_trailer_bytes = L.max_header_bytes, .max_trailer_fields = L.max_header_count};
}

std::pair<gateway_error, std::string> body_error(const boost::system::error_code& ec, const config::limits_config& L) {
  namespace bhttp = boost::beast::http;
  using http::framing_errc;
  if (ec == bhttp::error::body_limit)
    return {gateway_error::body_too_large, "request body is larger than " + std::to_string(L.max_body_bytes) + " bytes"};
  if (ec == framing_errc::chunk_line_too_long)
    return {gateway_error::bad_request, "a chunk-size line is longer than 4096 bytes"};
  if (ec == framing_errc::trailers_too_large)
    return {gateway_error::headers_too_large,
            "request trailers are larger than " + std::to_string(L.max_header_bytes) + " bytes"};
  if (ec == framing_errc::too_many_trailers)
    return {gateway_error::headers_too_large,
            "request has more than " + std::to_string(L.max_header_count) + " trailer fields"};
  if (ec == framing_errc::field_too_large)
    return {gateway_error::headers_too_large, "a request trailer field is longer than 65535 bytes"};
  if (ec == framing_errc::trailer_obs_fold)
    return {gateway_error::bad_request, "a trailer line is folded (obs-fold); send each field on one line"};
  return {gateway_error::bad_request, "malformed request body: " + ec.message()};
}

}  // namespace passgate::proxy
