#include "common/gateway_error.hpp"

#include <cstdio>
#include <string>
#include <utility>

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

namespace {

// OpenAI's error.type and error.code for each error (its SDKs read the status).
std::pair<std::string_view, std::string_view> openai_type(gateway_error e) {
  switch (e) {
    case gateway_error::unauthenticated: return {"invalid_request_error", "invalid_api_key"};
    case gateway_error::forbidden: return {"invalid_request_error", "permission_denied"};
    case gateway_error::not_found: return {"invalid_request_error", "not_found"};
    case gateway_error::rate_limited: return {"requests", "rate_limit_exceeded"};
    case gateway_error::budget_exceeded: return {"insufficient_quota", "insufficient_quota"};
    case gateway_error::body_too_large: return {"invalid_request_error", "request_too_large"};
    case gateway_error::request_timeout:
    case gateway_error::upstream_timeout: return {"server_error", "timeout"};
    case gateway_error::upstream_unreachable:
    case gateway_error::upstream_bad_response:
    case gateway_error::internal: return {"server_error", "server_error"};
    case gateway_error::unavailable: return {"server_error", "overloaded"};
    default: return {"invalid_request_error", "invalid_request"};
  }
}

// google.rpc.Code names, as Gemini's error.status.
std::string_view gemini_status(int http_status) {
  switch (http_status) {
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 408:
    case 504: return "DEADLINE_EXCEEDED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 500: return "INTERNAL";
    case 501: return "UNIMPLEMENTED";
    case 502:
    case 503: return "UNAVAILABLE";
    default: return "INVALID_ARGUMENT";
  }
}

// Bedrock's exception names (x-amzn-errortype).
std::string_view bedrock_type(gateway_error e) {
  switch (e) {
    case gateway_error::unauthenticated:
    case gateway_error::forbidden: return "AccessDeniedException";
    case gateway_error::not_found: return "ResourceNotFoundException";
    case gateway_error::rate_limited: return "ThrottlingException";
    case gateway_error::budget_exceeded: return "ServiceQuotaExceededException";
    case gateway_error::request_timeout:
    case gateway_error::upstream_timeout: return "ModelTimeoutException";
    case gateway_error::upstream_unreachable:
    case gateway_error::upstream_bad_response:
    case gateway_error::internal: return "InternalServerException";
    case gateway_error::unavailable: return "ServiceUnavailableException";
    default: return "ValidationException";
  }
}

}  // namespace

std::string error_body(gateway_error e, std::string_view message, error_dialect d) {
  std::string out;
  switch (d) {
    case error_dialect::anthropic: return error_body(e, message);
    case error_dialect::openai: {
      auto [type, code] = openai_type(e);
      out = R"({"error":{"message":")";
      json_escape_append(out, message);
      out += R"(","type":")";
      out += type;
      out += R"(","param":null,"code":")";
      out += code;
      out += "\"}}";
      return out;
    }
    case error_dialect::gemini: {
      const int status = shape_of(e).status;
      out = R"({"error":{"code":)";
      out += std::to_string(status);
      out += R"(,"message":")";
      json_escape_append(out, message);
      out += R"(","status":")";
      out += gemini_status(status);
      out += "\"}}";
      return out;
    }
    case error_dialect::bedrock:
      out = R"({"message":")";
      json_escape_append(out, message);
      out += "\"}";
      return out;
  }
  return error_body(e, message);
}

void append_error_headers(std::string& out, gateway_error e, error_dialect d) {
  if (d != error_dialect::bedrock) return;
  out += "x-amzn-errortype: ";
  out += bedrock_type(e);
  out += "\r\n";
}

}  // namespace passgate
