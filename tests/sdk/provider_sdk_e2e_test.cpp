// The official OpenAI (`openai`) and Google Gen AI (`@google/genai`) SDKs,
// pointed at the real binary's /openai and /gemini routes, against a mock
// speaking each provider's shapes: a plain and a streaming call per SDK, with
// the gateway key as the SDK's own api key (consumed: the server key goes up)
// or beside the caller's own key.
#include <filesystem>

#include "store/store.hpp"
#include "support/e2e.hpp"

namespace passgate::test {
namespace {

const std::string gateway_key = "sk-pg-provider-sdk-key-0123456789";
const std::string openai_org = "sk-proj-ORG-openai-server";
const std::string gemini_org = "AIza-ORG-gemini-server";

mock_response openai_answer(const recorded_request& r) {
  mock_response m;
  if (r.body.find("\"stream\":true") != std::string::npos) {
    m.how = mock_response::mode::sse;
    const std::string head = R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18",)";
    m.events = {head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null})" + "\n\n",
                head + R"("choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null})" + "\n\n",
                head + R"("choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}],"usage":null})" + "\n\n",
                head + R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})" + "\n\n",
                "data: [DONE]\n\n"};
  } else {
    m.headers = {{"content-type", "application/json"}};
    m.body = R"({"id":"c0","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18",)"
             R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hi from the mock"},"finish_reason":"stop"}],)"
             R"("usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}})";
  }
  return m;
}

mock_response gemini_answer(const recorded_request& r) {
  mock_response m;
  const std::string usage = R"("usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,"totalTokenCount":10},"modelVersion":"gemini-2.5-flash"})";
  if (r.target.find(":streamGenerateContent") != std::string::npos) {
    m.how = mock_response::mode::sse;
    m.events = {R"(data: {"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"}}],)" + usage + "\r\n\r\n",
                R"(data: {"candidates":[{"content":{"parts":[{"text":" there"}],"role":"model"},"finishReason":"STOP"}],)" +
                    usage + "\r\n\r\n"};
  } else {
    m.headers = {{"content-type", "application/json"}};
    m.body = R"({"candidates":[{"content":{"parts":[{"text":"Hi from the mock"}],"role":"model"},"finishReason":"STOP"}],)" +
             usage;
  }
  return m;
}

class provider_sdk : public ::testing::Test {
 protected:
  void SetUp() override {
    sdk_dir = std::string(PASSGATE_SOURCE_DIR) + "/tests/sdk";
    ASSERT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/openai")) << "run `npm ci` in tests/sdk";
    ASSERT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/@google/genai")) << "run `npm ci` in tests/sdk";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/node")) << "Node.js is needed (apt-get install nodejs)";
    up.on_request([](const recorded_request& r) {
      return r.target.starts_with("/v1/chat/") ? openai_answer(r) : gemini_answer(r);
    });
    gw = std::make_unique<gateway_process>(gateway_options{
        "routes:\n"
        "  openai:\n    provider: openai\n    upstream: \"" + up.url() + "\"\n    server_key: \"" + openai_org + "\"\n"
        "  gemini:\n    provider: gemini\n    upstream: \"" + up.url() + "\"\n    server_key: \"" + gemini_org + "\"\n"
        "keys:\n  - { alias: sdk-user, key: \"" + gateway_key + "\" }\n"});
  }

  run_result run_sdk(const std::string& sdk, const std::string& mode, const std::string& credential = "") {
    temp_dir home;
    return run_program("/usr/bin/node", {sdk_dir + "/provider_sdk_test.mjs"},
                       {{"PASSGATE_BASE_URL", "http://127.0.0.1:" + std::to_string(gw->port())},
                        {"PASSGATE_KEY", gateway_key},
                        {"SDK", sdk},
                        {"SDK_MODE", mode},
                        {"SDK_CREDENTIAL", credential},
                        {"HOME", home.path}});
  }

  void expect_answers(const run_result& r) {
    ASSERT_EQ(r.status, 0) << r.output;
    say("the SDK parsed the plain answer, the streamed text and the stream's usage");
    EXPECT_NE(r.output.find(R"("plain_text":"Hi from the mock")"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"("stream_text":"Hello there")"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"("stream_usage":{)"), std::string::npos) << r.output;
    auto reqs = up.requests();
    ASSERT_EQ(reqs.size(), 2u);
    for (const auto& q : reqs) {
      EXPECT_FALSE(q.has("x-passgate-key"));
      for (const auto& [n, v] : q.headers) EXPECT_EQ(v.find(gateway_key), std::string::npos) << n;
      EXPECT_EQ(q.target.find(gateway_key), std::string::npos);
    }
  }

  // Both calls' rows, after the gateway stopped.
  std::vector<usage::spend_record> rows() {
    EXPECT_EQ(gw->stop(), 0);
    return store::open_sqlite(gw->dir() + "/passgate.db")->spend_logs({}, {0, 100});
  }

  std::string sdk_dir;
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(provider_sdk, openai_sdk_with_the_gateway_key_as_its_api_key) {
  expect_answers(run_sdk("openai", "server"));
  say("openai SDK: Authorization: Bearer <gateway key> consumed, the organisation's key sent in its place");
  for (const auto& q : up.requests()) {
    EXPECT_EQ(q.target, "/v1/chat/completions");
    EXPECT_EQ(q.all("authorization"), std::vector<std::string>{"Bearer " + openai_org});
  }
  auto rs = rows();
  ASSERT_EQ(rs.size(), 2u);
  say("openai SDK: both rows priced as gpt-4o-mini, label server, key sdk-user");
  for (const auto& x : rs) {
    EXPECT_EQ(x.provider, "openai");
    EXPECT_EQ(x.credential, "server");
    EXPECT_EQ(x.key_alias, "sdk-user");
    EXPECT_EQ(x.model, "gpt-4o-mini-2024-07-18");
    EXPECT_TRUE(x.cost_usd.has_value());
  }
}

