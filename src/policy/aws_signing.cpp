#include "policy/aws_signing.hpp"

#include <array>

namespace passgate::policy {

void append_aws_signature(std::string& head, const aws_route_signing& s, std::string_view method,
                          std::string_view target, std::string_view host, std::string_view body,
                          std::chrono::system_clock::time_point now) {
  const std::string date = sigv4::amz_date(now);
  const std::string payload = sigv4::sha256_hex(body);
  std::array<sigv4::header, 4> signed_headers{{{"host", host},
                                               {"x-amz-content-sha256", payload},
                                               {"x-amz-date", date},
                                               {"x-amz-security-token", s.creds.session_token}}};
  const std::size_t count = s.creds.session_token.empty() ? 3 : 4;
  const std::span<const sigv4::header> headers(signed_headers.data(), count);
  const auto authorization = sigv4::authorization(method, target, headers, payload, s.creds, s.region, s.service, date);
  for (std::size_t i = 1; i < count; ++i) {  // host is already in the head
    head.append(signed_headers[i].name);
    head.append(": ");
    head.append(signed_headers[i].value);
    head.append("\r\n");
  }
  head.append("authorization: ");
  head.append(authorization);
  head.append("\r\n");
}

}  // namespace passgate::policy
