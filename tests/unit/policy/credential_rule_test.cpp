// The credential rule (DESIGN §1), case by case: which credential reaches the
// provider and under which label, what is refused and why, which headers are
// always removed and which are forwarded byte for byte.
#include <gtest/gtest.h>

#include <cctype>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/credential_rule.hpp"

namespace passgate::policy {
namespace {

using header_pairs = std::vector<std::pair<std::string, std::string>>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
bool ieq(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// Owns the request's header text; the views handed to the rule point into it, so
// a request outlives every result computed from it and is never copied.
class request {
 public:
  request(std::initializer_list<std::pair<std::string, std::string>> h) : headers_(h) { build(); }
  explicit request(header_pairs h) : headers_(std::move(h)) { build(); }
  request(const request&) = delete;
  request& operator=(const request&) = delete;
  std::span<const header_view> view() const { return views_; }
  const header_pairs& headers() const { return headers_; }
  const std::string& value(std::size_t i) const { return headers_[i].second; }

 private:
  void build() {
    for (const auto& [n, v] : headers_) views_.push_back({n, v});
  }
  header_pairs headers_;
  std::vector<header_view> views_;
};

header_pairs out_headers(const policy_result& r) {
  header_pairs out;
  for (const auto& h : r.headers) out.emplace_back(std::string(h.name), std::string(h.value));
  return out;
}

std::vector<std::string> values_of(const policy_result& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : r.headers)
    if (ieq(h.name, name)) out.emplace_back(h.value);
  return out;
}

std::string dump(const header_pairs& h) {
  std::string s;
  for (const auto& [n, v] : h) s += "  " + n + ": " + v + "\n";
  return s;
}

// Test data. Every value is distinctive, so "this text is not in the message" is a
// meaningful check.
const std::string server_key = "sk-ant-api03-SERVER-org-key-000111";
const std::string client_api_key = "sk-ant-api03-CLIENT-byok-key-222333";
const std::string oauth_token = "sk-ant-oat01-CLIENT-oauth-token-444555";
const std::string other_bearer = "client-key-123";
const std::string gw_alice = "sk-pg-alice-0123456789abcdef";   // every label
const std::string gw_bob = "sk-pg-bob-fedcba9876543210";       // [oauth, byok]
const std::string gw_master = "master-static-key-1234-xyz";   // static, no sk-pg- prefix
const std::string gw_routed = "sk-pg-routed-55667788aabb";     // allowed_routes: [openai]
const std::string gw_unknown = "sk-pg-unknown-99aa88bb77cc";   // not in the store

label_set labels(std::initializer_list<credential_label> ls) {
  label_set s;
  for (auto l : ls) s.add(l);
  return s;
}

class CredentialRule : public ::testing::Test {
 protected:
  CredentialRule() {
    add(gw_alice, "key_alice", label_set::all(), {});
    add(gw_bob, "key_bob", labels({credential_label::oauth, credential_label::byok}), {});
    add(gw_master, "key_master", label_set::all(), {});
    add(gw_routed, "key_routed", label_set::all(), {"openai"});
    route.route_name = "anthropic";
    route.server_key = server_key;
  }

  void add(const std::string& key, std::string id, label_set allowed, std::vector<std::string> routes) {
    auto r = std::make_shared<auth::key_record>();
    r->key_id = std::move(id);
    r->allowed_credentials = allowed;
    r->allowed_routes = std::move(routes);
    keys[key] = r;
  }

  policy_result apply(const request& rq) {
    policy_result r;
    apply_credential_rule(rq.view(), route, lookup, r);
    return r;
  }

  // A successful result: no error, the given label and exactly these headers.
  void expect_ok(const policy_result& r, credential_label label, const header_pairs& headers) {
    ASSERT_FALSE(r.error) << "unexpected error: " << r.error->message;
    EXPECT_EQ(to_string(r.label), to_string(label));
    EXPECT_EQ(out_headers(r), headers) << "got:\n" << dump(out_headers(r)) << "expected:\n" << dump(headers);
  }

