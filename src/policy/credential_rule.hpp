#pragma once
// The header policy and credential rule (DESIGN §1) as one pure function:
// (request headers, route policy, key lookup) → headers to send, label, caller,
// or an error. No sockets, no clocks, no allocation beyond the reused output.
#include <functional>
#include <optional>
#include <span>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/key_record.hpp"
#include "common/gateway_error.hpp"
#include "common/headers.hpp"
#include "policy/credential_label.hpp"

namespace passgate::policy {

using header_view = hdr::field;

enum class client_credentials_mode { forward, server_only };

struct route_policy {
  std::string_view route_name;
  client_credentials_mode mode = client_credentials_mode::forward;
  std::string_view server_key;       // empty: the route has none
  bool oauth_host_allowed = true;    // the upstream host is on the route's oauth_hosts
  bool require_key = false;          // no valid gateway key → 401
};

// Finds a usable gateway key record by the full key text; nullptr if unknown,
// revoked or expired.
using key_lookup = std::function<std::shared_ptr<const auth::key_record>(std::string_view key)>;

struct policy_error {
  gateway_error code;
  std::string message;  // never contains a header value
};

struct policy_result {
  std::vector<header_view> headers;  // to send, in order; host/framing are the relay's
  credential_label label = credential_label::none;
  std::shared_ptr<const auth::key_record> caller;  // null: anonymous
  bool expect_continue = false;      // the client sent Expect: 100-continue
  std::optional<policy_error> error;

  void clear() {
    headers.clear();
    label = credential_label::none;
    caller.reset();
    expect_continue = false;
    error.reset();
  }
};

// The server key is sent as this header (Anthropic's).
inline constexpr std::string_view server_key_header = "x-api-key";

// Applies the rule. `out` is cleared first; its vectors keep their capacity so a
// connection can reuse one result for every request. Views in `out` point into
// `in` and `route`.
void apply_credential_rule(std::span<const header_view> in, const route_policy& route,
                           const key_lookup& lookup, policy_result& out);

// True for an OAuth access token of a Claude subscription ("Bearer sk-ant-oat…").
bool is_oauth_authorization(std::string_view authorization_value);
// True for an Anthropic API key sent as a Bearer token ("Bearer sk-ant-api…"), as
// newer SDKs do: labelled byok like an x-api-key.
bool is_api_key_authorization(std::string_view authorization_value);

}  // namespace passgate::policy
