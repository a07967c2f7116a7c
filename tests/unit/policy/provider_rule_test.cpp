// The provider route kinds (issue 15): the credential rule's table for each
// provider, with route_policy set the way src/proxy/gateway.cpp's
// describe_provider sets it from the provider rule (policy/provider.hpp) and the
// route's config; take_query_param (Gemini's ?key=); append_aws_signature
// (Bedrock's SigV4 headers).
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <chrono>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/aws_signing.hpp"
#include "policy/credential_rule.hpp"
#include "policy/path_mapping.hpp"
#include "policy/provider.hpp"
#include "policy/sigv4.hpp"

namespace passgate::policy {
namespace {

using header_pairs = std::vector<std::pair<std::string, std::string>>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Owns the request's header text; the rule's views point into it.
class request {
 public:
  request(std::initializer_list<std::pair<std::string, std::string>> h) : headers_(h) {
    for (const auto& [n, v] : headers_) views_.push_back({n, v});
  }
  request(const request&) = delete;
  request& operator=(const request&) = delete;
  std::span<const header_view> view() const { return views_; }
  const header_pairs& headers() const { return headers_; }

 private:
  header_pairs headers_;
  std::vector<header_view> views_;
};

header_pairs out_headers(const policy_result& r) {
  header_pairs out;
  for (const auto& h : r.headers) out.emplace_back(std::string(h.name), std::string(h.value));
  return out;
}

std::string dump(const header_pairs& h) {
  std::string s;
  for (const auto& [n, v] : h) s += "  " + n + ": " + v + "\n";
  return s;
}

bool sends_header(const policy_result& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (lower(h.name) == lower(name)) return true;
  return false;
}

// Distinctive values: "this text is not in the output" means something.
const std::string openai_server_key = "sk-proj-SERVER-openai-0001";
const std::string openai_client_key = "sk-proj-CLIENT-openai-byok-0002";
const std::string openai_other_token = "eyJhbGciOi-CLIENT-azure-ad-token-0003";
const std::string gemini_server_key = "AIzaSy-SERVER-gemini-0004";
const std::string gemini_client_key = "AIzaSy-CLIENT-gemini-0005";
const std::string google_oauth_token = "ya29.CLIENT-google-oauth-0006";
const std::string anthropic_client_key = "sk-ant-api03-CLIENT-anthropic-0007";
const std::string generic_server_key = "tools-SERVER-raw-0008";
const std::string generic_client_key = "tools-CLIENT-raw-0009";
const std::string gw_alice = "sk-pg-alice-0123456789abcdef";
const std::string gw_master = "master-static-key-1234-xyz";  // static, no sk-pg- prefix
const std::string gw_unknown = "sk-pg-unknown-99aa88bb77cc";

// What a route's config says, as far as describe_provider reads it.
struct route_cfg {
  provider_kind provider;
  std::string server_key;  // raw, as in the config
  client_credentials_mode mode = client_credentials_mode::forward;
  std::string credential_header;  // generic
  bool credential_bearer = true;  // generic
};

class ProviderRule : public ::testing::Test {
 protected:
  ProviderRule() {
    add(gw_alice, "key_alice");
    add(gw_master, "key_master");
  }

  void add(const std::string& key, std::string id) {
    auto r = std::make_shared<auth::key_record>();
    r->key_id = std::move(id);
    keys[key] = r;
  }

  // route_policy as src/proxy/gateway.cpp's describe_provider sets it (apply_provider).
  void use(route_cfg rc) {
    cfg = std::move(rc);
    route = route_policy{};
    route.route_name = to_string(cfg.provider);
    // config.cpp: a bedrock route is always server_only; a non-anthropic route
    // has oauth_host_allowed (finish_route).
    route.mode = cfg.provider == provider_kind::bedrock ? client_credentials_mode::server_only : cfg.mode;
    route.oauth_host_allowed = true;
    route.require_key = false;
    server_credential =
        apply_provider(route, cfg.provider, cfg.server_key, cfg.credential_header, cfg.credential_bearer);
    route.server_key = server_credential;
  }

  policy_result apply(const request& rq) {
    policy_result r;
    apply_credential_rule(rq.view(), route, lookup, r);
    return r;
  }

