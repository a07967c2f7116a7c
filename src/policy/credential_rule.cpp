#include "policy/credential_rule.hpp"

#include "common/headers.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace passgate::policy {
namespace {

using namespace std::string_view_literals;

// Every key passgate issues starts with this; a provider key never does. A value
// with this prefix is never forwarded, even when it is unknown or revoked.
constexpr auto virtual_key_prefix = "sk-pg-"sv;

// The token of "Bearer <token>", the scheme followed by a space or a tab (a tab
// must not let a gateway key or a placeholder pass as some other credential);
// "Bearer" alone is an empty token. nullopt: not the Bearer scheme.
constexpr std::optional<std::string_view> bearer_token(std::string_view v) {
  v = hdr::trim(v);
  if (v.size() < 6 || !hdr::iequals(v.substr(0, 6), "bearer"sv)) return std::nullopt;
  if (v.size() == 6) return std::string_view{};
  if (v[6] != ' ' && v[6] != '\t') return std::nullopt;
  return hdr::trim(v.substr(7));
}

constexpr std::string_view strip_bearer(std::string_view v) { return bearer_token(v).value_or(hdr::trim(v)); }

// Values some clients send when they have no credential (LiteLLM's "None" bug):
// treated as absent, never forwarded.
constexpr bool is_placeholder(std::string_view token) {
  return token.empty() || hdr::iequals(token, "none"sv) || hdr::iequals(token, "null"sv) ||
         hdr::iequals(token, "undefined"sv);
}

struct rule_state {
  // The gateway key the caller named explicitly, if any.
  std::string_view explicit_key;
  bool explicit_key_seen = false;
  // Per client header of the route: how many values will be forwarded, the
  // first value (a second, different one is refused: which would the provider
  // use? an identical one is not sent twice) and the label of what goes on.
  std::array<int, 2> forwarded{0, 0};
  std::array<std::optional<std::string_view>, 2> first;
  std::array<credential_label, 2> label{credential_label::none, credential_label::none};
  bool oauth_forwarded = false;
};

// The route's client header `name` is (0 or 1), -1 for another credential
// header, -2 for anything else.
int credential_slot(const route_policy& route, std::string_view name) {
  for (int i = 0; i < 2; ++i)
    if (!route.client_headers[i].empty() && hdr::iequals(name, route.client_headers[i])) return i;
  if (hdr::is_credential(name)) return -1;
  for (const auto& other : route.other_credential_headers)
    if (hdr::iequals(name, other)) return -1;
  return -2;
}

// Headers that carry an AWS signature: a signing route sets them itself.
bool is_aws_signing_header(std::string_view name) {
  return hdr::iequals(name, "x-amz-date"sv) || hdr::iequals(name, "x-amz-security-token"sv) ||
         hdr::iequals(name, "x-amz-content-sha256"sv);
}

// Why an x-pass-NAME header may not set NAME; empty if it may.
std::string_view x_pass_refusal(std::string_view name, const route_policy& route) {
  if (name.empty()) return "names no header";
  if (credential_slot(route, name) != -2) return "would set a credential header";
  if (route.signs_requests && is_aws_signing_header(name)) return "would set a header of the request's AWS signature";
  if (hdr::is_gateway_key(name)) return "would set a gateway key header";
  if (hdr::iequals(name, hdr::host) || hdr::iequals(name, hdr::content_length) ||
      hdr::iequals(name, hdr::expect) || hdr::is_hop_by_hop(name))
    return "would set a framing or hop-by-hop header";
  if (hdr::istarts_with(name, hdr::x_pass_prefix)) return "would nest x-pass-";
  return {};
}

}  // namespace

namespace {

// Whether an Authorization value is "Bearer <token>" with the token starting
// with `token_prefix`; `token` is strip_bearer(v), passed in when known.
bool is_bearer_with(std::string_view v, std::string_view token, std::string_view token_prefix) {
  return bearer_token(v).has_value() && token.starts_with(token_prefix);
}

}  // namespace

bool is_api_key_authorization(std::string_view v) { return is_bearer_with(v, strip_bearer(v), "sk-ant-api"sv); }

bool is_oauth_authorization(std::string_view v) { return is_bearer_with(v, strip_bearer(v), "sk-ant-oat"sv); }