TEST_F(provider_sdk, openai_sdk_with_the_callers_own_key) {
  expect_answers(run_sdk("openai", "byok", "sk-user-own-openai-key"));
  say("openai SDK, own key: Authorization: Bearer <own key> unchanged, label byok");
  for (const auto& q : up.requests()) EXPECT_EQ(q.all("authorization"), std::vector<std::string>{"Bearer sk-user-own-openai-key"});
  EXPECT_TRUE(gw->wait_for_log("route=openai cred=byok key=sdk-user"));
}

TEST_F(provider_sdk, gemini_sdk_with_the_gateway_key_as_its_api_key) {
  expect_answers(run_sdk("gemini", "server"));
  say("@google/genai: x-goog-api-key <gateway key> consumed, the organisation's key sent; the stream asks alt=sse");
  auto reqs = up.requests();
  // The API version in the path is the SDK's choice (v1 in @google/genai 3).
  EXPECT_TRUE(reqs[0].target.ends_with("/models/gemini-2.5-flash:generateContent")) << reqs[0].target;
  EXPECT_TRUE(reqs[1].target.ends_with("/models/gemini-2.5-flash:streamGenerateContent?alt=sse")) << reqs[1].target;
  for (const auto& q : reqs) EXPECT_EQ(q.all("x-goog-api-key"), std::vector<std::string>{gemini_org});
  auto rs = rows();
  ASSERT_EQ(rs.size(), 2u);
  say("@google/genai: rows priced as gemini-2.5-flash: 7 in, 3 out");
  for (const auto& x : rs) {
    EXPECT_EQ(x.provider, "gemini");
    EXPECT_EQ(x.credential, "server");
    EXPECT_EQ(x.input_tokens, 7);
    EXPECT_EQ(x.output_tokens, 3);
    EXPECT_NEAR(x.cost_usd.value_or(-1), (7 * 0.3 + 3 * 2.5) / 1e6, 1e-12);
  }
}

TEST_F(provider_sdk, gemini_sdk_with_the_callers_own_key) {
  expect_answers(run_sdk("gemini", "byok", "AIza-user-own-gemini-key"));
  say("@google/genai, own key: x-goog-api-key unchanged, label byok");
  for (const auto& q : up.requests()) EXPECT_EQ(q.all("x-goog-api-key"), std::vector<std::string>{"AIza-user-own-gemini-key"});
  EXPECT_TRUE(gw->wait_for_log("route=gemini cred=byok key=sdk-user"));
}

}  // namespace
}  // namespace passgate::test
