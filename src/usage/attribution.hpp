#pragma once
// Who and what made a request, for its spend row: the end user and session
// (from the body's metadata.user_id, which Claude Code and SDK callers set), the
// agent (x-claude-code-agent-id) and the client (the product token of
// user-agent). Read as the request passes, never holding it back or changing it:
// the body is scanned with the usage tap's incremental JSON scanner, which keeps
// only the `metadata` member (bounded) and passes over everything else.
//
// Every field is capped at max_field_bytes and holds printable text only (other
// bytes become '?'): rows and reports are read by people and must not carry
// terminal escapes or unbounded input.
#include <cstddef>
#include <string>
#include <string_view>

#include "usage/json_scanner.hpp"

namespace passgate::usage {

inline constexpr std::size_t max_field_bytes = 256;

struct user_id_parts {
  std::string end_user;    // the account uuid when given, else the device/user hash, else the id as sent
  std::string session_id;  // empty when the id names none
};

// metadata.user_id in any of the forms seen:
// - Claude Code, legacy: "user_<hash>_account_<uuid>_session_<uuid>" (the
//   account part may be empty);
// - Claude Code, newer: a JSON text {"device_id":…,"account_uuid":…,"session_id":…};
// - anything else: an opaque id, kept as it is (capped).
user_id_parts parse_user_id(std::string_view user_id);

// The product token of a user-agent: "claude-cli/2.1.3 (external, cli)" →
// "claude-cli/2.1.3"; "Anthropic/JS 0.60.0" → "Anthropic/JS 0.60.0" (a name
// whose version follows after a space); empty for an empty header.
std::string client_from_user_agent(std::string_view user_agent);

// Printable ASCII and UTF-8 text, capped at max_field_bytes (cut on a character
// boundary); control bytes and malformed sequences become '?'.
std::string clean_field(std::string_view text);

// Scans a request body for metadata.user_id, fed in pieces split anywhere.
class request_attribution final : private json_member_listener {
 public:
  request_attribution() : scanner_(*this) {}
  // False once there is nothing more to learn (found, or not a JSON object):
  // the caller may stop feeding.
  bool wants_more() const noexcept { return !found_ && !scanner_.malformed(); }
  void feed(std::string_view bytes) {
    if (wants_more()) scanner_.feed(bytes);
  }
  // Empty when the body had none.
  const user_id_parts& user() const noexcept { return parts_; }
  void reset();

 private:
  bool wants_member(std::string_view key) const override { return key == "metadata"; }
  void on_member(std::string_view key, std::string_view raw_value, bool truncated) override;

  json_scanner scanner_;
  user_id_parts parts_;
  bool found_ = false;
};

}  // namespace passgate::usage
