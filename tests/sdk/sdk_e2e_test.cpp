// The official Anthropic TypeScript SDK, pointed at the real binary, against the
// mock upstream: a plain and a streaming messages call for each way of
// connecting (OAuth token, own API key, organisation key), with the gateway key
// in a custom header.
#include <filesystem>

#include "support/e2e.hpp"

namespace passgate::test {
namespace {

const std::string gateway_key = "sdk-gateway-key-0123456789";
const std::string oauth_token = "sk-ant-oat01-sdk-subscription-token";
const std::string own_key = "sk-ant-api03-sdk-own-key";
const std::string org_key = "sk-ant-api03-sdk-org-key";

std::vector<std::string> sse_answer() {
  return {
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_s\",\"type\":\"message\","
      "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,"
      "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n",
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"text\",\"text\":\"\"}}\n\n",
      "event: ping\ndata: {\"type\": \"ping\"}\n\n",
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\" there\"}}\n\n",
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
      "\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}\n\n",
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"};
}

class sdk : public ::testing::Test {
 protected:
  void SetUp() override {
    sdk_dir = std::string(PASSGATE_SOURCE_DIR) + "/tests/sdk";
    ASSERT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/@anthropic-ai/sdk"))
        << "run `npm ci` in tests/sdk (scripts/test.sh does it)";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/node")) << "Node.js is needed (apt-get install nodejs)";
    up.on_request([](const recorded_request& r) {
      mock_response m;
      if (r.body.find("\"stream\":true") != std::string::npos) {
        m.how = mock_response::mode::sse;
        m.events = sse_answer();
      } else {
        m.headers = {{"content-type", "application/json"}, {"request-id", "req_mock_plain"}};
        m.body =
            R"({"id":"msg_p","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
            R"("content":[{"type":"text","text":"Hi from the mock"}],"stop_reason":"end_turn","stop_sequence":null,)"
            R"("usage":{"input_tokens":12,"output_tokens":5}})";
      }
      return m;
    });
    gw = std::make_unique<gateway_process>(gateway_options{
        route_config(up, "    server_key: \"" + org_key + "\"\n    oauth_hosts: [\"127.0.0.1\"]\n",
                     "keys:\n  - { alias: sdk-user, key: \"" + gateway_key + "\" }\n")});
  }

  run_result run_sdk(const std::string& mode, const std::string& credential) {
    temp_dir home;
    return run_program("/usr/bin/node", {sdk_dir + "/sdk_test.mjs"},
                       {{"PASSGATE_BASE_URL", "http://127.0.0.1:" + std::to_string(gw->port()) + "/anthropic"},
                        {"PASSGATE_KEY", gateway_key},
                        {"SDK_MODE", mode},
                        {"SDK_CREDENTIAL", credential},
                        {"HOME", home.path}});
  }

  void expect_sdk_results(const run_result& r) {
    ASSERT_EQ(r.status, 0) << r.output;
    say("the SDK parsed the plain answer and the streamed text");
    EXPECT_NE(r.output.find(R"("plain_text":"Hi from the mock")"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"("stream_text":"Hello there")"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"("output_tokens":4)"), std::string::npos) << r.output;
    say("both requests reached the upstream without the gateway key");
    auto reqs = up.requests();
    ASSERT_EQ(reqs.size(), 2u);
    for (const auto& q : reqs) {
      EXPECT_EQ(q.target, "/v1/messages");
      EXPECT_FALSE(q.has("x-passgate-key"));
      for (const auto& [n, v] : q.headers) EXPECT_EQ(v.find(gateway_key), std::string::npos) << n;
      EXPECT_NE(q.body.find(R"("user_id":"sdk-test-user")"), std::string::npos);
    }
  }

  std::string sdk_dir;
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(sdk, oauth_auth_token) {
  auto r = run_sdk("oauth", oauth_token);
  expect_sdk_results(r);
  say("authToken: Authorization: Bearer <token> and the oauth beta reach the upstream; no x-api-key");
  for (const auto& q : up.requests()) {
    EXPECT_EQ(q.get("authorization"), "Bearer " + oauth_token);
    EXPECT_FALSE(q.has("x-api-key"));
    ASSERT_TRUE(q.get("anthropic-beta").has_value());
    EXPECT_NE(q.get("anthropic-beta")->find("oauth-2025-04-20"), std::string::npos);
  }
  EXPECT_TRUE(gw->wait_for_log("cred=oauth key=sdk-user"));
}

TEST_F(sdk, byok_api_key) {
  auto r = run_sdk("byok", own_key);
  expect_sdk_results(r);
  // This SDK generation sends an API key as "Authorization: Bearer sk-ant-api…"
  // (older ones used x-api-key): either way it is the caller's own key, labelled byok.
  say("apiKey: the caller's own key reaches the upstream unchanged; no server key");
  for (const auto& q : up.requests()) {
    auto sent = q.get("x-api-key") ? q.get("x-api-key") : q.get("authorization");
    ASSERT_TRUE(sent.has_value());
    EXPECT_NE(sent->find(own_key), std::string::npos);
    for (const auto& v : q.all("x-api-key")) EXPECT_NE(v, org_key);
  }
  EXPECT_TRUE(gw->wait_for_log("cred=byok key=sdk-user"));
}

TEST_F(sdk, organisation_server_key) {
  auto r = run_sdk("server", "");
  expect_sdk_results(r);
  say("neither: the organisation's server key is sent as x-api-key");
  for (const auto& q : up.requests()) {
    EXPECT_EQ(q.all("x-api-key"), std::vector<std::string>{org_key});
    EXPECT_FALSE(q.has("authorization"));
  }
  EXPECT_TRUE(gw->wait_for_log("cred=server key=sdk-user"));
}

}  // namespace
}  // namespace passgate::test
