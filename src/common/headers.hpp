#pragma once
// Header names the gateway treats specially, as lower-case constants in one place,
// and the case-insensitive comparisons that go with them.
#include <string_view>

namespace passgate::hdr {

// One header field as received: views into the message's own storage.
struct field {
  std::string_view name;
  std::string_view value;
};

using namespace std::string_view_literals;

// Credentials.
inline constexpr auto authorization = "authorization"sv;
inline constexpr auto x_api_key = "x-api-key"sv;
inline constexpr auto api_key = "api-key"sv;
inline constexpr auto x_goog_api_key = "x-goog-api-key"sv;
// The gateway's own key.
inline constexpr auto x_passgate_key = "x-passgate-key"sv;
inline constexpr auto x_litellm_api_key = "x-litellm-api-key"sv;
// Framing and routing.
inline constexpr auto host = "host"sv;
inline constexpr auto content_length = "content-length"sv;
inline constexpr auto transfer_encoding = "transfer-encoding"sv;
inline constexpr auto connection = "connection"sv;
inline constexpr auto expect = "expect"sv;
inline constexpr auto content_type = "content-type"sv;
inline constexpr auto content_encoding = "content-encoding"sv;
// Attribution (who and what made a request).
inline constexpr auto user_agent = "user-agent"sv;
inline constexpr auto x_claude_code_session_id = "x-claude-code-session-id"sv;
inline constexpr auto x_claude_code_agent_id = "x-claude-code-agent-id"sv;
// Added by the gateway.
inline constexpr auto x_passgate_request_id = "x-passgate-request-id"sv;
// x-pass-NAME: forward as NAME.
inline constexpr auto x_pass_prefix = "x-pass-"sv;

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// RFC 9110 §7.6.1 connection-specific fields, plus the proxy ones.
constexpr bool is_hop_by_hop(std::string_view name) {
  for (auto h : {"connection"sv, "keep-alive"sv, "proxy-authorization"sv, "proxy-authenticate"sv,
                 "proxy-connection"sv, "te"sv, "trailer"sv, "transfer-encoding"sv, "upgrade"sv})
    if (iequals(name, h)) return true;
  return false;
}

constexpr bool is_credential(std::string_view name) {
  return iequals(name, authorization) || iequals(name, x_api_key) || iequals(name, api_key) ||
         iequals(name, x_goog_api_key);
}

constexpr bool is_gateway_key(std::string_view name) {
  return iequals(name, x_passgate_key) || iequals(name, x_litellm_api_key);
}

constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated, trimmed, non-empty token of a list header.
template <class F>
constexpr void for_each_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto tok = trim(list.substr(0, comma));
    if (!tok.empty()) f(tok);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace passgate::hdr