  // A refusal: the code, no headers to send, a message that names `mentions` and
  // contains no header value of the request (neither whole nor its token).
  void expect_error(const policy_result& r, gateway_error code, const request& rq,
                    std::string_view mentions = {}) {
    ASSERT_TRUE(r.error) << "expected an error, got label " << to_string(r.label) << " and\n"
                         << dump(out_headers(r));
    EXPECT_EQ(int(r.error->code), int(code)) << r.error->message;
    EXPECT_TRUE(r.headers.empty());
    EXPECT_FALSE(r.error->message.empty());
    if (!mentions.empty()) {
      EXPECT_NE(r.error->message.find(mentions), std::string::npos)
          << "message '" << r.error->message << "' should mention '" << mentions << "'";
    }
    for (const auto& [n, v] : rq.headers()) {
      std::string_view t = v;
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      if (t.size() > 7 && ieq(t.substr(0, 7), "bearer ")) t.remove_prefix(7);
      if (t.size() >= 6) {
        EXPECT_EQ(r.error->message.find(t), std::string::npos)
            << "message '" << r.error->message << "' contains the value of header " << n;
      }
    }
  }

  route_policy route;
  std::map<std::string, std::shared_ptr<auth::key_record>, std::less<>> keys;
  key_lookup lookup = [this](std::string_view k) -> std::shared_ptr<const auth::key_record> {
    auto it = keys.find(k);
    return it == keys.end() ? nullptr : it->second;
  };
};

// ---- the table of DESIGN §1 ------------------------------------------------------

TEST_F(CredentialRule, ClientBearerIsForwardedWithoutServerKey) {
  std::cout << "Authorization: Bearer client-key-123 → forwarded unchanged, no server x-api-key, label bearer\n";
  request rq{{"Authorization", "Bearer " + other_bearer}, {"anthropic-version", "2023-06-01"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::bearer,
            {{"Authorization", "Bearer " + other_bearer}, {"anthropic-version", "2023-06-01"}});
  EXPECT_TRUE(values_of(r, "x-api-key").empty());
  EXPECT_EQ(r.caller, nullptr);
}

TEST_F(CredentialRule, ClientApiKeyIsForwardedAsByok) {
  std::cout << "x-api-key from the client → forwarded unchanged, label byok, server key unused\n";
  request rq{{"x-api-key", client_api_key}, {"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok,
            {{"x-api-key", client_api_key}, {"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}});
  EXPECT_EQ(values_of(r, "x-api-key"), std::vector<std::string>{client_api_key});
}

TEST_F(CredentialRule, ApiKeyAsBearerIsByok) {
  std::cout << "Authorization: Bearer sk-ant-api… (newer SDKs' API keys) → forwarded unchanged, label byok\n";
  request rq{{"Authorization", "Bearer " + client_api_key}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok, {{"Authorization", "Bearer " + client_api_key}});
  EXPECT_TRUE(values_of(r, "x-api-key").empty());
  EXPECT_TRUE(is_api_key_authorization("bearer " + client_api_key));
  EXPECT_FALSE(is_api_key_authorization(client_api_key));  // no Bearer: not this form
}

TEST_F(CredentialRule, NoCredentialUsesTheServerKey) {
  std::cout << "no provider credential → x-api-key: <server key> appended, label server\n";
  request rq{{"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::server,
            {{"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}, {"x-api-key", server_key}});
}

TEST_F(CredentialRule, NoCredentialAndNoServerKeySendsNoCredentialAtAll) {
  std::cout << "no provider credential, no server key → no credential header (never 'None' or empty), label none\n";
  route.server_key = {};
  request rq{{"anthropic-version", "2023-06-01"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::none, {{"anthropic-version", "2023-06-01"}});
  for (const auto& h : r.headers) {
    EXPECT_NE(h.value, "None");
    EXPECT_NE(h.value, "");
  }
}

TEST_F(CredentialRule, BothClientCredentialsAreForwarded) {
  std::cout << "x-api-key and Authorization from the client → both forwarded, label byok\n";
  request rq{{"x-api-key", client_api_key}, {"Authorization", "Bearer " + oauth_token}, {"anthropic-version", "2023-06-01"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok,
            {{"x-api-key", client_api_key}, {"Authorization", "Bearer " + oauth_token}, {"anthropic-version", "2023-06-01"}});
}

TEST_F(CredentialRule, OAuthTokenKeepsEveryAnthropicBeta) {
  std::cout << "Authorization: Bearer sk-ant-oat… → label oauth, every anthropic-beta value unchanged and in order\n";
  request rq{{"Authorization", "Bearer " + oauth_token},
             {"anthropic-beta", "oauth-2025-04-20"},
             {"anthropic-version", "2023-06-01"},
             {"anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::oauth,
            {{"Authorization", "Bearer " + oauth_token},
             {"anthropic-beta", "oauth-2025-04-20"},
             {"anthropic-version", "2023-06-01"},
             {"anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14"}});
}

TEST_F(CredentialRule, IsOauthAuthorization) {
  std::cout << "is_oauth_authorization: only 'Bearer sk-ant-oat…' (any case of Bearer, any spacing)\n";
  struct tc {
    std::string_view value;
    bool oauth;
  };
  for (auto [v, want] : std::initializer_list<tc>{{"Bearer sk-ant-oat01-abc", true},
                                                   {"bearer sk-ant-oat01-abc", true},
                                                   {"BEARER sk-ant-oat01-abc", true},
                                                   {"  Bearer   sk-ant-oat01-abc  ", true},
                                                   {"sk-ant-oat01-abc", false},
                                                   {"Bearer sk-ant-api03-abc", false},
                                                   {"Basic sk-ant-oat01-abc", false},
                                                   {"Bearer", false},
                                                   {"Bearer ", false},
                                                   {"", false},
                                                   {"Bearer SK-ANT-OAT01-abc", false}}) {
    SCOPED_TRACE(std::string(v));
    EXPECT_EQ(is_oauth_authorization(v), want);
  }
}

// ---- gateway keys ----------------------------------------------------------------

TEST_F(CredentialRule, LitellmKeyWithProviderKey) {
  std::cout << "x-litellm-api-key (gateway) + x-api-key (provider) → gateway header gone, provider key kept\n";
  request rq{{"x-litellm-api-key", "Bearer " + gw_alice}, {"x-api-key", client_api_key}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok, {{"x-api-key", client_api_key}});
  ASSERT_NE(r.caller, nullptr);
  EXPECT_EQ(r.caller->key_id, "key_alice");
}

TEST_F(CredentialRule, PassgateKeyHeaderIsNeverForwarded) {
  std::cout << "x-passgate-key with and without 'Bearer ' → consumed, caller set, never forwarded\n";
  for (const std::string& v : {gw_alice, "Bearer " + gw_alice, "bearer " + gw_alice, "  BEARER  " + gw_alice + " "}) {
    SCOPED_TRACE(v);
    request rq{{"x-passgate-key", v}, {"Authorization", "Bearer " + oauth_token}};
    auto r = apply(rq);
    expect_ok(r, credential_label::oauth, {{"Authorization", "Bearer " + oauth_token}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
}

TEST_F(CredentialRule, GatewayKeyInAuthorizationAndXApiKeyIsConsumed) {
  std::cout << "gateway key in both Authorization and x-api-key → both consumed, server key sent\n";
  {
    request rq{{"Authorization", "Bearer " + gw_alice}, {"x-api-key", gw_alice}, {"anthropic-version", "2023-06-01"}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"anthropic-version", "2023-06-01"}, {"x-api-key", server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
  {
    std::cout << "  two different valid keys (static master key without prefix in x-api-key): caller is the first\n";
    request rq{{"Authorization", "Bearer " + gw_alice}, {"x-api-key", gw_master}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-api-key", server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
  {
    std::cout << "  no server key: both consumed, label none, no credential header at all\n";
    route.server_key = {};
    request rq{{"x-api-key", gw_master}, {"authorization", "Bearer " + gw_master}};
    auto r = apply(rq);
    expect_ok(r, credential_label::none, {});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_master");
  }
}

TEST_F(CredentialRule, AuthorizationWithoutBearerIsAlsoCheckedForGatewayKeys) {
  std::cout << "Authorization: <gateway key> without 'Bearer ' → consumed (valid) or 401 (unknown sk-pg-), never forwarded\n";
  {
    request rq{{"Authorization", gw_master}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-api-key", server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_master");
  }
  {
    request rq{{"Authorization", gw_unknown}};
    expect_error(apply(rq), gateway_error::unauthenticated, rq);
  }
}

TEST_F(CredentialRule, BearerFollowedByATabIsStillBearer) {
  std::cout << "'Bearer<TAB>…' (found by the credential-rule fuzzer): a gateway key is consumed, an unknown sk-pg- "
               "key is 401 and a placeholder is absent, exactly as with a space\n";
  {
    request rq{{"authorization", "Bearer\t" + gw_master}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-api-key", server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_master");
  }
  {
    request rq{{"x-api-key", "Bearer\t" + gw_unknown}};
    expect_error(apply(rq), gateway_error::unauthenticated, rq);
  }
  {
    request rq{{"Authorization", "Bearer\tNone"}};
    expect_ok(apply(rq), credential_label::server, {{"x-api-key", server_key}});
  }
  std::cout << "  an OAuth token after a tab is still labelled oauth\n";
  request rq{{"Authorization", "Bearer\tsk-ant-oat01-abc"}};
  expect_ok(apply(rq), credential_label::oauth, {{"Authorization", "Bearer\tsk-ant-oat01-abc"}});
}

TEST_F(CredentialRule, ExplicitHeaderPrecedesProviderHeaderForTheCaller) {
  std::cout << "valid key in x-api-key first, explicit x-passgate-key later → caller is the explicit one\n";
  request rq{{"x-api-key", gw_master}, {"X-Passgate-Key", gw_alice}};
  auto r = apply(rq);
  expect_ok(r, credential_label::server, {{"x-api-key", server_key}});
  ASSERT_NE(r.caller, nullptr);
  EXPECT_EQ(r.caller->key_id, "key_alice");
}

TEST_F(CredentialRule, ExplicitUnknownKeyIs401) {
  std::cout << "x-passgate-key / x-litellm-api-key with an unknown key (sk-pg- or not) → 401, key not in message\n";
  for (std::string name : {"x-passgate-key", "X-LiteLLM-API-Key", "x-litellm-api-key", "X-PASSGATE-KEY"})
    for (const std::string& v : {gw_unknown, "Bearer " + gw_unknown, std::string("some-explicit-unknown-key")}) {
      SCOPED_TRACE(name + ": " + v);
      request rq{{"anthropic-version", "2023-06-01"}, {name, v}, {"x-api-key", client_api_key}};
      expect_error(apply(rq), gateway_error::unauthenticated, rq);
    }
}

TEST_F(CredentialRule, TwoDifferentExplicitKeysIsBadRequest) {
  std::cout << "two different explicit gateway keys → 400 bad_request; the same key twice → accepted\n";
  {
    request rq{{"x-passgate-key", gw_alice}, {"x-litellm-api-key", gw_bob}};
    expect_error(apply(rq), gateway_error::bad_request, rq);
  }
  {
    request rq{{"x-passgate-key", gw_alice}, {"x-passgate-key", gw_master}};
    expect_error(apply(rq), gateway_error::bad_request, rq);
  }
  {
    request rq{{"x-passgate-key", gw_alice}, {"x-litellm-api-key", "Bearer " + gw_alice}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-api-key", server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
}

TEST_F(CredentialRule, UnknownVirtualKeyInProviderHeadersIs401) {
  std::cout << "unknown sk-pg- value in x-api-key or Authorization → 401, never forwarded, in every mode\n";
  for (auto mode : {client_credentials_mode::forward, client_credentials_mode::server_only}) {
    route.mode = mode;
    for (auto [name, value] : std::initializer_list<std::pair<std::string, std::string>>{
             {"x-api-key", gw_unknown},
             {"X-Api-Key", "  " + gw_unknown + " "},
             {"x-api-key", "Bearer " + gw_unknown},
             {"Authorization", "Bearer " + gw_unknown},
             {"authorization", "bearer   " + gw_unknown},
             {"AUTHORIZATION", gw_unknown}}) {
      SCOPED_TRACE(name + ": " + value);
      request rq{{name, value}, {"x-passgate-key", gw_alice}};
      expect_error(apply(rq), gateway_error::unauthenticated, rq);
    }
  }
}

TEST_F(CredentialRule, UnknownNonGatewayValuesAreProviderCredentials) {
  std::cout << "values the lookup does not know and without sk-pg- are provider credentials → forwarded\n";
  {
    request rq{{"Authorization", "Basic dXNlcjpwYXNzd29yZA=="}};
    expect_ok(apply(rq), credential_label::bearer, {{"Authorization", "Basic dXNlcjpwYXNzd29yZA=="}});
  }
  {
    request rq{{"x-api-key", "Bearer " + client_api_key}};
    expect_ok(apply(rq), credential_label::byok, {{"x-api-key", "Bearer " + client_api_key}});
  }
}

TEST_F(CredentialRule, RequireKey) {
  std::cout << "require_key: no gateway key → 401 naming x-passgate-key; a valid key anywhere → accepted\n";
  route.require_key = true;
  {
    request rq{{"x-api-key", client_api_key}};
    expect_error(apply(rq), gateway_error::unauthenticated, rq, "x-passgate-key");
  }
  {
    request rq{{"anthropic-version", "2023-06-01"}};
    expect_error(apply(rq), gateway_error::unauthenticated, rq, "x-passgate-key");
  }
  {
    request rq{{"x-passgate-key", gw_alice}, {"x-api-key", client_api_key}};
    auto r = apply(rq);
    expect_ok(r, credential_label::byok, {{"x-api-key", client_api_key}});
    EXPECT_NE(r.caller, nullptr);
  }
  {
    request rq{{"x-api-key", gw_alice}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-api-key", server_key}});
    EXPECT_NE(r.caller, nullptr);
  }
}

// ---- placeholders and server_only ---------------------------------------------------

TEST_F(CredentialRule, PlaceholderCredentialsAreAbsent) {
  std::cout << "'', None, null, undefined (any case) as x-api-key or Bearer token → absent, never forwarded\n";
  for (std::string p : {"", "None", "none", "NONE", "null", "NULL", "undefined", "Undefined", "  None  "}) {
    for (auto [name, value] : std::initializer_list<std::pair<std::string, std::string>>{
             {"x-api-key", p}, {"Authorization", "Bearer " + p}, {"authorization", "bearer " + p}, {"Authorization", p}}) {
      SCOPED_TRACE("'" + name + ": " + value + "'");
      route.server_key = server_key;
      request rq{{name, value}, {"anthropic-version", "2023-06-01"}};
      expect_ok(apply(rq), credential_label::server, {{"anthropic-version", "2023-06-01"}, {"x-api-key", server_key}});
      route.server_key = {};
      expect_ok(apply(rq), credential_label::none, {{"anthropic-version", "2023-06-01"}});
    }
  }
  std::cout << "  'Authorization: Bearer' with nothing after it is a placeholder too\n";
  request rq{{"Authorization", "Bearer"}};
  route.server_key = server_key;
  expect_ok(apply(rq), credential_label::server, {{"x-api-key", server_key}});
}

TEST_F(CredentialRule, PlaceholderNextToRealCredentialKeepsTheRealOne) {
  std::cout << "x-api-key: None next to Authorization: Bearer sk-ant-oat… → only the OAuth token forwarded\n";
  request rq{{"x-api-key", "None"}, {"Authorization", "Bearer " + oauth_token}};
  expect_ok(apply(rq), credential_label::oauth, {{"Authorization", "Bearer " + oauth_token}});
}

TEST_F(CredentialRule, ServerOnlyDropsClientCredentials) {
  std::cout << "server_only: client x-api-key and Authorization dropped, server key always used\n";
  route.mode = client_credentials_mode::server_only;
  route.oauth_host_allowed = false;  // the dropped OAuth token is not "forwarded"
  request rq{{"x-api-key", client_api_key},
             {"Authorization", "Bearer " + oauth_token},
             {"anthropic-beta", "oauth-2025-04-20"},
             {"x-passgate-key", gw_alice}};
  auto r = apply(rq);
  expect_ok(r, credential_label::server, {{"anthropic-beta", "oauth-2025-04-20"}, {"x-api-key", server_key}});
  EXPECT_NE(r.caller, nullptr);
  std::cout << "  server_only without a server key → no credential at all, label none\n";
  route.server_key = {};
  expect_ok(apply(rq), credential_label::none, {{"anthropic-beta", "oauth-2025-04-20"}});
  std::cout << "  server_only still consumes a gateway key sent in x-api-key\n";
  route.server_key = server_key;
  request rq2{{"x-api-key", gw_master}};
  auto r2 = apply(rq2);
  expect_ok(r2, credential_label::server, {{"x-api-key", server_key}});
  ASSERT_NE(r2.caller, nullptr);
  EXPECT_EQ(r2.caller->key_id, "key_master");
}

// ---- key and route policy -------------------------------------------------------------

TEST_F(CredentialRule, KeyAllowedCredentials) {
  std::cout << "key allowing [oauth, byok]: server/bearer/none → 403 naming the allowed kinds; oauth/byok → ok\n";
  {
    request rq{{"x-passgate-key", gw_bob}};
    auto r = apply(rq);
    expect_error(r, gateway_error::forbidden, rq, "oauth, byok");
    EXPECT_NE(r.error->message.find("'server'"), std::string::npos) << r.error->message;
  }
  {
    request rq{{"x-passgate-key", gw_bob}, {"Authorization", "Bearer " + other_bearer}};
    auto r = apply(rq);
    expect_error(r, gateway_error::forbidden, rq, "oauth, byok");
    EXPECT_NE(r.error->message.find("'bearer'"), std::string::npos) << r.error->message;
  }
  {
    route.server_key = {};
    request rq{{"x-passgate-key", gw_bob}};
    auto r = apply(rq);
    expect_error(r, gateway_error::forbidden, rq, "oauth, byok");
    EXPECT_NE(r.error->message.find("'none'"), std::string::npos) << r.error->message;
    route.server_key = server_key;
  }
  {
    request rq{{"x-passgate-key", gw_bob}, {"x-api-key", client_api_key}};
    expect_ok(apply(rq), credential_label::byok, {{"x-api-key", client_api_key}});
  }
  {
    request rq{{"x-passgate-key", gw_bob}, {"Authorization", "Bearer " + oauth_token}};
    expect_ok(apply(rq), credential_label::oauth, {{"Authorization", "Bearer " + oauth_token}});
  }
  {
    std::cout << "  the same key sent in x-api-key: consumed, then refused the server key\n";
    request rq{{"x-api-key", gw_bob}};
    expect_error(apply(rq), gateway_error::forbidden, rq, "oauth, byok");
  }
  {
    std::cout << "  a key with no allowed kind at all is refused whatever it sends\n";
    add("sk-pg-nothing-allowed-1234", "key_nothing", label_set{}, {});
    request rq{{"x-passgate-key", "sk-pg-nothing-allowed-1234"}, {"x-api-key", client_api_key}};
    expect_error(apply(rq), gateway_error::forbidden, rq, "'byok'");
  }
}

TEST_F(CredentialRule, KeyAllowedRoutes) {
  std::cout << "key with allowed_routes [openai]: on route anthropic → 403 naming the route; on openai → ok\n";
  request rq{{"x-passgate-key", gw_routed}, {"x-api-key", client_api_key}};
  expect_error(apply(rq), gateway_error::forbidden, rq, "'anthropic'");
  route.route_name = "openai";
  expect_ok(apply(rq), credential_label::byok, {{"x-api-key", client_api_key}});
}

TEST_F(CredentialRule, OAuthTokenOnlyToAllowedHosts) {
  std::cout << "oauth_host_allowed=false: forwarding an OAuth token → 403; other credentials → ok\n";
  route.oauth_host_allowed = false;
  {
    request rq{{"Authorization", "Bearer " + oauth_token}};
    expect_error(apply(rq), gateway_error::forbidden, rq, "OAuth");
  }
  {
    request rq{{"x-api-key", client_api_key}, {"Authorization", "Bearer " + oauth_token}};
    expect_error(apply(rq), gateway_error::forbidden, rq, "OAuth");
  }
  {
    request rq{{"Authorization", "Bearer " + other_bearer}};
    expect_ok(apply(rq), credential_label::bearer, {{"Authorization", "Bearer " + other_bearer}});
  }
  {
    request rq{{"x-api-key", client_api_key}};
    expect_ok(apply(rq), credential_label::byok, {{"x-api-key", client_api_key}});
  }
  {
    request rq{{"anthropic-version", "2023-06-01"}};
    expect_ok(apply(rq), credential_label::server, {{"anthropic-version", "2023-06-01"}, {"x-api-key", server_key}});
  }
}

// ---- x-pass-NAME ----------------------------------------------------------------------

TEST_F(CredentialRule, XPassReplacesAndIsNotForwarded) {
  std::cout << "x-pass-anthropic-beta: v → anthropic-beta: v replacing the client's (any case), no x-pass-* sent\n";
  {
    request rq{{"Anthropic-Beta", "old-beta"}, {"x-pass-anthropic-beta", "v"}, {"anthropic-beta", "old-2"},
               {"x-api-key", client_api_key}};
    expect_ok(apply(rq), credential_label::byok, {{"x-api-key", client_api_key}, {"anthropic-beta", "v"}});
  }
  {
    std::cout << "  name as written after the prefix; several x-pass of one name all sent, in order\n";
    request rq{{"User-Agent", "claude-cli/1.0"}, {"X-Pass-User-Agent", "ua-1"}, {"x-pass-user-agent", "ua-2"},
               {"X-PASS-X-New-Thing", "nt"}};
    expect_ok(apply(rq), credential_label::server,
              {{"x-api-key", server_key}, {"User-Agent", "ua-1"}, {"user-agent", "ua-2"}, {"X-New-Thing", "nt"}});
  }
}

TEST_F(CredentialRule, XPassRefusedTargets) {
  std::cout << "x-pass-NAME for credential, gateway-key, framing, hop-by-hop or x-pass- names → 400 naming the header\n";
  for (std::string name :
       {"x-pass-authorization", "x-pass-x-api-key", "x-pass-host", "x-pass-content-length", "x-pass-api-key",
        "x-pass-x-goog-api-key", "x-pass-x-passgate-key", "x-pass-x-litellm-api-key", "x-pass-transfer-encoding",
        "x-pass-expect", "x-pass-connection", "x-pass-keep-alive", "x-pass-proxy-authorization",
        "x-pass-proxy-authenticate", "x-pass-proxy-connection", "x-pass-te", "x-pass-trailer", "x-pass-upgrade",
        "x-pass-x-pass-anthropic-beta", "x-pass-", "X-Pass-Authorization", "X-PASS-X-API-KEY", "x-Pass-HOST",
        "X-pass-Content-Length", "X-Pass-X-PassGate-Key"}) {
    SCOPED_TRACE(name);
    for (auto mode : {client_credentials_mode::forward, client_credentials_mode::server_only}) {
      route.mode = mode;
      request rq{{"x-api-key", client_api_key}, {name, "secret-value-zz9"}, {"anthropic-version", "2023-06-01"}};
      expect_error(apply(rq), gateway_error::bad_header, rq, "'" + name + "'");
    }
  }
}

TEST_F(CredentialRule, XPassTargetNamedInConnectionIsRefused) {
  std::cout << "Connection: x-custom-hop makes x-custom-hop hop-by-hop → x-pass-x-custom-hop is 400\n";
  request rq{{"Connection", "keep-alive, x-custom-hop"}, {"x-pass-x-custom-hop", "v-hop-value"}};
  expect_error(apply(rq), gateway_error::bad_header, rq, "x-pass-x-custom-hop");
}

// ---- always removed / always forwarded -----------------------------------------------

TEST_F(CredentialRule, HopByHopFramingAndConnectionNamedHeadersAreRemoved) {
  std::cout << "hop-by-hop, host, content-length, expect and Connection-named headers removed; Expect: 100-continue flagged\n";
  request rq{{"Host", "gateway.local:4000"},
             {"Connection", "keep-alive, X-Drop-Me,  x-drop-too "},
             {"Keep-Alive", "timeout=5"},
             {"Proxy-Authorization", "Basic cHJveHk6cHc="},
             {"Proxy-Authenticate", "Basic"},
             {"Proxy-Connection", "keep-alive"},
             {"TE", "trailers"},
             {"Trailer", "x-checksum"},
             {"Transfer-Encoding", "chunked"},
             {"Upgrade", "h2c"},
             {"Content-Length", "1234"},
             {"Expect", "100-continue"},
             {"x-drop-me", "dropped-1"},
             {"X-DROP-TOO", "dropped-2"},
             {"anthropic-version", "2023-06-01"},
             {"x-api-key", client_api_key}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok, {{"anthropic-version", "2023-06-01"}, {"x-api-key", client_api_key}});
  EXPECT_TRUE(r.expect_continue);

  std::cout << "  'Expect:  100-Continue ' flags too; any other Expect value is removed without the flag\n";
  request rq2{{"expect", "  100-Continue "}};
  EXPECT_TRUE(apply(rq2).expect_continue);
  request rq3{{"Expect", "something-else"}};
  auto r3 = apply(rq3);
  EXPECT_FALSE(r3.expect_continue);
  expect_ok(r3, credential_label::server, {{"x-api-key", server_key}});
}

TEST_F(CredentialRule, OpenListIsForwardedByteForByte) {
  std::cout << "a Claude Code request: every other header forwarded, names as written, repeats in order, same bytes\n";
  request rq{{"Anthropic-Beta", "claude-code-20250219,oauth-2025-04-20"},
             {"anthropic-version", "2023-06-01"},
             {"x-claude-code-session-id", "5b1d2c4e-7f80-4a1b-9c3d-0e1f2a3b4c5d"},
             {"User-Agent", "claude-cli/1.0.83 (external, cli)"},
             {"accept-encoding", "gzip, deflate, br"},
             {"anthropic-beta", "fine-grained-tool-streaming-2025-05-14"},
             {"X-Stainless-Lang", "js"},
             {"x-stainless-retry-count", "0"},
             {"content-type", "application/json"},
             {"x-app", "cli"},
             {"x-weird", "  spaced value, \"quoted\", caf\xc3\xa9  "},
             {"Authorization", "Bearer " + oauth_token}};
  auto r = apply(rq);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(to_string(r.label), "oauth");
  ASSERT_EQ(r.headers.size(), rq.headers().size());
  for (std::size_t i = 0; i < r.headers.size(); ++i) {
    EXPECT_EQ(r.headers[i].name, rq.headers()[i].first);
    EXPECT_EQ(r.headers[i].value, rq.headers()[i].second);
    EXPECT_EQ(r.headers[i].value.data(), rq.value(i).data()) << "views point into the request, no copy";
  }
}

TEST_F(CredentialRule, MixedCaseHeaderNamesEverywhere) {
  std::cout << "mixed-case names for every special header behave like their lower-case forms\n";
  request rq{{"X-API-KEY", client_api_key},
             {"AUTHORIZATION", "BEARER " + oauth_token},
             {"X-PassGate-Key", "bEaReR " + gw_alice},
             {"X-LITELLM-API-KEY", gw_alice},
             {"HOST", "gw"},
             {"Content-Length", "12"},
             {"CONNECTION", "Keep-Alive, X-Drop-Me"},
             {"KEEP-ALIVE", "timeout=5"},
             {"x-DROP-me", "1"},
             {"EXPECT", "100-CONTINUE"},
             {"Anthropic-Version", "2023-06-01"},
             {"User-Agent", "ua/1"},
             {"X-PASS-USER-AGENT", "ua/2"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok,
            {{"X-API-KEY", client_api_key}, {"AUTHORIZATION", "BEARER " + oauth_token}, {"Anthropic-Version", "2023-06-01"},
             {"USER-AGENT", "ua/2"}});
  EXPECT_TRUE(r.expect_continue);
  ASSERT_NE(r.caller, nullptr);
  EXPECT_EQ(r.caller->key_id, "key_alice");
}

// ---- the result object and the lookup ---------------------------------------------------

TEST_F(CredentialRule, ResultIsClearedAndReused) {
  std::cout << "one policy_result reused: an error, then a success, then a request with no caller\n";
  policy_result r;
  request bad{{"x-passgate-key", gw_unknown}, {"Expect", "100-continue"}};
  apply_credential_rule(bad.view(), route, lookup, r);
  ASSERT_TRUE(r.error);
  request good{{"x-passgate-key", gw_alice}, {"Expect", "100-continue"}, {"a", "1"}, {"b", "2"}, {"c", "3"}};
  apply_credential_rule(good.view(), route, lookup, r);
  ASSERT_FALSE(r.error);
  EXPECT_NE(r.caller, nullptr);
  EXPECT_TRUE(r.expect_continue);
  auto capacity = r.headers.capacity();
  request plain{{"x-api-key", client_api_key}};
  apply_credential_rule(plain.view(), route, lookup, r);
  expect_ok(r, credential_label::byok, {{"x-api-key", client_api_key}});
  EXPECT_EQ(r.caller, nullptr);
  EXPECT_FALSE(r.expect_continue);
  EXPECT_GE(r.headers.capacity(), capacity) << "capacity kept for the next request";
}

TEST_F(CredentialRule, WithoutALookupFunction) {
  std::cout << "no key lookup at all: explicit gateway header → 401, sk-pg- value → 401, provider key → forwarded\n";
  lookup = nullptr;
  {
    request rq{{"x-passgate-key", gw_alice}};
    expect_error(apply(rq), gateway_error::unauthenticated, rq);
  }
  {
    request rq{{"x-api-key", gw_alice}};
    expect_error(apply(rq), gateway_error::unauthenticated, rq);
  }
  {
    request rq{{"x-api-key", client_api_key}};
    expect_ok(apply(rq), credential_label::byok, {{"x-api-key", client_api_key}});
  }
}

}  // namespace
}  // namespace passgate::policy
