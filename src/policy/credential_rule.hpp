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
#include "policy/provider.hpp"

namespace passgate::policy {

using header_view = hdr::field;

enum class client_credentials_mode { forward, server_only };

// One route's side of the rule; the defaults are an Anthropic route's.
struct route_policy {
  std::string_view route_name;
  provider_kind provider = provider_kind::anthropic;
  client_credentials_mode mode = client_credentials_mode::forward;
  // The headers the caller's own credential travels in, first one deciding the
  // label (provider_rule::client_headers; a generic route's from its config).
  std::array<std::string_view, 2> client_headers{"x-api-key", "authorization"};
  std::string_view server_key_header = "x-api-key";
  // Credential headers other routes of the gateway name (a generic route's):
  // on this route they are another provider's credential, never forwarded.
  std::span<const std::string> other_credential_headers;
  std::string_view server_key;       // the header's whole value ("Bearer …" where due); empty: none
  bool signs_requests = false;       // no client credential goes on; the relay signs (label server)
  bool oauth_host_allowed = true;    // the upstream host is on the route's oauth_hosts
  bool require_key = false;          // no valid gateway key → 401
};

// Sets the provider's side of a route's rule from its row (provider.hpp):
// provider, client_headers, server_key_header, signs_requests. A generic route
// names its own header and whether its key goes as "Bearer <key>". Returns the
// server key as that header's value ("" without a key): the caller keeps the
// string alive and points `p.server_key` at it.
std::string apply_provider(route_policy& p, provider_kind kind, std::string_view server_key,
                           std::string_view generic_header = {}, bool generic_bearer = true);

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

// Applies the rule. Of the credential headers (hdr::is_credential and the
// route's client headers) only the route's own go on; a gateway key in any of
// them is consumed, a placeholder ("None", "null", empty) dropped. `out` is cleared first; its vectors keep their capacity so a
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
