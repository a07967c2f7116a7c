// The credential rule through the real binary (issue 3): each label, gateway keys
// consumed and never forwarded, per-key and per-route policy.
#include "support/e2e.hpp"

namespace passgate::test {
namespace {

const std::string master = "sk-master-e2e-0123456789";
const std::string alice = "alice-static-gateway-key-42";
const std::string oauth_token = "sk-ant-oat01-subscription-token-abc";
const std::string byok_key = "sk-ant-api03-own-key-xyz";
const std::string server_key = "sk-ant-api03-ORG-SERVER-KEY";

class credentials : public ::testing::Test {
 protected:
  void start(const std::string& route_extra, const std::string& top_extra = "") {
    gw = std::make_unique<gateway_process>(gateway_options{
        route_config(up, route_extra,
                     "master_key: \"os.environ/PASSGATE_MASTER_KEY\"\n"
                     "keys:\n"
                     "  - { alias: alice, key: \"os.environ/ALICE_KEY\", allowed_credentials: [oauth, byok] }\n" +
                         top_extra),
        {{"PASSGATE_MASTER_KEY", master}, {"ALICE_KEY", alice}, {"ORG_KEY", server_key}}});
  }
  void start_mixed() {
    start("    server_key: \"os.environ/ORG_KEY\"\n    oauth_hosts: [\"127.0.0.1\"]\n");
  }
  response post(const header_list& h) { return fetch(gw->port(), "POST", "/anthropic/v1/messages?beta=true", h, "{}"); }

