#include "common/gateway_error.hpp"

#include <cstdio>

namespace passgate {

error_shape shape_of(gateway_error e) {
  switch (e) {
    case gateway_error::bad_request:
    case gateway_error::bad_path:
    case gateway_error::bad_header: return {400, "invalid_request_error"};
    case gateway_error::unauthenticated: return {401, "authentication_error"};
    case gateway_error::forbidden: return {403, "permission_error"};
    case gateway_error::not_found: return {404, "not_found_error"};
    case gateway_error::method_not_allowed: return {405, "invalid_request_error"};
    case gateway_error::body_too_large: return {413, "request_too_large"};
    case gateway_error::headers_too_large: return {431, "invalid_request_error"};
    case gateway_error::not_implemented: return {501, "invalid_request_error"};
    case gateway_error::request_timeout: return {408, "timeout_error"};
    case gateway_error::rate_limited: return {429, "rate_limit_error"};
    case gateway_error::budget_exceeded: return {429, "billing_error"};
    case gateway_error::upstream_unreachable:
    case gateway_error::upstream_bad_response: return {502, "api_error"};
    case gateway_error::upstream_timeout: return {504, "api_error"};
    case gateway_error::internal: return {500, "api_error"};
    case gateway_error::unavailable: return {503, "overloaded_error"};
  }
  return {500, "api_error"};
}

void json_escape_append(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

std::string error_body(gateway_error e, std::string_view message) {
  std::string out = R"({"type":"error","error":{"type":")";
  out += shape_of(e).type;
  out += R"(","message":")";
  json_escape_append(out, message);
  out += "\"}}";
  return out;
}

}  // namespace passgate