  void expect_ok(const policy_result& r, credential_label label, const header_pairs& headers) {
    ASSERT_FALSE(r.error) << "unexpected error: " << r.error->message;
    EXPECT_EQ(to_string(r.label), to_string(label));
    EXPECT_EQ(out_headers(r), headers) << "got:\n" << dump(out_headers(r)) << "expected:\n" << dump(headers);
  }

  void expect_error(const policy_result& r, gateway_error code, std::string_view mentions = {}) {
    ASSERT_TRUE(r.error) << "expected an error, got label " << to_string(r.label) << " and\n"
                         << dump(out_headers(r));
    EXPECT_EQ(int(r.error->code), int(code)) << r.error->message;
    EXPECT_TRUE(r.headers.empty());
    if (!mentions.empty()) {
      EXPECT_NE(r.error->message.find(mentions), std::string::npos)
          << "message '" << r.error->message << "' should mention '" << mentions << "'";
    }
  }

  route_cfg cfg{provider_kind::anthropic, ""};
  std::string server_credential;  // the route's server key as sent ("Bearer …" where due)
  route_policy route;
  std::map<std::string, std::shared_ptr<auth::key_record>, std::less<>> keys;
  key_lookup lookup = [this](std::string_view k) -> std::shared_ptr<const auth::key_record> {
    auto it = keys.find(k);
    return it == keys.end() ? nullptr : it->second;
  };
};

// ---- the provider table as data ----------------------------------------------------

TEST_F(ProviderRule, EachProviderRuleIsAtItsIndexAndNamed) {
  std::cout << "  checks: rule_of(p).kind == p for every provider; names round-trip; unknown names are nullopt\n";
  for (auto p : all_providers) {
    SCOPED_TRACE(std::string(to_string(p)));
    EXPECT_EQ(rule_of(p).kind, p);
    EXPECT_EQ(provider_from_string(to_string(p)), p);
  }
  EXPECT_FALSE(provider_from_string("azure"));
  EXPECT_FALSE(provider_from_string("OpenAI"));
  EXPECT_EQ(rule_of(provider_kind::openai).errors, error_dialect::openai);
  EXPECT_EQ(rule_of(provider_kind::gemini).errors, error_dialect::gemini);
  EXPECT_EQ(rule_of(provider_kind::bedrock).errors, error_dialect::bedrock);
  EXPECT_EQ(rule_of(provider_kind::gemini).query_key_param, "key");
  EXPECT_TRUE(rule_of(provider_kind::bedrock).signs_requests);
}

// ---- openai ----------------------------------------------------------------------------

TEST_F(ProviderRule, OpenAIOwnSkKeyIsByokAndForwarded) {
  std::cout << "  checks: openai, Authorization: Bearer sk-… from the client → forwarded unchanged, label byok, "
               "no server key added\n";
  use({provider_kind::openai, openai_server_key});
  request rq{{"Authorization", "Bearer " + openai_client_key}, {"content-type", "application/json"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok,
            {{"Authorization", "Bearer " + openai_client_key}, {"content-type", "application/json"}});
  EXPECT_EQ(r.caller, nullptr);
}

TEST_F(ProviderRule, OpenAIOtherBearerIsBearer) {
  std::cout << "  checks: openai, Authorization: Bearer <not sk-> → forwarded, label bearer; no Bearer scheme → "
               "bearer too\n";
  use({provider_kind::openai, openai_server_key});
  {
    request rq{{"Authorization", "Bearer " + openai_other_token}};
    expect_ok(apply(rq), credential_label::bearer, {{"Authorization", "Bearer " + openai_other_token}});
  }
  {
    request rq{{"authorization", openai_client_key}};  // sk- but not as a Bearer token
    expect_ok(apply(rq), credential_label::bearer, {{"authorization", openai_client_key}});
  }
  EXPECT_EQ(client_label(provider_kind::openai, "authorization", "bearer " + openai_client_key),
            credential_label::byok);
  EXPECT_EQ(client_label(provider_kind::openai, "authorization", "Bearer sk"), credential_label::bearer);
}

TEST_F(ProviderRule, OpenAIGatewayKeyInAuthorizationIsConsumedAndTheServerKeyGoesAsBearer) {
  std::cout << "  checks: openai, Authorization: Bearer <gateway key> → consumed, caller set, "
               "authorization: Bearer <server key> appended, label server\n";
  use({provider_kind::openai, openai_server_key});
  for (const std::string& key : {gw_alice, gw_master}) {
    SCOPED_TRACE(key);
    request rq{{"Authorization", "Bearer " + key}, {"content-type", "application/json"}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server,
              {{"content-type", "application/json"}, {"authorization", "Bearer " + openai_server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, key == gw_alice ? "key_alice" : "key_master");
  }
  std::cout << "  checks: openai, an unknown sk-pg- key in Authorization → 401, not forwarded\n";
  request rq{{"Authorization", "Bearer " + gw_unknown}};
  expect_error(apply(rq), gateway_error::unauthenticated);
}

TEST_F(ProviderRule, OpenAIPlaceholderIsDropped) {
  std::cout << "  checks: openai, Authorization: Bearer None / null / empty → dropped, server key used "
               "(or none without one)\n";
  use({provider_kind::openai, openai_server_key});
  for (std::string_view v : {"Bearer None", "Bearer null", "Bearer ", "undefined", ""}) {
    SCOPED_TRACE(std::string(v));
    request rq{{"Authorization", std::string(v)}};
    expect_ok(apply(rq), credential_label::server, {{"authorization", "Bearer " + openai_server_key}});
  }
  use({provider_kind::openai, ""});
  request rq{{"Authorization", "Bearer None"}, {"accept", "*/*"}};
  expect_ok(apply(rq), credential_label::none, {{"accept", "*/*"}});
}

TEST_F(ProviderRule, OpenAIOtherProvidersCredentialHeadersAreNeverForwarded) {
  std::cout << "  checks: openai, x-api-key / x-goog-api-key / api-key from the client → dropped (label from the "
               "server key), a gateway key in them still consumed\n";
  use({provider_kind::openai, openai_server_key});
  {
    request rq{{"x-api-key", anthropic_client_key}, {"x-goog-api-key", gemini_client_key}, {"api-key", "azure-key-01"}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"authorization", "Bearer " + openai_server_key}});
    EXPECT_EQ(r.caller, nullptr);
  }
  {
    request rq{{"x-api-key", gw_alice}, {"Authorization", "Bearer " + openai_client_key}};
    auto r = apply(rq);
    expect_ok(r, credential_label::byok, {{"Authorization", "Bearer " + openai_client_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
  {
    request rq{{"x-goog-api-key", gw_master}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"authorization", "Bearer " + openai_server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_master");
  }
  {
    std::cout << "  checks: openai without a server key: x-api-key dropped, no credential at all, label none\n";
    use({provider_kind::openai, ""});
    request rq{{"x-api-key", anthropic_client_key}};
    expect_ok(apply(rq), credential_label::none, {});
  }
  {
    std::cout << "  checks: openai, an unknown sk-pg- key in x-api-key → 401\n";
    use({provider_kind::openai, openai_server_key});
    request rq{{"x-api-key", gw_unknown}};
    expect_error(apply(rq), gateway_error::unauthenticated);
  }
}

TEST_F(ProviderRule, OpenAIServerOnlyDropsTheClientsKey) {
  std::cout << "  checks: openai, server_only: the client's Bearer sk-… dropped, server key sent, label server; "
               "a gateway key still consumed\n";
  use({provider_kind::openai, openai_server_key, client_credentials_mode::server_only});
  {
    request rq{{"Authorization", "Bearer " + openai_client_key}, {"openai-beta", "assistants=v2"}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server,
              {{"openai-beta", "assistants=v2"}, {"authorization", "Bearer " + openai_server_key}});
    EXPECT_EQ(r.caller, nullptr);
  }
  {
    request rq{{"x-passgate-key", gw_alice}, {"Authorization", "Bearer " + openai_client_key}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"authorization", "Bearer " + openai_server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
  {
    std::cout << "  checks: openai, server_only, x-pass-authorization is refused (a credential header)\n";
    request rq{{"x-pass-authorization", "Bearer " + openai_client_key}};
    expect_error(apply(rq), gateway_error::bad_header, "x-pass-authorization");
  }
}

// ---- gemini ----------------------------------------------------------------------------

TEST_F(ProviderRule, GeminiGoogApiKeyIsByok) {
  std::cout << "  checks: gemini, x-goog-api-key from the client → forwarded, label byok, no server key\n";
  use({provider_kind::gemini, gemini_server_key});
  request rq{{"x-goog-api-key", gemini_client_key}, {"content-type", "application/json"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::byok, {{"x-goog-api-key", gemini_client_key}, {"content-type", "application/json"}});
  EXPECT_EQ(client_label(provider_kind::gemini, "X-Goog-Api-Key", gemini_client_key), credential_label::byok);
}

TEST_F(ProviderRule, GeminiAuthorizationIsBearer) {
  std::cout << "  checks: gemini, Authorization: Bearer ya29… → forwarded, label bearer; with x-goog-api-key "
               "too both go and the label is byok\n";
  use({provider_kind::gemini, gemini_server_key});
  {
    request rq{{"Authorization", "Bearer " + google_oauth_token}};
    expect_ok(apply(rq), credential_label::bearer, {{"Authorization", "Bearer " + google_oauth_token}});
  }
  {
    request rq{{"Authorization", "Bearer " + google_oauth_token}, {"x-goog-api-key", gemini_client_key}};
    expect_ok(apply(rq), credential_label::byok,
              {{"Authorization", "Bearer " + google_oauth_token}, {"x-goog-api-key", gemini_client_key}});
  }
}

TEST_F(ProviderRule, GeminiServerKeyGoesRawInGoogApiKey) {
  std::cout << "  checks: gemini, no client credential → x-goog-api-key: <server key> (no Bearer), label server; "
               "x-api-key from the client dropped; a gateway key in x-goog-api-key consumed\n";
  use({provider_kind::gemini, gemini_server_key});
  {
    request rq{{"content-type", "application/json"}, {"x-api-key", anthropic_client_key}};
    expect_ok(apply(rq), credential_label::server,
              {{"content-type", "application/json"}, {"x-goog-api-key", gemini_server_key}});
  }
  {
    request rq{{"x-goog-api-key", gw_alice}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-goog-api-key", gemini_server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
}

// ---- bedrock ---------------------------------------------------------------------------

TEST_F(ProviderRule, BedrockDropsEveryCredentialHeaderAndLabelsServer) {
  std::cout << "  checks: bedrock (signs_requests): Authorization, x-api-key, x-goog-api-key, api-key all dropped; "
               "no server-key header added; label server\n";
  use({provider_kind::bedrock, ""});
  ASSERT_TRUE(route.signs_requests);
  request rq{{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20250101/us-east-1/bedrock/aws4_request, "
                               "SignedHeaders=host, Signature=00"},
             {"x-api-key", anthropic_client_key},
             {"x-goog-api-key", gemini_client_key},
             {"api-key", "azure-key-01"},
             {"content-type", "application/json"},
             {"accept", "application/vnd.amazon.eventstream"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::server,
            {{"content-type", "application/json"}, {"accept", "application/vnd.amazon.eventstream"}});
  EXPECT_EQ(r.caller, nullptr);
}

TEST_F(ProviderRule, BedrockDropsTheClientsAwsSigningHeaders) {
  std::cout << "  checks: bedrock: x-amz-date, x-amz-security-token, x-amz-content-sha256 from the client dropped "
               "(any case); other x-amz* headers kept\n";
  use({provider_kind::bedrock, ""});
  request rq{{"X-Amz-Date", "20250101T000000Z"},
             {"x-amz-security-token", "client-session-token-0010"},
             {"X-AMZ-CONTENT-SHA256", "UNSIGNED-PAYLOAD"},
             {"x-amzn-bedrock-trace", "ENABLED"},
             {"x-amz-user-agent", "aws-sdk-js/3"}};
  auto r = apply(rq);
  expect_ok(r, credential_label::server, {{"x-amzn-bedrock-trace", "ENABLED"}, {"x-amz-user-agent", "aws-sdk-js/3"}});
  std::cout << "  checks: on a route that does not sign (anthropic), x-amz-date is an ordinary header\n";
  use({provider_kind::anthropic, ""});
  request plain{{"x-amz-date", "20250101T000000Z"}};
  expect_ok(apply(plain), credential_label::none, {{"x-amz-date", "20250101T000000Z"}});
}

TEST_F(ProviderRule, BedrockGatewayKeyIsConsumed) {
  std::cout << "  checks: bedrock: a gateway key in Authorization or x-passgate-key is consumed, caller set\n";
  use({provider_kind::bedrock, ""});
  {
    request rq{{"Authorization", "Bearer " + gw_alice}, {"content-type", "application/json"}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"content-type", "application/json"}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
  {
    request rq{{"x-passgate-key", gw_master}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_master");
  }
}

TEST_F(ProviderRule, BedrockRefusesXPassForSigningAndCredentialHeaders) {
  std::cout << "  checks: bedrock: x-pass-x-amz-date, x-pass-x-amz-security-token, x-pass-x-amz-content-sha256, "
               "x-pass-authorization → 400 (bad_header) naming the header\n";
  use({provider_kind::bedrock, ""});
  for (const std::string name : {"x-pass-x-amz-date", "X-Pass-X-Amz-Security-Token", "x-pass-x-amz-content-sha256",
                                 "x-pass-authorization"}) {
    SCOPED_TRACE(name);
    request rq{{name, "20250101T000000Z"}, {"content-type", "application/json"}};
    auto r = apply(rq);
    expect_error(r, gateway_error::bad_header, name);  // answered 400 (shape_of)
  }
  std::cout << "  checks: bedrock: x-pass-x-amzn-bedrock-trace (not a signing header) is allowed\n";
  request ok{{"x-pass-x-amzn-bedrock-trace", "ENABLED"}};
  expect_ok(apply(ok), credential_label::server, {{"x-amzn-bedrock-trace", "ENABLED"}});
}

// ---- generic ---------------------------------------------------------------------------

TEST_F(ProviderRule, GenericCustomHeaderRawIsByok) {
  std::cout << "  checks: generic, credential_header x-tools-token, raw: the client's x-tools-token → forwarded, "
               "label byok; Authorization from the client not forwarded\n";
  use({provider_kind::generic, generic_server_key, client_credentials_mode::forward, "x-tools-token", false});
  {
    request rq{{"X-Tools-Token", generic_client_key}, {"content-type", "application/json"}};
    expect_ok(apply(rq), credential_label::byok,
              {{"X-Tools-Token", generic_client_key}, {"content-type", "application/json"}});
  }
  {
    request rq{{"Authorization", "Bearer " + openai_client_key}, {"x-tools-token", generic_client_key}};
    expect_ok(apply(rq), credential_label::byok, {{"x-tools-token", generic_client_key}});
  }
}

TEST_F(ProviderRule, GenericServerKeyGoesRawInItsHeader) {
  std::cout << "  checks: generic, raw: no client credential → x-tools-token: <server key> (no Bearer), label "
               "server; Authorization and x-api-key from the client dropped\n";
  use({provider_kind::generic, generic_server_key, client_credentials_mode::forward, "x-tools-token", false});
  {
    request rq{{"Authorization", "Bearer " + openai_client_key}, {"x-api-key", anthropic_client_key}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-tools-token", generic_server_key}});
    EXPECT_FALSE(sends_header(r, "authorization"));
  }
  {
    std::cout << "  checks: generic: a gateway key in x-tools-token is consumed, never forwarded\n";
    request rq{{"x-tools-token", gw_alice}};
    auto r = apply(rq);
    expect_ok(r, credential_label::server, {{"x-tools-token", generic_server_key}});
    ASSERT_NE(r.caller, nullptr);
    EXPECT_EQ(r.caller->key_id, "key_alice");
  }
  {
    std::cout << "  checks: generic: x-pass-x-tools-token is refused (the route's credential header)\n";
    request rq{{"x-pass-x-tools-token", generic_client_key}};
    expect_error(apply(rq), gateway_error::bad_header, "x-pass-x-tools-token");
  }
}

TEST_F(ProviderRule, GenericDefaultAuthorizationBearer) {
  std::cout << "  checks: generic with the defaults (authorization, bearer): server key as 'Bearer <key>', a "
               "client Bearer token forwarded as byok\n";
  use({provider_kind::generic, generic_server_key, client_credentials_mode::forward, "authorization", true});
  {
    request rq{{"accept", "*/*"}};
    expect_ok(apply(rq), credential_label::server,
              {{"accept", "*/*"}, {"authorization", "Bearer " + generic_server_key}});
  }
  {
    request rq{{"Authorization", "Bearer " + generic_client_key}};
    expect_ok(apply(rq), credential_label::byok, {{"Authorization", "Bearer " + generic_client_key}});
  }
}

// ---- take_query_param ------------------------------------------------------------------

TEST(TakeQueryParam, Cases) {
  std::cout << "  checks: take_query_param removes every key=… and returns the first value percent-decoded; "
               "a target without one is left unchanged\n";
  struct tc {
    std::string target;
    bool found;
    std::string want_target, want_value;
    bool conflicting = false;
  };
  for (const auto& c : std::initializer_list<tc>{
           {"/p?key=K", true, "/p", "K"},
           {"/p?a=1&key=K&b=2", true, "/p?a=1&b=2", "K"},
           {"/p?key=K&a=1", true, "/p?a=1", "K"},
           {"/p?a=1&key=K", true, "/p?a=1", "K"},
           {"/v1beta/models/gemini-2.0-flash:generateContent?key=AIza%2Bb%2Fc%3D%3D&alt=sse", true,
            "/v1beta/models/gemini-2.0-flash:generateContent?alt=sse", "AIza+b/c=="},
           {"/p?key=A%20B", true, "/p", "A B"},
           {"/p?key=first&x=1&key=second", true, "/p?x=1", "first", true},
           {"/p?key=K&key=K", true, "/p", "K"},
           {"/p?key=", true, "/p", ""},
           {"/p?keyx=1&key=K", true, "/p?keyx=1", "K"},
       }) {
    SCOPED_TRACE(c.target);
    std::string target = c.target, value = "unchanged";
    const auto taken = take_query_param(target, "key", value);
    EXPECT_EQ(taken.found, c.found);
    EXPECT_EQ(taken.conflicting, c.conflicting);
    EXPECT_EQ(target, c.want_target);
    EXPECT_EQ(value, c.want_value);
  }
  std::cout << "  checks: no key parameter (none, keyx=, xkey=, a path named key) → false, target unchanged\n";
  for (std::string_view t : {"/p", "/p?", "/p?a=1", "/p?keyx=1", "/p?xkey=1&keys=2", "/key=K", "/p?a=key=K"}) {
    SCOPED_TRACE(std::string(t));
    std::string target(t), value;
    EXPECT_FALSE(take_query_param(target, "key", value));
    EXPECT_EQ(target, t);
  }
}

// ---- append_aws_signature --------------------------------------------------------------

// 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
const auto fixed_time = std::chrono::system_clock::time_point{std::chrono::seconds{1440938160}};
constexpr std::string_view bedrock_host = "bedrock-runtime.us-east-1.amazonaws.com";
constexpr std::string_view bedrock_target = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke";
constexpr std::string_view bedrock_body =
    R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view session_token = "IQoJb3JpZ2luX2VjEXAMPLE-session-token";

aws_route_signing signing(std::string_view token) {
  return {{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token}, "us-east-1"};
}

// The header lines of `head` after `prefix`, without their CRLF.
std::vector<std::string> lines_after(const std::string& head, std::string_view prefix) {
  EXPECT_TRUE(head.starts_with(prefix)) << head;
  std::vector<std::string> out;
  std::string_view rest = std::string_view(head).substr(prefix.size());
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    EXPECT_NE(end, std::string_view::npos) << "a line without CRLF: " << rest;
    if (end == std::string_view::npos) break;
    out.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end + 2);
  }
  return out;
}

TEST(AwsSigning, LinesInOrderWithoutSessionToken) {
  std::cout << "  checks: append_aws_signature without a session token appends x-amz-content-sha256, x-amz-date, "
               "authorization (in order, CRLF each) after what the head held\n";
  const std::string prefix = "POST /x HTTP/1.1\r\nhost: bedrock-runtime.us-east-1.amazonaws.com\r\n";
  std::string head = prefix;
  append_aws_signature(head, signing(""), "POST", bedrock_target, bedrock_host, bedrock_body, fixed_time);
  const auto lines = lines_after(head, prefix);
  const std::string payload = sigv4::sha256_hex(bedrock_body);
  ASSERT_EQ(lines.size(), 3u) << head;
  EXPECT_EQ(lines[0], "x-amz-content-sha256: " + payload);
  EXPECT_EQ(lines[1], "x-amz-date: 20150830T123600Z");
  ASSERT_TRUE(lines[2].starts_with("authorization: ")) << lines[2];
  const std::array<sigv4::header, 3> signed_headers{
      {{"host", bedrock_host}, {"x-amz-content-sha256", payload}, {"x-amz-date", "20150830T123600Z"}}};
  const auto s = signing("");
  EXPECT_EQ(lines[2].substr(15), sigv4::authorization("POST", bedrock_target, signed_headers, payload, s.creds,
                                                      "us-east-1", "bedrock", "20150830T123600Z"));
  std::cout << "  checks: the same value computed independently (Python hashlib/hmac, SigV4 by the spec)\n";
  EXPECT_EQ(payload, "616eb59224eb795b641b4c541ad9ee8b939a1e8798f73b54fce66bb79ddbb992");
  EXPECT_EQ(lines[2],
            "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=e2b64d0410c51fdb3c4d083e4d098a578fcde0921334c63046d88a91771efa5c");
}

TEST(AwsSigning, LinesInOrderWithSessionToken) {
  std::cout << "  checks: with a session token: x-amz-content-sha256, x-amz-date, x-amz-security-token, "
               "authorization, the token signed\n";
  std::string head;
  append_aws_signature(head, signing(session_token), "POST", bedrock_target, bedrock_host, bedrock_body, fixed_time);
  const auto lines = lines_after(head, "");
  const std::string payload = sigv4::sha256_hex(bedrock_body);
  ASSERT_EQ(lines.size(), 4u) << head;
  EXPECT_EQ(lines[0], "x-amz-content-sha256: " + payload);
  EXPECT_EQ(lines[1], "x-amz-date: 20150830T123600Z");
  EXPECT_EQ(lines[2], "x-amz-security-token: " + std::string(session_token));
  ASSERT_TRUE(lines[3].starts_with("authorization: ")) << lines[3];
  const std::array<sigv4::header, 4> signed_headers{{{"host", bedrock_host},
                                                     {"x-amz-content-sha256", payload},
                                                     {"x-amz-date", "20150830T123600Z"},
                                                     {"x-amz-security-token", session_token}}};
  const auto s = signing(session_token);
  EXPECT_EQ(lines[3].substr(15), sigv4::authorization("POST", bedrock_target, signed_headers, payload, s.creds,
                                                      "us-east-1", "bedrock", "20150830T123600Z"));
  EXPECT_EQ(lines[3],
            "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
            "Signature=77f3df386f0f5148cc5d88e78e90385e9323398c8280addaf6bef6e75b1fbdb4");
}

TEST(AwsSigning, EmptyBodyAndChangedInputsChangeTheSignature) {
  std::cout << "  checks: an empty body hashes to the empty-payload SHA-256; a different target, body or time "
               "gives a different signature\n";
  auto authz = [](std::string_view target, std::string_view body, std::chrono::system_clock::time_point t) {
    std::string head;
    append_aws_signature(head, signing(""), "POST", target, bedrock_host, body, t);
    return head;
  };
  const auto base = authz(bedrock_target, bedrock_body, fixed_time);
  const auto empty = authz(bedrock_target, "", fixed_time);
  EXPECT_NE(empty.find("x-amz-content-sha256: " + std::string(sigv4::empty_payload_sha256) + "\r\n"),
            std::string::npos)
      << empty;
  EXPECT_NE(base, empty);
  EXPECT_NE(base, authz("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream",
                        bedrock_body, fixed_time));
  const auto later = authz(bedrock_target, bedrock_body, fixed_time + std::chrono::hours(24));
  EXPECT_NE(later.find("x-amz-date: 20150831T123600Z\r\n"), std::string::npos) << later;
  EXPECT_NE(later.find("Credential=AKIDEXAMPLE/20150831/us-east-1/bedrock/aws4_request"), std::string::npos);
}

}  // namespace
}  // namespace passgate::policy