  // Nothing secret of the gateway's reached the upstream, in any header.
  void expect_no_gateway_key_upstream() {
    for (const auto& [n, v] : up.last_request().headers) {
      EXPECT_EQ(v.find(master), std::string::npos) << n;
      EXPECT_EQ(v.find(alice), std::string::npos) << n;
      EXPECT_NE(n, "x-passgate-key");
      EXPECT_NE(n, "x-litellm-api-key");
    }
  }
  void expect_log_has(const std::string& words) { EXPECT_TRUE(gw->wait_for_log(words)) << words << "\n" << gw->log(); }

  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(credentials, oauth_subscription_token_is_forwarded_untouched) {
  start_mixed();
  say("OAuth login + gateway key in x-passgate-key: Authorization and anthropic-beta reach the provider unchanged");
  auto r = post({{"x-passgate-key", alice},
                 {"Authorization", "Bearer " + oauth_token},
                 {"anthropic-beta", "oauth-2025-04-20,claude-code-20250219"}});
  EXPECT_EQ(r.status, 200);
  auto got = up.last_request();
  EXPECT_EQ(got.all("authorization"), std::vector<std::string>{"Bearer " + oauth_token});
  EXPECT_FALSE(got.has("x-api-key"));
  EXPECT_EQ(got.get("anthropic-beta"), "oauth-2025-04-20,claude-code-20250219");
  expect_no_gateway_key_upstream();
  expect_log_has("cred=oauth key=alice");
}

TEST_F(credentials, byok_key_is_forwarded_and_litellm_header_consumed) {
  start_mixed();
  say("own API key + x-litellm-api-key: Bearer <gateway key>: x-api-key forwarded, gateway header gone");
  post({{"X-LiteLLM-Api-Key", "Bearer " + alice}, {"x-api-key", byok_key}});
  auto got = up.last_request();
  EXPECT_EQ(got.all("x-api-key"), std::vector<std::string>{byok_key});
  EXPECT_FALSE(got.has("authorization"));
  expect_no_gateway_key_upstream();
  expect_log_has("cred=byok key=alice");
}

TEST_F(credentials, server_key_when_the_caller_brings_none) {
  start_mixed();
  say("only the gateway key: the organisation's key is sent");
  post({{"x-passgate-key", master}});
  EXPECT_EQ(up.last_request().all("x-api-key"), std::vector<std::string>{server_key});
  expect_no_gateway_key_upstream();
  expect_log_has("cred=server key=master");
  say("a gateway key in x-api-key and in Authorization: both consumed, server key sent");
  ASSERT_EQ(post({{"x-api-key", master}, {"authorization", "bearer " + alice}}).status, 200);
  ASSERT_EQ(up.requests().size(), 2u);  // this request, not the first, is the one looked at
  auto got = up.last_request();
  EXPECT_EQ(got.all("x-api-key"), std::vector<std::string>{server_key});
  EXPECT_FALSE(got.has("authorization"));
  expect_no_gateway_key_upstream();
}

TEST_F(credentials, other_bearer_tokens_are_labelled_bearer) {
  start_mixed();
  say("a non-OAuth Authorization is forwarded as is, label bearer");
  post({{"x-passgate-key", master}, {"Authorization", "Bearer client-key-123"}});
  EXPECT_EQ(up.last_request().get("authorization"), "Bearer client-key-123");
  EXPECT_FALSE(up.last_request().has("x-api-key"));
  expect_log_has("cred=bearer key=master");
}

TEST_F(credentials, no_credential_at_all_without_a_server_key) {
  start("    oauth_hosts: [\"127.0.0.1\"]\n");
  say("no provider credential and no server key: no credential header, never 'None' or empty");
  post({{"x-api-key", "None"}, {"Authorization", "Bearer "}});
  auto got = up.last_request();
  EXPECT_FALSE(got.has("x-api-key"));
  EXPECT_FALSE(got.has("authorization"));
  expect_log_has("cred=none");
}

TEST_F(credentials, key_policy_refuses_the_server_key_to_alice) {
  start_mixed();
  say("alice may use only oauth and byok: relying on the server key is 403, naming what she may use");
  auto r = post({{"x-passgate-key", alice}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("permission_error"), std::string::npos);
  EXPECT_NE(r.body.find("oauth, byok"), std::string::npos);
  EXPECT_EQ(r.body.find(alice), std::string::npos);
  EXPECT_TRUE(up.requests().empty());
}

TEST_F(credentials, required_gateway_key) {
  start("    server_key: \"os.environ/ORG_KEY\"\n", "auth: { require_key: true }\n");
  say("require_key: no key is 401");
  auto r = post({});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("authentication_error"), std::string::npos);
  say("an unknown key is 401 and the answer does not echo it");
  auto r2 = post({{"x-passgate-key", "sk-pg-NotAKeyOfOurs1234567890abcdefghijklmnop"}});
  EXPECT_EQ(r2.status, 401);
  EXPECT_EQ(r2.body.find("NotAKeyOfOurs"), std::string::npos);
  say("an unknown sk-pg- key in x-api-key is refused, not forwarded as a provider key");
  auto r3 = post({{"x-api-key", "sk-pg-NotAKeyOfOurs1234567890abcdefghijklmnop"}});
  EXPECT_EQ(r3.status, 401);
  EXPECT_TRUE(up.requests().empty());
  say("the master key passes");
  EXPECT_EQ(post({{"x-passgate-key", "Bearer " + master}}).status, 200);
}

TEST_F(credentials, oauth_tokens_only_go_to_oauth_hosts) {
  start("    server_key: \"os.environ/ORG_KEY\"\n");  // default oauth_hosts: api.anthropic.com
  say("an OAuth token towards a host not on oauth_hosts: 403, nothing sent");
  auto r = post({{"x-passgate-key", master}, {"Authorization", "Bearer " + oauth_token}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("oauth_hosts"), std::string::npos);
  EXPECT_TRUE(up.requests().empty());
}

TEST_F(credentials, server_only_route_ignores_client_credentials) {
  start("    server_key: \"os.environ/ORG_KEY\"\n    client_credentials: server_only\n");
  say("server_only: the client's x-api-key and Authorization are dropped, the server key is sent");
  post({{"x-api-key", byok_key}, {"Authorization", "Bearer " + oauth_token}});
  auto got = up.last_request();
  EXPECT_EQ(got.all("x-api-key"), std::vector<std::string>{server_key});
  EXPECT_FALSE(got.has("authorization"));
}

TEST_F(credentials, x_pass_headers) {
  start_mixed();
  say("x-pass-anthropic-beta replaces anthropic-beta; the x-pass header itself is not sent");
  post({{"anthropic-beta", "old"}, {"X-Pass-Anthropic-Beta", "new-beta"}});
  auto got = up.last_request();
  EXPECT_EQ(got.all("anthropic-beta"), std::vector<std::string>{"new-beta"});
  for (const auto& [n, v] : got.headers) EXPECT_FALSE(n.starts_with("x-pass-") || n.starts_with("X-Pass-")) << n;
  for (std::string bad : {"x-pass-authorization", "x-pass-x-api-key", "x-pass-host", "x-pass-content-length"}) {
    say(bad + " is refused with 400");
    auto r = post({{bad, "v"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find(bad), std::string::npos);
  }
}

TEST_F(credentials, secrets_never_reach_the_log) {
  start_mixed();
  post({{"x-passgate-key", alice}, {"Authorization", "Bearer " + oauth_token}});
  post({{"x-passgate-key", master}, {"x-api-key", byok_key}});
  post({{"x-passgate-key", master}});
  post({{"x-passgate-key", "sk-pg-unknownkey0000000000000000000000000000000"}});
  say("no key, token or server key text appears in the log");
  expect_log_has("cred=server key=master");  // the log holds the requests' lines
  auto log = gw->log();
  for (const auto& s : {master, alice, oauth_token, byok_key, server_key, std::string("unknownkey000")})
    EXPECT_EQ(log.find(s), std::string::npos) << s;
}

}  // namespace
}  // namespace passgate::test

namespace passgate::test {
namespace {

TEST(check_config, mixed_mode_example_validates_and_masks_secrets) {
  const std::string example = std::string(PASSGATE_SOURCE_DIR) + "/config/examples/mixed-mode.yaml";
  const std::map<std::string, std::string> env{{"PASSGATE_MASTER_KEY", "sk-pg-master-SECRET-value-1"},
                                               {"ANTHROPIC_API_KEY", "sk-ant-api03-SERVER-SECRET-value"},
                                               {"ALICE_KEY", "alice-SECRET-gateway-key"},
                                               {"CI_BOT_KEY", "bot-SECRET-gateway-key"},
                                               {"BOB_KEY", "bob-SECRET-gateway-key"}};
  say("passgate check-config accepts the mixed-mode example and prints it with secrets masked");
  auto r = run_passgate({"check-config", example}, env);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("require_key: true"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("alias: alice"), std::string::npos) << r.output;
  say("with the limits of the example's keys shown as they are in force");
  EXPECT_NE(r.output.find("budget_duration: 1mo"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rpm_limit: 60"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("budget_credentials: server"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("SECRET"), std::string::npos) << r.output;
  say("with a required variable unset, it fails naming the file, line and key");
  auto missing = env;
  missing.erase("ALICE_KEY");
  auto bad = run_passgate({"check-config", example}, missing);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("mixed-mode.yaml:"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("keys[0].key"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("ALICE_KEY is not set"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace passgate::test
