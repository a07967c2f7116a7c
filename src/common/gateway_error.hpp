#pragma once
// Every error the gateway answers by itself, with its one mapping to an HTTP status
// and to the provider's error body. Errors from the provider never come through
// here: they are relayed unmodified.
#include <string>
#include <string_view>

namespace passgate {

enum class gateway_error {
  bad_request,          // malformed request line, headers or body framing
  bad_path,             // path would leave the route's base
  bad_header,           // a header the policy refuses (x-pass-host, …)
  unauthenticated,      // missing or unknown gateway key
  forbidden,            // key or route policy refuses the request
  not_found,            // no such route
  method_not_allowed,
  body_too_large,
  headers_too_large,
  not_implemented,      // a transfer coding the gateway does not implement
  request_timeout,      // the client took too long to send the request head
  rate_limited,         // a key's rpm, tpm or parallel limit
  budget_exceeded,      // a key's budget for this period is spent
  upstream_unreachable,  // connect refused, DNS, TLS failure, reset
  upstream_timeout,      // upstream silent past its deadline
  upstream_bad_response, // upstream sent something that is not HTTP
  internal,
  unavailable,           // shutting down
};

// Whose error shape an answer the gateway writes itself takes: the provider of
// the route the request was for (Anthropic's when no route matched).
enum class error_dialect : unsigned char { anthropic, openai, gemini, bedrock };

struct error_shape {
  int status;
  std::string_view type;  // Anthropic error type
};

error_shape shape_of(gateway_error e);

// {"type":"error","error":{"type":"…","message":"…"}} with the message JSON-escaped.
std::string error_body(gateway_error e, std::string_view message);
// The same error in a provider's shape:
//   openai   {"error":{"message":"…","type":"…","param":null,"code":"…"}}
//   gemini   {"error":{"code":401,"message":"…","status":"UNAUTHENTICATED"}}
//   bedrock  {"message":"…"}, its type in the x-amzn-errortype header
std::string error_body(gateway_error e, std::string_view message, error_dialect d);
// Header lines ("name: value\r\n") an error answer carries in dialect `d`.
void append_error_headers(std::string& out, gateway_error e, error_dialect d);

// Appends s to out as the inside of a JSON string literal.
void json_escape_append(std::string& out, std::string_view s);

}  // namespace passgate