credential_label client_label(provider_kind p, std::string_view header, std::string_view value) {
  const bool authorization = hdr::iequals(header, hdr::authorization);
  // A Claude subscription token is one on every route: only an Anthropic
  // route's oauth_hosts may receive it (the rule refuses it elsewhere).
  if (p != provider_kind::anthropic && strip_bearer(value).starts_with("sk-ant-oat"sv)) return credential_label::oauth;
  switch (p) {
    case provider_kind::anthropic:
      if (!authorization) return credential_label::byok;
      if (is_oauth_authorization(value)) return credential_label::oauth;
      return is_api_key_authorization(value) ? credential_label::byok : credential_label::bearer;
    case provider_kind::openai:
      return is_bearer_with(value, strip_bearer(value), "sk-"sv) ? credential_label::byok : credential_label::bearer;
    case provider_kind::gemini:
      return authorization ? credential_label::bearer : credential_label::byok;
    case provider_kind::bedrock:
    case provider_kind::generic:
      return credential_label::byok;
  }
  return credential_label::bearer;
}

std::string apply_provider(route_policy& p, provider_kind kind, std::string_view server_key,
                           std::string_view generic_header, bool generic_bearer) {
  const auto& rule = rule_of(kind);
  p.provider = kind;
  p.client_headers = rule.client_headers;
  p.server_key_header = rule.server_key_header;
  p.signs_requests = rule.signs_requests;
  bool bearer = rule.server_key_bearer;
  if (kind == provider_kind::generic) {
    p.client_headers = {generic_header, ""};
    p.server_key_header = generic_header;
    bearer = generic_bearer;
  }
  if (server_key.empty()) return {};
  return (bearer ? "Bearer " : "") + std::string(server_key);
}

