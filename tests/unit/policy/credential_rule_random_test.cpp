// The credential rule against many generated requests. Each header is generated
// together with what it *is* (a valid gateway key, an unknown sk-pg- key, a provider
// key, an OAuth token, a placeholder, a hop-by-hop header, …); the checks below
// derive what must hold from those tags and look only at the rule's output. They
// state properties of DESIGN §1; they do not parse headers the way the rule does.
//
// The seed is fixed and printed; PASSGATE_RULE_SEED=<n> and PASSGATE_RULE_ITERATIONS=<n>
// replay or widen a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "policy/credential_rule.hpp"

namespace passgate::policy {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
bool ieq(std::string_view a, std::string_view b) { return lower(a) == lower(b); }
bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

enum class kind {
  explicit_valid,    // x-passgate-key / x-litellm-api-key with a key the store knows
  explicit_unknown,  // the same headers with a key it does not know
  cred_valid_gw,     // x-api-key / Authorization carrying a valid gateway key
  cred_unknown_gw,   // x-api-key / Authorization carrying an unknown sk-pg- key
  cred_provider,     // x-api-key with a provider key
  cred_oauth,        // Authorization: Bearer sk-ant-oat…
  cred_bearer,       // Authorization with some other provider credential
  cred_placeholder,  // x-api-key / Authorization with "", None, null, undefined
  hop,               // a hop-by-hop header (not Connection)
  connection,        // Connection: tokens…
  framing,           // host, content-length
  expect,            // Expect (100-continue or not)
  normal,            // anything else
  xpass_ok,          // x-pass-NAME with an allowed NAME
  xpass_bad,         // x-pass-NAME with a refused NAME
};

struct gen_header {
  std::string name, value;
  kind k;
  std::string key;     // the gateway key text, for the gateway kinds
  std::string target;  // the x-pass target, as written
  bool expect_100 = false;
};

struct fixture_keys {
  std::map<std::string, std::shared_ptr<auth::key_record>, std::less<>> records;
};

const std::vector<std::string> valid_keys = {"sk-pg-VALIDaaaa1111", "sk-pg-VALIDbbbb2222", "master-STATIC-key-9999"};
const std::string the_server_key = "sk-ant-api03-SERVER-KEY-zz00";
const std::vector<std::string> placeholders = {"", "None", "NONE", "none", "null", "Null", "undefined", "UNDEFINED", " none "};
const std::vector<std::string> hop_names = {"keep-alive", "proxy-authorization", "proxy-authenticate",
                                            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"};
const std::vector<std::string> normal_names = {"anthropic-beta", "anthropic-version", "user-agent",
                                               "x-claude-code-session-id", "x-custom-a", "x-custom-b",
                                               "accept-encoding", "x-stainless-os", "content-type", "accept"};
const std::vector<std::string> xpass_ok_targets = {"anthropic-beta", "user-agent", "x-custom-a", "x-custom-b", "x-new-thing"};
const std::vector<std::string> xpass_bad_targets = {
    "authorization", "x-api-key", "api-key", "x-goog-api-key", "x-passgate-key", "x-litellm-api-key", "host",
    "content-length", "expect", "transfer-encoding", "connection", "keep-alive", "te", "upgrade", "trailer",
    "proxy-authorization", "proxy-connection", "x-pass-anthropic-beta", ""};
const std::vector<std::string> connection_tokens = {"close", "keep-alive", "Upgrade", "x-custom-b", "X-Custom-B", "x-api-key"};

bool is_hop_or_framing_name(std::string_view n) {
  static const std::set<std::string> names = {"connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
                                              "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                                              "host", "content-length", "expect"};
  return names.count(lower(n)) > 0;
}
bool is_gateway_header(std::string_view n) { return ieq(n, "x-passgate-key") || ieq(n, "x-litellm-api-key"); }
bool is_credential_name(std::string_view n) {
  return ieq(n, "authorization") || ieq(n, "x-api-key") || ieq(n, "api-key") || ieq(n, "x-goog-api-key");
}

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  int below(std::size_t n) { return std::uniform_int_distribution<int>(0, int(n) - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[std::size_t(below(v.size()))]; }
  std::string hex(int n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s += d[below(16)];
    return s;
  }
  std::string vary_case(std::string_view s) {
    std::string out(s);
    int style = below(4);
    for (auto& c : out) {
      if (style == 1) c = char(std::toupper(static_cast<unsigned char>(c)));
      if (style == 2 && chance(0.5)) c = char(std::toupper(static_cast<unsigned char>(c)));
    }
    if (style == 3) {  // Title-Case
      bool up = true;
      for (auto& c : out) {
        if (up) c = char(std::toupper(static_cast<unsigned char>(c)));
        up = c == '-';
      }
    }
    return out;
  }
  std::string bearer() { return pick(std::vector<std::string>{"Bearer ", "bearer ", "BEARER ", "Bearer  ", "bEaReR "}); }
  std::string unknown_gw() { return "sk-pg-UNKNOWN" + hex(10); }

  gen_header header() {
    gen_header h;
    switch (below(14)) {
      case 0: {
        h.name = vary_case(chance(0.5) ? "x-passgate-key" : "x-litellm-api-key");
        bool valid = chance(0.8);
        h.key = valid ? pick(valid_keys) : unknown_gw();
        h.k = valid ? kind::explicit_valid : kind::explicit_unknown;
        h.value = (chance(0.4) ? bearer() : "") + h.key;
        break;
      }
      case 1:
      case 2: {
        bool auth = chance(0.5);
        h.name = vary_case(auth ? "authorization" : "x-api-key");
        std::string prefix = auth ? (chance(0.85) ? bearer() : "") : (chance(0.1) ? bearer() : "");
        int what = below(auth ? 7 : 5);
        switch (what) {
          case 0: h.k = kind::cred_valid_gw; h.key = pick(valid_keys); h.value = prefix + h.key; break;
          case 1: h.k = kind::cred_unknown_gw; h.key = unknown_gw(); h.value = prefix + h.key; break;
          case 2: h.k = kind::cred_placeholder; h.value = prefix + pick(placeholders); break;
          case 3:
          case 4:
            if (auth) {
              h.k = kind::cred_bearer;
              h.value = chance(0.3)   ? "Basic dXNlcjp" + hex(6)
                        : chance(0.3) ? bearer() + "sk-ant-api03-BEARER-" + hex(8)  // newer SDKs' API keys
                                      : "Bearer opaque-provider-token-" + hex(8);
            } else {
              h.k = kind::cred_provider;
              h.value = prefix + "sk-ant-api03-PROVIDER-" + hex(8);
            }
            break;
          default: h.k = kind::cred_oauth; h.value = bearer() + "sk-ant-oat01-OAUTH-" + hex(8); break;
        }
        if (chance(0.1)) h.value = " " + h.value + " ";
        break;
      }
      case 3: {
        h.k = kind::hop;
        h.name = vary_case(pick(hop_names));
        h.value = "hop-" + hex(4);
        break;
      }
      case 4: {
        h.k = kind::connection;
        h.name = vary_case("connection");
        int n = 1 + below(3);
        for (int i = 0; i < n; ++i) {
          auto t = pick(connection_tokens);
          if (t == "x-api-key" && !chance(0.2)) t = "close";
          h.value += (i ? ", " : "") + t;
        }
        break;
      }
      case 5: {
        h.k = kind::framing;
        bool host = chance(0.5);
        h.name = vary_case(host ? "host" : "content-length");
        h.value = host ? "gateway.local:4000" : std::to_string(below(100000));
        break;
      }
      case 6: {
        h.k = kind::expect;
        h.name = vary_case("expect");
        int v = below(3);
        h.value = v == 0 ? "100-continue" : v == 1 ? " 100-Continue " : "nonsense-expectation";
        h.expect_100 = v < 2;
        break;
      }
      case 7:
      case 8: {
        h.k = kind::xpass_ok;
        bool bad = chance(0.15);
        h.target = vary_case(bad ? pick(xpass_bad_targets) : pick(xpass_ok_targets));
        h.k = bad ? kind::xpass_bad : kind::xpass_ok;
        h.name = vary_case("x-pass-") + h.target;
        h.value = "pass-" + hex(6);
        break;
      }
      default: {
        h.k = kind::normal;
        h.name = vary_case(pick(normal_names));
        h.value = chance(0.1) ? "" : "val-" + hex(6);
        break;
      }
    }
    return h;
  }

  std::vector<gen_header> request() {
    std::vector<gen_header> hs;
    int n = below(15);
    for (int i = 0; i < n; ++i) {
      auto h = header();
      hs.push_back(h);
      if (chance(0.05)) hs.push_back(h);  // an exact repeat
    }
    return hs;
  }

 private:
  std::mt19937_64 rng_;
};

std::string code_name(gateway_error e) {
  switch (e) {
    case gateway_error::bad_request: return "bad_request";
    case gateway_error::bad_header: return "bad_header";
    case gateway_error::unauthenticated: return "unauthenticated";
    case gateway_error::forbidden: return "forbidden";
    default: return "code " + std::to_string(int(e));
  }
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  if (const char* v = std::getenv(name)) return std::strtoull(v, nullptr, 0);
  return fallback;
}

std::string dump(const std::vector<gen_header>& hs) {
  std::string s;
  for (const auto& h : hs) s += "    " + h.name + ": " + h.value + "\n";
  return s;
}

TEST(CredentialRuleRandom, InvariantsHoldForGeneratedRequests) {
  const std::uint64_t seed = env_number("PASSGATE_RULE_SEED", 0x5eed2024);
  const std::uint64_t iterations = env_number("PASSGATE_RULE_ITERATIONS", 20000);
  std::cout << "randomized credential rule: " << iterations << " requests, seed " << seed
            << " (replay: PASSGATE_RULE_SEED=" << seed << ")\n";
  generator g(seed);

  std::map<std::string, std::shared_ptr<auth::key_record>, std::less<>> records;
  key_lookup lookup = [&](std::string_view k) -> std::shared_ptr<const auth::key_record> {
    auto it = records.find(k);
    return it == records.end() ? nullptr : it->second;
  };
  policy_result reused;
  std::map<std::string, int> outcomes;
  bool stopped = false;

  for (std::uint64_t it = 0; it < iterations; ++it) {
    // The keys' policies and the route change every time.
    records.clear();
    int n = 0;
    for (const auto& k : valid_keys) {
      auto r = std::make_shared<auth::key_record>();
      r->key_id = "key_" + std::to_string(n++);
      if (g.chance(0.5)) {
        r->allowed_credentials = label_set{};
        for (auto l : all_labels)
          if (g.chance(0.6)) r->allowed_credentials.add(l);
      }
      if (g.chance(0.25)) r->allowed_routes = {g.chance(0.5) ? "anthropic" : "openai"};
      records[k] = r;
    }
    const std::string route_name = g.chance(0.8) ? "anthropic" : "openai";
    route_policy route;
    route.route_name = route_name;
    route.mode = g.chance(0.25) ? client_credentials_mode::server_only : client_credentials_mode::forward;
    route.server_key = g.chance(0.6) ? std::string_view(the_server_key) : std::string_view{};
    route.oauth_host_allowed = g.chance(0.7);
    route.require_key = g.chance(0.3);
    const bool server_only = route.mode == client_credentials_mode::server_only;

    const auto hs = g.request();
    std::vector<header_view> views;
    for (const auto& h : hs) views.push_back({h.name, h.value});

    apply_credential_rule(views, route, lookup, reused);
    policy_result fresh;
    apply_credential_rule(views, route, lookup, fresh);
    const policy_result& r = fresh;

    // ---- what the input says ---------------------------------------------------
    std::set<std::string> conn;  // lower-case names listed in Connection
    for (const auto& h : hs)
      if (h.k == kind::connection) {
        std::string v = h.value;
        std::size_t p = 0;
        while (p <= v.size()) {
          auto c = v.find(',', p);
          auto tok = v.substr(p, c == std::string::npos ? std::string::npos : c - p);
          tok.erase(0, tok.find_first_not_of(' '));
          tok.erase(tok.find_last_not_of(' ') + 1);
          if (!tok.empty()) conn.insert(lower(tok));
          if (c == std::string::npos) break;
          p = c + 1;
        }
      }
    auto dropped = [&](const gen_header& h) {
      return h.k != kind::xpass_ok && h.k != kind::xpass_bad && conn.count(lower(h.name));
    };
    std::set<std::string> gw_values;  // every gateway key text in the request
    for (const auto& h : hs)
      if (!h.key.empty()) gw_values.insert(h.key);
    for (const auto& k : valid_keys) gw_values.insert(k);

    std::set<std::string> explicit_keys;
    std::optional<std::string> explicit_valid, first_cred_valid;
    bool explicit_unknown = false, cred_unknown = false, xpass_bad = false, any_expect_100 = false;
    std::vector<const gen_header*> client_creds;  // the ones that must be forwarded
    std::set<std::string> xpass_targets;          // lower-case
    for (const auto& h : hs) {
      if (h.k == kind::xpass_ok && conn.count(lower(h.target))) xpass_bad = true;
      if (h.k == kind::xpass_bad) xpass_bad = true;
      if (h.k == kind::xpass_ok) xpass_targets.insert(lower(h.target));
      if (h.k == kind::expect && h.expect_100) any_expect_100 = true;
      if (dropped(h)) continue;
      switch (h.k) {
        case kind::explicit_valid:
          explicit_keys.insert(h.key);
          if (!explicit_valid) explicit_valid = h.key;
          break;
        case kind::explicit_unknown:
          explicit_keys.insert(h.key);
          explicit_unknown = true;
          break;
        case kind::cred_valid_gw:
          if (!first_cred_valid) first_cred_valid = h.key;
          break;
        case kind::cred_unknown_gw: cred_unknown = true; break;
        case kind::cred_provider:
        case kind::cred_oauth:
        case kind::cred_bearer:
          if (!server_only) client_creds.push_back(&h);
          break;
        default: break;
      }
    }
    // Two different values of one provider credential header are refused; the
    // same value again is forwarded once. The rule looks at every value of
    // x-api-key and authorization that Connection did not drop, placeholders and
    // gateway keys included.
    bool conflicting_creds = false;
    {
      std::map<std::string, std::set<std::string>> values;  // lower-case name → trimmed values
      for (const auto& h : hs) {
        if (dropped(h)) continue;
        auto n = lower(h.name);
        if (n != "x-api-key" && n != "authorization") continue;
        std::string v = h.value;
        v.erase(0, v.find_first_not_of(" \t"));
        v.erase(v.find_last_not_of(" \t") + 1);
        values[n].insert(v);
      }
      for (const auto& [n, vs] : values) conflicting_creds |= vs.size() > 1;
      std::set<std::pair<std::string, std::string>> seen;
      std::vector<const gen_header*> unique_creds;
      for (auto* h : client_creds) {
        std::string v = h->value;
        v.erase(0, v.find_first_not_of(" \t"));
        v.erase(v.find_last_not_of(" \t") + 1);
        if (seen.insert({lower(h->name), v}).second) unique_creds.push_back(h);
      }
      client_creds = unique_creds;
    }
    const bool any_valid = explicit_valid || first_cred_valid;
    bool oauth_forwarded = false;
    for (auto* h : client_creds) oauth_forwarded |= h->k == kind::cred_oauth;
    const auth::key_record* expected_caller = nullptr;
    if (explicit_valid) expected_caller = records[*explicit_valid].get();
    else if (first_cred_valid) expected_caller = records[*first_cred_valid].get();

    const bool must_fail = explicit_unknown || cred_unknown || explicit_keys.size() > 1 || xpass_bad || conflicting_creds ||
                           (route.require_key && !any_valid) || (oauth_forwarded && !route.oauth_host_allowed);
    std::set<int> may_fail;
    if (xpass_bad) may_fail.insert(int(gateway_error::bad_header));
    if (explicit_unknown || cred_unknown || (route.require_key && !any_valid))
      may_fail.insert(int(gateway_error::unauthenticated));
    if (explicit_keys.size() > 1 || conflicting_creds) may_fail.insert(int(gateway_error::bad_request));
    if ((oauth_forwarded && !route.oauth_host_allowed) ||
        (expected_caller && (!expected_caller->allowed_credentials.is_all() || !expected_caller->allowed_routes.empty())))
      may_fail.insert(int(gateway_error::forbidden));

    // ---- the same answer with a reused result ----------------------------------
    EXPECT_EQ(bool(reused.error), bool(r.error)) << "a reused result answers differently";
    if (bool(reused.error) != bool(r.error)) {
      // reported above
    } else if (r.error) {
      EXPECT_EQ(int(reused.error->code), int(r.error->code));
      EXPECT_EQ(reused.error->message, r.error->message);
    } else {
      EXPECT_EQ(reused.label, r.label);
      EXPECT_EQ(reused.caller, r.caller);
      EXPECT_EQ(reused.expect_continue, r.expect_continue);
      EXPECT_EQ(reused.headers.size(), r.headers.size());
      for (std::size_t i = 0; i < std::min(r.headers.size(), reused.headers.size()); ++i) {
        EXPECT_EQ(reused.headers[i].name, r.headers[i].name);
        EXPECT_EQ(reused.headers[i].value, r.headers[i].value);
      }
    }

    if (r.error) {
      ++outcomes["error " + code_name(r.error->code)];
      EXPECT_TRUE(may_fail.count(int(r.error->code))) << "error " << code_name(r.error->code) << " ('"
                                                      << r.error->message << "') has no documented reason";
      EXPECT_TRUE(r.headers.empty());
      EXPECT_FALSE(r.error->message.empty());
      for (const auto& v : gw_values) EXPECT_FALSE(contains(r.error->message, v)) << "message names a key";
      for (const auto& h : hs) {
        if (h.value.size() >= 6 && h.k != kind::connection && h.k != kind::expect) {
          EXPECT_FALSE(contains(r.error->message, h.value)) << "message contains the value of " << h.name;
        }
      }
    } else {
      ++outcomes["label " + std::string(to_string(r.label))];
      EXPECT_FALSE(must_fail) << "this request had to be refused";

      std::vector<header_view> client_out;  // credential headers carrying client values
      int server_key_headers = 0, x_api_keys = 0, authorizations = 0;
      bool oauth_out = false;
      bool api_key_bearer_out = false;
      for (const auto& o : r.headers) {
        // No gateway key, valid or not, in any value.
        for (const auto& v : gw_values) EXPECT_FALSE(contains(o.value, v)) << o.name << " carries a gateway key";
        // Never these names.
        EXPECT_FALSE(is_gateway_header(o.name)) << o.name;
        EXPECT_FALSE(is_hop_or_framing_name(o.name)) << o.name;
        EXPECT_FALSE(lower(o.name).starts_with("x-pass-")) << o.name;
        const bool is_server_key = ieq(o.name, "x-api-key") && o.value == the_server_key;
        if (!is_server_key && !xpass_targets.count(lower(o.name))) {
          EXPECT_FALSE(conn.count(lower(o.name))) << o.name << " was named in Connection";
        }
        if (is_credential_name(o.name)) {
          // No empty or placeholder credential: the value is the server key or a
          // provider credential the client sent under that name.
          EXPECT_FALSE(o.value.empty());
          for (const auto& p : placeholders) {
            EXPECT_NE(o.value, p);
            EXPECT_FALSE(ieq(o.value, "Bearer " + p));
          }
          if (is_server_key) {
            ++server_key_headers;
          } else {
            client_out.push_back(o);
          }
          if (ieq(o.name, "x-api-key")) ++x_api_keys;
          if (ieq(o.name, "authorization")) {
            ++authorizations;
            oauth_out |= contains(o.value, "sk-ant-oat");
            api_key_bearer_out |= contains(o.value, "sk-ant-api") && !is_server_key;
          }
        }
      }
      // The client's provider credentials, exactly and in order.
      EXPECT_EQ(client_out.size(), client_creds.size()) << "client credentials forwarded";
      for (std::size_t i = 0; i < std::min(client_out.size(), client_creds.size()); ++i) {
        EXPECT_EQ(client_out[i].name, client_creds[i]->name);
        EXPECT_EQ(client_out[i].value, client_creds[i]->value);
      }
      if (server_only) {
        EXPECT_TRUE(client_out.empty()) << "server_only forwarded a client credential";
      }
      // The label says what was sent.
      switch (r.label) {
        case credential_label::byok:
          // The caller's own key: in x-api-key, or as a Bearer API key (newer SDKs).
          EXPECT_TRUE(x_api_keys - server_key_headers >= 1 || api_key_bearer_out);
          EXPECT_EQ(server_key_headers, 0);
          break;
        case credential_label::oauth:
          EXPECT_EQ(x_api_keys, 0);
          EXPECT_TRUE(oauth_out);
          break;
        case credential_label::bearer:
          EXPECT_EQ(x_api_keys, 0);
          EXPECT_GE(authorizations, 1);
          EXPECT_FALSE(oauth_out);
          EXPECT_FALSE(api_key_bearer_out);
          break;
        case credential_label::server:
          EXPECT_FALSE(route.server_key.empty());
          EXPECT_EQ(server_key_headers, 1);
          EXPECT_EQ(x_api_keys, 1);
          EXPECT_EQ(authorizations, 0);
          EXPECT_TRUE(client_out.empty());
          break;
        case credential_label::none:
          EXPECT_TRUE(route.server_key.empty());
          EXPECT_EQ(x_api_keys + authorizations, 0);
          break;
      }
      if (server_only) {
        EXPECT_TRUE(r.label == credential_label::server || r.label == credential_label::none) << to_string(r.label);
      }
      // Key and route policy held.
      if (oauth_out) {
        EXPECT_TRUE(route.oauth_host_allowed);
      }
      EXPECT_EQ(r.caller.get(), expected_caller);
      if (r.caller) {
        EXPECT_TRUE(r.caller->allowed_credentials.contains(r.label));
        if (!r.caller->allowed_routes.empty()) {
          EXPECT_EQ(r.caller->allowed_routes.front(), route_name);
        }
      }
      EXPECT_EQ(r.expect_continue, any_expect_100);
      // Everything else: the open list, in order, then the x-pass values at the end.
      std::vector<std::pair<std::string, std::string>> want_rest, got_rest;
      for (const auto& h : hs)
        if (h.k == kind::normal && !dropped(h) && !xpass_targets.count(lower(h.name))) want_rest.emplace_back(h.name, h.value);
      for (const auto& h : hs)
        if (h.k == kind::xpass_ok) want_rest.emplace_back(h.target, h.value);
      for (const auto& o : r.headers)
        if (!is_credential_name(o.name)) got_rest.emplace_back(o.name, o.value);
      EXPECT_EQ(got_rest, want_rest);
      std::size_t tail = std::count_if(hs.begin(), hs.end(), [](auto& h) { return h.k == kind::xpass_ok; });
      for (std::size_t i = 0; i < std::min(tail, r.headers.size()); ++i)
        EXPECT_FALSE(is_credential_name(r.headers[r.headers.size() - 1 - i].name)) << "x-pass headers come last";
    }

    if (::testing::Test::HasFailure()) {
      std::cout << "FAILED at request #" << it << " (seed " << seed << "), route " << route_name
                << (server_only ? " server_only" : " forward") << (route.server_key.empty() ? " no-server-key" : " server-key")
                << (route.oauth_host_allowed ? " oauth-ok" : " oauth-refused") << (route.require_key ? " require-key" : "")
                << "\n  headers:\n" << dump(hs);
      for (const auto& [k, rec] : records)
        std::cout << "  key " << k << ": allows " << rec->allowed_credentials.describe()
                  << (rec->allowed_routes.empty() ? "" : ", route " + rec->allowed_routes.front()) << "\n";
      stopped = true;
      break;
    }
  }

  std::cout << "outcomes:";
  for (const auto& [what, count] : outcomes) std::cout << " [" << what << "]=" << count;
  std::cout << "\n";
  // The generator reaches every outcome often enough for the checks to mean something.
  if (iterations >= 20000 && !stopped) {
    for (auto l : all_labels) EXPECT_GE(outcomes["label " + std::string(to_string(l))], 200) << to_string(l);
    for (auto e : {gateway_error::bad_header, gateway_error::unauthenticated, gateway_error::bad_request,
                   gateway_error::forbidden})
      EXPECT_GE(outcomes["error " + code_name(e)], 200) << code_name(e);
  }
}

}  // namespace
}  // namespace passgate::policy
