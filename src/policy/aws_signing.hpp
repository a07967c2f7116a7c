#pragma once
// What a Bedrock route adds to each request it relays: the headers of an AWS
// Signature V4 over the request as it goes up (method, target, host, body),
// made with the route's credentials. The caller never holds an AWS secret.
#include <chrono>
#include <string>
#include <string_view>

#include "policy/sigv4.hpp"

namespace passgate::policy {

struct aws_route_signing {
  sigv4::credentials creds;      // views into the route's config
  std::string_view region;       // "us-east-1"
  std::string_view service = "bedrock";
};

// Appends "x-amz-date", "x-amz-content-sha256", "x-amz-security-token" (with a
// session token) and "authorization" header lines, each ending in CRLF.
void append_aws_signature(std::string& head, const aws_route_signing& s, std::string_view method,
                          std::string_view target, std::string_view host, std::string_view body,
                          std::chrono::system_clock::time_point now);

}  // namespace passgate::policy