void apply_credential_rule(std::span<const header_view> in, const route_policy& route,
                           const key_lookup& lookup, policy_result& out) {
  out.clear();
  auto fail = [&](gateway_error code, std::string message) {
    out.headers.clear();
    out.error = policy_error{code, std::move(message)};
  };

  // Names listed in Connection are hop-by-hop for this request only. Its tokens
  // are gathered once (a request carries a handful at most), not per header.
  std::array<std::string_view, 16> conn_tokens;
  std::size_t conn_count = 0;
  bool conn_overflow = false;
  for (const auto& h : in)
    if (hdr::iequals(h.name, hdr::connection))
      hdr::for_each_token(h.value, [&](std::string_view tok) {
        if (conn_count < conn_tokens.size()) conn_tokens[conn_count++] = tok;
        else conn_overflow = true;
      });
  auto named_in_connection = [&](std::string_view name) {
    for (std::size_t i = 0; i < conn_count; ++i)
      if (hdr::iequals(conn_tokens[i], name)) return true;
    if (!conn_overflow) return false;
    bool found = false;  // more tokens than the array holds: scan them all
    for (const auto& h : in)
      if (hdr::iequals(h.name, hdr::connection))
        hdr::for_each_token(h.value, [&](std::string_view tok) { found |= hdr::iequals(tok, name); });
    return found;
  };
  const bool has_connection = conn_count > 0;

  rule_state st;
  bool client_credential_dropped = route.mode == client_credentials_mode::server_only;

  // Resolves a gateway key candidate. Returns true when `value` is a gateway key
  // (valid or not) and so must be consumed rather than forwarded.
  auto consume_gateway_key = [&](std::string_view key, bool explicit_header) -> bool {
    auto rec = lookup ? lookup(key) : nullptr;
    if (!rec) {
      if (explicit_header || key.starts_with(virtual_key_prefix)) {
        fail(gateway_error::unauthenticated, "invalid, expired or revoked gateway key");
        return true;
      }
      return false;
    }
    if (explicit_header || !out.caller) out.caller = std::move(rec);
    return true;
  };

  // True when this is the first value of a credential header, or repeats it
  // (then it is skipped: nothing below sees it twice); a different value fails.
  bool repeated = false;
  auto same_as_first = [&](std::optional<std::string_view>& first, std::string_view value,
                           std::string_view header) {
    repeated = false;
    value = hdr::trim(value);
    if (!first) {
      first = value;
      return true;
    }
    if (*first == value) {
      repeated = true;
      return true;
    }
    fail(gateway_error::bad_request, "two different " + std::string(header) + " values were sent; send one");
    return false;
  };

  // Two different gateway keys are refused before either is looked up: which
  // caller would it be? (An unknown first key would otherwise answer 401.)
  {
    std::optional<std::string_view> first_key;
    for (const auto& h : in) {
      if (!hdr::is_gateway_key(h.name) || (has_connection && named_in_connection(h.name))) continue;
      auto key = strip_bearer(h.value);
      if (first_key && *first_key != key) {
        fail(gateway_error::bad_request, "several different gateway keys were sent");
        return;
      }
      first_key = key;
    }
  }

  // Pass 1: everything but x-pass-*, which applies last.
  for (const auto& h : in) {
    if (out.error) return;
    const auto name = h.name;
    if (hdr::istarts_with(name, hdr::x_pass_prefix)) continue;
    if (hdr::is_hop_by_hop(name) || hdr::iequals(name, hdr::host) ||
        hdr::iequals(name, hdr::content_length))
      continue;
    if (hdr::iequals(name, hdr::expect)) {
      if (hdr::iequals(hdr::trim(h.value), "100-continue"sv)) out.expect_continue = true;
      continue;
    }
    if (has_connection && named_in_connection(name)) continue;
    if (hdr::is_gateway_key(name)) {
      auto key = strip_bearer(h.value);
      if (st.explicit_key_seen && key != st.explicit_key) {
        fail(gateway_error::bad_request, "several different gateway keys were sent");
        return;
      }
      st.explicit_key_seen = true;
      st.explicit_key = key;
      consume_gateway_key(key, true);
      continue;
    }
    if (route.signs_requests && is_aws_signing_header(name)) continue;
    if (int slot = credential_slot(route, name); slot != -2) {
      if (slot >= 0) {
        const auto i = static_cast<std::size_t>(slot);
        if (!same_as_first(st.first[i], h.value, route.client_headers[i])) return;
        if (repeated) continue;
      }
      auto token = strip_bearer(h.value);
      if (is_placeholder(token) || consume_gateway_key(token, false)) continue;
      // Another provider's credential header never reaches this one.
      if (slot < 0 || client_credential_dropped) continue;
      const auto i = static_cast<std::size_t>(slot);
      if (st.forwarded[i]++ == 0) st.label[i] = client_label(route.provider, route.client_headers[i], h.value);
      st.oauth_forwarded |= st.label[i] == credential_label::oauth;
      out.headers.push_back(h);
      continue;
    }
    // A value shaped like a passgate key is never forwarded, whatever header
    // carries it (it is no provider's credential).
    if (strip_bearer(h.value).starts_with(virtual_key_prefix)) continue;
    out.headers.push_back(h);
  }
  if (out.error) return;

  if (route.require_key && !out.caller) {
    fail(gateway_error::unauthenticated,
         "a gateway key is required: send it in x-passgate-key (or x-litellm-api-key)");
    return;
  }

  // The label: the client's own credential first (the route's first client
  // header before its second), then the route's server key.
  if (st.forwarded[0] > 0) {
    out.label = st.label[0];
  } else if (st.forwarded[1] > 0) {
    out.label = st.label[1];
  } else if (route.signs_requests) {
    out.label = credential_label::server;
  } else if (!route.server_key.empty()) {
    out.label = credential_label::server;
    out.headers.push_back({route.server_key_header, route.server_key});
  } else {
    out.label = credential_label::none;
  }

  if (st.oauth_forwarded && !route.oauth_host_allowed) {
    fail(gateway_error::forbidden,
         route.provider == provider_kind::anthropic
             ? "this route does not forward Claude subscription (OAuth) tokens to its upstream host; "
               "add the host to the route's oauth_hosts or use an API key"
             : "a Claude subscription (OAuth) token goes to Anthropic routes only, never to this route's provider");
    return;
  }
  if (out.caller) {
    const auto& key = *out.caller;
    if (!key.allowed_credentials.contains(out.label)) {
      fail(gateway_error::forbidden, "this gateway key may not use credential kind '" +
                                         std::string(to_string(out.label)) +
                                         "'; it allows: " + key.allowed_credentials.describe());
      return;
    }
    if (!key.allowed_routes.empty()) {
      bool ok = false;
      for (const auto& r : key.allowed_routes) ok |= (r == route.route_name);
      if (!ok) {
        fail(gateway_error::forbidden,
             "this gateway key may not use route '" + std::string(route.route_name) + "'");
        return;
      }
    }
  }

  // Pass 2: x-pass-NAME replaces the forwarded NAME headers, applied last. Several
  // x-pass headers of one name are all sent, in order.
  std::size_t originals = out.headers.size();
  for (const auto& h : in) {
    if (!hdr::istarts_with(h.name, hdr::x_pass_prefix)) continue;
    auto target = h.name.substr(hdr::x_pass_prefix.size());
    auto why = x_pass_refusal(target, route);
    if (why.empty() && has_connection && named_in_connection(target)) why = "would set a hop-by-hop header";
    if (!why.empty()) {
      fail(gateway_error::bad_header,
           "header '" + std::string(h.name) + "' is not allowed: it " + std::string(why));
      return;
    }
    auto originals_end = out.headers.begin() + static_cast<std::ptrdiff_t>(originals);
    auto kept = std::remove_if(out.headers.begin(), originals_end,
                               [&](const header_view& o) { return hdr::iequals(o.name, target); });
    originals -= static_cast<std::size_t>(originals_end - kept);
    out.headers.erase(kept, originals_end);
    out.headers.push_back({target, h.value});
  }
}

}  // namespace passgate::policy
