// The credential rule (DESIGN §1) over arbitrary header sets, with a key lookup
// that knows one gateway key. The checks state what must hold of the rule's
// output whatever came in; they read only the output and the input headers, and
// do not parse headers the way the rule does.
//
// Input, as text (so that seeds are readable and mutations stay meaningful):
//   first line: route and key options, one letter each (others are ignored)
//     s  the route is server_only        n  the route has no server key
//     o  the upstream host is not on oauth_hosts (OAuth refused)
//     r  the route requires a gateway key
//     m  the known key is a config key without the sk-pg- prefix
//     O B A S N  the key allows only these labels (oauth, byok, bearer, server, none)
//     a x  the key is limited to route "anthropic" / "other"
//   then one header per line, "name:value". A name "@c…" is entry c (any byte)
//   of a list of interesting names followed by the rest of the name. In values
//   $K is the known key (either form), $P the gateway key prefix, $O and $A the
//   prefixes of an OAuth token and an API key, $S the route's server key.
//   As Beast would hand them over, values are trimmed of spaces and tabs, and a
//   header whose name is not a token or whose value holds CR, LF or another
//   control character (tab aside) is left out.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "policy/credential_rule.hpp"

namespace {

using namespace passgate;
using namespace std::string_view_literals;

constexpr std::string_view gateway_key = "sk-pg-Fz0GatewayKey0AbCdEfGhIjKlMnOpQrStUvWx";  // 6 + 43
constexpr std::string_view static_key = "static-master-key-from-config-0123";
constexpr std::string_view server_key = "sk-ant-api03-SERVER-KEY-fuzz-0000";
constexpr std::string_view prefix = "sk-pg-";

constexpr std::string_view names[] = {
    "x-api-key", "authorization", "x-passgate-key", "x-litellm-api-key", "x-pass-", "x-pass-anthropic-beta",
    "x-pass-x-api-key", "x-pass-authorization", "anthropic-beta", "anthropic-version", "connection", "host",
    "content-length", "transfer-encoding", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization",
    "proxy-connection", "expect", "api-key", "x-goog-api-key", "user-agent", "X-Api-Key", "Authorization",
    "X-PassGate-Key", "Connection", "x-claude-code-session-id", "content-type", "accept-encoding", "x-stainless-os",
    "x-tools-token", "x-amz-date", "x-amz-security-token", "x-pass-x-amz-date", "X-Goog-Api-Key", "openai-organization",
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}
bool istarts(std::string_view s, std::string_view p) { return s.size() >= p.size() && ieq(s.substr(0, p.size()), p); }
bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return "!#$%&'*+-.^_`|~"sv.find(c) != std::string_view::npos;
}
bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n)
    if (!is_tchar(c)) return false;
  return true;
}
bool valid_value(std::string_view v) {
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

// The provider credential headers the rule reads (DESIGN §1). api-key and
// x-goog-api-key are on the open list: forwarded as sent, whatever they hold.
// The input's route is generic (its credential header is x-tools-token).
bool generic_route = false;
bool is_credential(std::string_view n) {
  return ieq(n, "authorization") || ieq(n, "x-api-key") || ieq(n, "x-goog-api-key") || ieq(n, "api-key") ||
         (generic_route && ieq(n, "x-tools-token"));
}
bool never_forwarded(std::string_view n) {
  for (auto h : {"connection"sv, "keep-alive"sv, "proxy-authorization"sv, "proxy-authenticate"sv, "proxy-connection"sv,
                 "te"sv, "trailer"sv, "transfer-encoding"sv, "upgrade"sv, "host"sv, "content-length"sv, "expect"sv,
                 "x-passgate-key"sv, "x-litellm-api-key"sv})
    if (ieq(n, h)) return true;
  return istarts(n, "x-pass-");
}

// The credential in a value: what follows an auth scheme of "Bearer" and the
// white space after it, a space or a tab (RFC 9110 allows only spaces there,
// but an upstream may be lenient): what an upstream could take for the token.
std::string_view token_of(std::string_view v) {
  v = trim(v);
  if (ieq(v, "bearer")) return {};
  if (istarts(v, "bearer") && (v[6] == ' ' || v[6] == '\t')) return trim(v.substr(7));
  return v;
}
bool is_placeholder(std::string_view t) {
  return t.empty() || ieq(t, "none") || ieq(t, "null") || ieq(t, "undefined");
}
// "Authorization: Bearer <token>" with the token starting so (DESIGN §1's labels).
// "Bearer", then a space or a tab, then a token with this prefix.
bool bearer_with(std::string_view v, std::string_view token_prefix) {
  v = trim(v);
  return v.size() > 6 && istarts(v, "bearer") && (v[6] == ' ' || v[6] == '\t') &&
         trim(v.substr(7)).starts_with(token_prefix);
}

std::string expand(std::string_view v, std::string_view known_key) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '$' && i + 1 < v.size()) {
      std::string_view with;
      switch (v[i + 1]) {
        case 'K': with = known_key; break;
        case 'P': with = prefix; break;
        case 'O': with = "sk-ant-oat01-"; break;
        case 'A': with = "sk-ant-api03-"; break;
        case 'S': with = server_key; break;
        default: break;
      }
      if (!with.empty()) {
        out += with;
        ++i;
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

struct header {
  std::string name, value;
};

bool same(const policy::policy_result& a, const policy::policy_result& b) {
  if (bool(a.error) != bool(b.error)) return false;
  if (a.error) return a.error->code == b.error->code && a.error->message == b.error->message;
  if (a.label != b.label || a.caller != b.caller || a.expect_continue != b.expect_continue) return false;
  if (a.headers.size() != b.headers.size()) return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i)
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto eol = text.find('\n');
  const std::string_view options = text.substr(0, eol);
  text = eol == std::string_view::npos ? ""sv : text.substr(eol + 1);
  auto has = [&](char c) { return options.find(c) != std::string_view::npos; };

  // The route's provider: Anthropic unless the options name another (1 openai,
  // 2 gemini, 3 bedrock, 4 generic with the header x-tools-token, raw), set as
  // the gateway sets it (proxy/gateway.cpp).
  using policy::provider_kind;
  const provider_kind provider = has('1') ? provider_kind::openai
                                 : has('2') ? provider_kind::gemini
                                 : has('3') ? provider_kind::bedrock
                                 : has('4') ? provider_kind::generic
                                            : provider_kind::anthropic;
  const auto& rule = policy::rule_of(provider);
  generic_route = provider == provider_kind::generic;
  policy::route_policy route;
  route.route_name = "anthropic";
  const std::string server_credential =
      policy::apply_provider(route, provider, has('n') || rule.signs_requests ? ""sv : server_key, "x-tools-token", false);
  route.mode = has('s') || rule.signs_requests ? policy::client_credentials_mode::server_only
                                               : policy::client_credentials_mode::forward;
  route.server_key = server_credential;
  route.oauth_host_allowed = !has('o');
  route.require_key = has('r');

  const std::string_view known_key = has('m') ? static_key : gateway_key;
  auto record = std::make_shared<auth::key_record>();
  record->key_id = "key_fuzz";
  {
    policy::label_set allowed;
    const char letters[] = {'O', 'B', 'A', 'S', 'N'};
    for (std::size_t i = 0; i < 5; ++i)
      if (has(letters[i])) allowed.add(policy::all_labels[i]);
    if (!allowed.empty()) record->allowed_credentials = allowed;
  }
  if (has('a')) record->allowed_routes.push_back("anthropic");
  if (has('x')) record->allowed_routes.push_back("other");
  const policy::key_lookup lookup = [&](std::string_view k) -> std::shared_ptr<const auth::key_record> {
    return k == known_key ? record : nullptr;
  };

  std::vector<header> in;
  while (!text.empty() && in.size() < 64) {
    eol = text.find('\n');
    auto line = text.substr(0, eol);
    text = eol == std::string_view::npos ? ""sv : text.substr(eol + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    if (name.size() >= 2 && name[0] == '@')
      name = std::string(names[static_cast<unsigned char>(name[1]) % std::size(names)]) + name.substr(2);
    std::string value = expand(trim(line.substr(colon + 1)), known_key);
    value = std::string(trim(value));
    if (valid_name(name) && valid_value(value)) in.push_back({std::move(name), std::move(value)});
  }
  std::vector<policy::header_view> views;
  for (const auto& h : in) views.push_back({h.name, h.value});

  policy::policy_result r, again;
  policy::apply_credential_rule(views, route, lookup, r);
  again.label = policy::credential_label::oauth;  // a result reused from an earlier request
  again.headers.push_back({"stale", "stale"});
  policy::apply_credential_rule(views, route, lookup, again);
  PG_FUZZ_CHECK(same(r, again), "a reused result answers differently");

  bool name_holds_key = false, name_holds_server_key = false;
  for (const auto& h : in) {
    name_holds_key |= contains(h.name, known_key);
    name_holds_server_key |= contains(h.name, server_key);
  }
  if (r.error) {
    PG_FUZZ_CHECK(r.headers.empty(), "a refused request has headers to send");
    PG_FUZZ_CHECK(!r.error->message.empty(), "a refusal without a message");
    PG_FUZZ_CHECK(name_holds_key || !contains(r.error->message, known_key), "an error message names the gateway key");
    PG_FUZZ_CHECK(name_holds_server_key || !contains(r.error->message, server_key),
                  "an error message names the server key");
    return 0;
  }

  // Names listed in Connection (lower case).
  std::vector<std::string> conn;
  for (const auto& h : in) {
    if (!ieq(h.name, "connection")) continue;
    std::string_view list = h.value;
    while (!list.empty()) {
      auto comma = list.find(',');
      auto tok = trim(list.substr(0, comma));
      if (!tok.empty()) {
        std::string t(tok);
        for (auto& c : t) c = lower(c);
        conn.push_back(std::move(t));
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  auto in_connection = [&](std::string_view n) {
    for (const auto& t : conn)
      if (ieq(t, n)) return true;
    return false;
  };

  const bool server_only = route.mode == policy::client_credentials_mode::server_only;
  int x_api_keys = 0, authorizations = 0, server_keys = 0;
  bool oauth_out = false, api_key_bearer_out = false;
  for (const auto& o : r.headers) {
    PG_FUZZ_CHECK(!never_forwarded(o.name), "a hop-by-hop, framing, gateway key or x-pass header is forwarded");
    const bool is_server_key = r.label == policy::credential_label::server && !route.server_key.empty() &&
                               ieq(o.name, route.server_key_header) && o.value == route.server_key;
    if (is_server_key) ++server_keys;
    if (!is_server_key) PG_FUZZ_CHECK(!in_connection(o.name), "a header named in Connection is forwarded");

    // Where it came from: a header as received, an x-pass-NAME one, or the server key.
    bool from_input = false;
    for (const auto& h : in) {
      if (istarts(h.name, "x-pass-")) {
        from_input |= o.name == std::string_view(h.name).substr(7) && o.value == h.value;
      } else {
        from_input |= o.name == h.name && o.value == h.value;
      }
    }
    PG_FUZZ_CHECK(from_input || is_server_key, "a forwarded header is neither the client's nor the server key");

    if (is_credential(o.name) && !is_server_key) {
      PG_FUZZ_CHECK(token_of(o.value) != known_key, "a credential header carries the gateway key");
      PG_FUZZ_CHECK(!token_of(o.value).starts_with(prefix), "a credential header carries an sk-pg- key");
      PG_FUZZ_CHECK(!is_placeholder(token_of(o.value)), "a credential header is empty or a placeholder");
      PG_FUZZ_CHECK(!server_only, "server_only forwarded a client credential");
    }
    if (ieq(o.name, "x-api-key")) ++x_api_keys;
    if (ieq(o.name, "authorization")) {
      ++authorizations;
      oauth_out |= bearer_with(o.value, "sk-ant-oat");
      api_key_bearer_out |= bearer_with(o.value, "sk-ant-api");
    }
  }

  using policy::credential_label;
  if (provider != provider_kind::anthropic) {
    // Only the route's own credential headers reach its provider; a signing
    // route (Bedrock) sends none and is always labelled server.
    for (const auto& o : r.headers) {
      if (!is_credential(o.name) || ieq(o.name, route.server_key_header) && o.value == route.server_key) continue;
      PG_FUZZ_CHECK(ieq(o.name, route.client_headers[0]) || ieq(o.name, route.client_headers[1]),
                    "another provider's credential header is forwarded");
    }
    if (rule.signs_requests) {
      PG_FUZZ_CHECK(r.label == credential_label::server, "a signing route is not labelled server");
      for (const auto& o : r.headers) {
        PG_FUZZ_CHECK(!is_credential(o.name), "a signing route forwards a credential header");
        PG_FUZZ_CHECK(!ieq(o.name, "x-amz-date") && !ieq(o.name, "x-amz-security-token"),
                      "a signing route forwards the caller's signing header");
      }
    }
    if (r.label == credential_label::server && !rule.signs_requests)
      PG_FUZZ_CHECK(server_keys == 1, "label server, but the server key was not sent once");
    return 0;
  }

  // The label says what was forwarded (Anthropic's rule).
  credential_label want;
  if (r.label == credential_label::server) {
    PG_FUZZ_CHECK(!route.server_key.empty(), "label server without a server key");
    PG_FUZZ_CHECK(server_keys == 1 && x_api_keys == 1 && authorizations == 0,
                  "label server, but not exactly the server key was sent");
    want = credential_label::server;
  } else if (x_api_keys > 0) {
    want = credential_label::byok;
  } else if (authorizations > 0) {
    want = oauth_out ? credential_label::oauth : api_key_bearer_out ? credential_label::byok : credential_label::bearer;
  } else {
    PG_FUZZ_CHECK(route.server_key.empty(), "no credential sent although the route has a server key");
    want = credential_label::none;
  }
  PG_FUZZ_CHECK(r.label == want, "the label does not match the credential forwarded");
  if (server_only)
    PG_FUZZ_CHECK(r.label == credential_label::server || r.label == credential_label::none,
                  "server_only with a client label");
  if (r.label == credential_label::oauth) PG_FUZZ_CHECK(route.oauth_host_allowed, "OAuth sent to a refused host");

  // The caller.
  if (route.require_key) PG_FUZZ_CHECK(r.caller != nullptr, "require_key let an anonymous request through");
  if (r.caller) {
    PG_FUZZ_CHECK(r.caller == record, "a caller the lookup never returned");
    bool sent = false;
    for (const auto& h : in) sent |= contains(h.value, known_key);
    PG_FUZZ_CHECK(sent, "a caller without its key in the request");
    PG_FUZZ_CHECK(r.caller->allowed_credentials.contains(r.label), "a key used a credential kind it may not");
    bool route_ok = r.caller->allowed_routes.empty();
    for (const auto& n : r.caller->allowed_routes) route_ok |= n == route.route_name;
    PG_FUZZ_CHECK(route_ok, "a key used a route it may not");
  }
  return 0;
}
