// Every route kind through the real binary (issue 15): OpenAI, Gemini, Bedrock
// (signed with AWS Signature V4, streamed as an event stream) and a generic
// route, each against a mock speaking that provider's shapes. For each: the
// credential rule's table, the rows' tokens and cost, and errors in the
// provider's own shape.
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <boost/json.hpp>

#include "store/store.hpp"
#include "support/e2e.hpp"
#include "support/eventstream_frames.hpp"

namespace passgate::test {
namespace {

const std::string master = "sk-master-providers-0123456789";
const std::string alice = "sk-pg-alice-providers-key-0001";      // allowed_routes: [openai]
const std::string payer = "sk-pg-payer-providers-key-0002";      // a $0.0001 budget
const std::string coder = "sk-pg-coder-providers-key-0003";      // no restrictions (Claude Code on Bedrock)
const std::string openai_server = "sk-proj-ORG-OPENAI-SERVER-KEY";
const std::string gemini_server = "AIzaORG-GEMINI-SERVER-KEY";
const std::string generic_server = "generic-ORG-SERVER-TOKEN";
const std::string aws_id = "AKIDPASSGATETEST";
const std::string aws_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string aws_token = "IQoJb3JpZ2luX2VjEXAMPLE-session-token";

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(d[p[i] >> 4]);
    out.push_back(d[p[i] & 15]);
  }
  return out;
}
std::string sha256_hex(std::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return hex(md, sizeof md);
}
std::string hmac(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
       &n);
  return std::string(reinterpret_cast<char*>(md), n);
}

// The mock's own check of an AWS Signature V4 (written here from the
// algorithm, not with the gateway's code): the canonical request rebuilt from
// what arrived, the headers the signature names, and the body's hash. Returns
// "" when it holds, else what is wrong.
std::string check_sigv4(const recorded_request& r) {
  auto auth = r.get("authorization").value_or("");
  const std::string scheme = "AWS4-HMAC-SHA256 Credential=";
  if (!auth.starts_with(scheme)) return "no AWS4-HMAC-SHA256 authorization";
  auto field = [&](const std::string& name) {
    auto at = auth.find(name + "=");
    if (at == std::string::npos) return std::string();
    at += name.size() + 1;
    return auth.substr(at, auth.find(',', at) - at);
  };
  const auto credential = field("Credential"), signed_names = field("SignedHeaders"), signature = field("Signature");
  // AKID/20260101/us-east-1/bedrock/aws4_request
  std::vector<std::string> scope;
  for (std::size_t s = 0, e; s <= credential.size(); s = e + 1) {
    e = credential.find('/', s);
    if (e == std::string::npos) e = credential.size();
    scope.push_back(credential.substr(s, e - s));
  }
  if (scope.size() != 5 || scope[0] != aws_id || scope[2] != "us-east-1" || scope[3] != "bedrock")
    return "bad credential scope " + credential;
  const auto date = r.get("x-amz-date").value_or("");
  if (date.substr(0, 8) != scope[1]) return "x-amz-date does not match the scope";
  if (r.get("x-amz-content-sha256") != sha256_hex(r.body)) return "x-amz-content-sha256 is not the body's hash";
  std::string path = r.target.substr(0, r.target.find('?'));
  std::string uri;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      uri.push_back(char(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      uri += buf;
    }
  }
  std::string canonical = r.method + "\n" + uri + "\n\n";  // the tests send no query to Bedrock
  for (std::size_t s = 0, e; s <= signed_names.size(); s = e + 1) {
    e = signed_names.find(';', s);
    if (e == std::string::npos) e = signed_names.size();
    auto name = signed_names.substr(s, e - s);
    auto values = r.all(name);
    if (values.size() != 1) return "signed header " + name + " arrived " + std::to_string(values.size()) + " times";
    canonical += name + ":" + values[0] + "\n";
  }
  canonical += "\n" + signed_names + "\n" + sha256_hex(r.body);
  if (signed_names.find("host") == std::string::npos || signed_names.find("x-amz-date") == std::string::npos)
    return "host and x-amz-date must be signed";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope[1] + "/us-east-1/bedrock/aws4_request\n" +
                              sha256_hex(canonical);
  auto key = hmac(hmac(hmac(hmac("AWS4" + aws_secret, scope[1]), "us-east-1"), "bedrock"), "aws4_request");
  auto mac = hmac(key, to_sign);
  if (hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()) != signature) return "signature mismatch";
  return "";
}

std::string gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(in.size() + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// ---- the providers' answers ----

const std::string chat_json =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,)"
    R"("prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":0}}})";

std::vector<std::string> chat_stream(bool with_usage) {
  std::vector<std::string> e = {
      R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null})"
      "\n\n",
      R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hello"}}],"usage":null})"
      "\n\n"};
  if (with_usage)
    e.push_back(
        R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":50,"total_tokens":1050,"prompt_tokens_details":{"cached_tokens":0}}})"
        "\n\n");
  e.push_back("data: [DONE]\n\n");
  return e;
}

const std::vector<std::string> responses_stream = {
    "event: response.created\n"
    R"(data: {"type":"response.created","response":{"id":"resp_1","object":"response","model":"gpt-4.1-2025-04-14","usage":null}})"
    "\n\n",
    "event: response.output_text.delta\n"
    R"(data: {"type":"response.output_text.delta","delta":"Hi"})"
    "\n\n",
    "event: response.completed\n"
    R"(data: {"type":"response.completed","response":{"id":"resp_1","object":"response","model":"gpt-4.1-2025-04-14","error":null,"usage":{"input_tokens":500,"input_tokens_details":{"cached_tokens":100},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":540}}})"
    "\n\n"};

const std::string gemini_json =
    R"({"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP"}],)"
    R"("usageMetadata":{"promptTokenCount":1200,"candidatesTokenCount":80,"cachedContentTokenCount":200,)"
    R"("thoughtsTokenCount":20,"totalTokenCount":1300},"modelVersion":"gemini-2.5-flash","responseId":"r1"})";

const std::vector<std::string> gemini_stream = {
    R"(data: {"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"}}],"usageMetadata":{"promptTokenCount":10,"totalTokenCount":10},"modelVersion":"gemini-2.5-pro"})"
    "\r\n\r\n",
    R"(data: {"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":4,"totalTokenCount":14},"modelVersion":"gemini-2.5-pro"})"
    "\r\n\r\n"};

// What Bedrock streams for Claude: Anthropic's events, one per chunk.
std::vector<std::string> bedrock_frames() {
  return {
      bedrock_chunk(
          R"({"type":"message_start","message":{"id":"msg_bdrk_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"usage":{"input_tokens":120,"cache_creation_input_tokens":0,"cache_read_input_tokens":30,"output_tokens":1}}})"),
      bedrock_chunk(R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      bedrock_chunk(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})"),
      bedrock_chunk(R"({"type":"content_block_stop","index":0})"),
      bedrock_chunk(R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":25}})"),
      bedrock_chunk(
          R"({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":150,"outputTokenCount":25,"invocationLatency":900,"firstByteLatency":300}})"),
  };
}

const std::string bedrock_json =
    R"({"id":"msg_bdrk_2","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[{"type":"text","text":"Hi"}],)"
    R"("stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":5}})";

class providers : public ::testing::Test {
 protected:
  void SetUp() override {
    up.on_request([this](const recorded_request& r) {
      mock_response m;
      m.headers = {{"content-type", "application/json"}};
      const bool stream = r.body.find("\"stream\":true") != std::string::npos;
      if (r.target.starts_with("/model/")) {  // Bedrock
        if (auto wrong = check_sigv4(r); !wrong.empty()) {
          m.status = 403;
          m.headers.push_back({"x-amzn-errortype", "InvalidSignatureException"});
          m.body = R"({"message":")" + wrong + "\"}";
        } else if (r.target.ends_with("/converse")) {
          m.body = R"({"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn",)"
                   R"("usage":{"inputTokens":30,"outputTokens":6,"totalTokens":36},"metrics":{"latencyMs":120}})";
        } else if (r.target.find("invoke-with-response-stream") != std::string::npos) {
          m.how = mock_response::mode::sse;
          m.stream_type = "application/vnd.amazon.eventstream";
          m.headers = {{"x-amzn-requestid", "req-1"}};
          m.events = bedrock_frames();
          m.gated = true;
        } else {
          m.body = bedrock_json;
        }
      } else if (r.target.starts_with("/v1/chat/completions")) {
        if (stream) {
          m.how = mock_response::mode::sse;
          m.events = chat_stream(r.body.find("include_usage") != std::string::npos);
        } else if (r.target.find("gz") != std::string::npos) {
          m.headers.push_back({"content-encoding", "gzip"});
          m.body = gzip(chat_json);
        } else {
          m.body = chat_json;
        }
      } else if (r.target.starts_with("/v1/responses")) {
        m.how = mock_response::mode::sse;
        m.events = responses_stream;
      } else if (r.target.find(":streamGenerateContent") != std::string::npos) {
        m.how = mock_response::mode::sse;
        m.events = gemini_stream;
      } else if (r.target.find(":generateContent") != std::string::npos) {
        m.body = gemini_json;
        if (r.target.find("gz") != std::string::npos) {
          m.headers.push_back({"content-encoding", "gzip"});
          m.body = gzip(gemini_json);
        }
      } else {  // generic
        m.headers.push_back({"x-passgate-cost-usd", "0.0123"});
        m.body = R"({"ok":true})";
      }
      return m;
    });
    gw = std::make_unique<gateway_process>(gateway_options{
        "routes:\n"
        "  openai:\n    provider: openai\n    upstream: \"" + up.url() + "\"\n    server_key: \"os.environ/OPENAI_KEY\"\n"
        "  gemini:\n    provider: gemini\n    upstream: \"" + up.url() + "\"\n    server_key: \"os.environ/GEMINI_KEY\"\n"
        "  bedrock:\n    provider: bedrock\n    upstream: \"" + up.url() + "\"\n    region: us-east-1\n"
        "    aws_access_key_id: \"os.environ/AWS_ACCESS_KEY_ID\"\n"
        "    aws_secret_access_key: \"os.environ/AWS_SECRET_ACCESS_KEY\"\n"
        "    aws_session_token: \"os.environ/AWS_SESSION_TOKEN\"\n"
        "  tools:\n    provider: generic\n    upstream: \"" + up.url() + "\"\n    server_key: \"os.environ/GENERIC_KEY\"\n"
        "    credential_header: x-tools-token\n    credential_format: raw\n"
        "master_key: \"os.environ/PASSGATE_MASTER_KEY\"\n"
        "keys:\n"
        "  - { alias: alice, key: \"os.environ/ALICE_KEY\", allowed_routes: [openai] }\n"
        "  - { alias: payer, key: \"os.environ/PAYER_KEY\", max_budget: 0.0001 }\n"
        "  - { alias: coder, key: \"os.environ/CODER_KEY\" }\n",
        env});
  }

  std::vector<usage::spend_record> rows_after_stop() {
    EXPECT_EQ(gw->stop(), 0);
    auto st = store::open_sqlite(gw->dir() + "/passgate.db");
    return st->spend_logs({}, {0, 10000});
  }
  static const usage::spend_record& row(const std::vector<usage::spend_record>& rows, const response& r) {
    static const usage::spend_record none;
    auto id = r.get("x-passgate-request-id").value_or("?");
    for (const auto& x : rows)
      if (x.request_id == id) return x;
    ADD_FAILURE() << "no row for request " << id;
    return none;
  }
  // Nothing of the gateway's own reached the upstream, in any header or the URL.
  void expect_no_gateway_key_upstream(const recorded_request& got) {
    for (const auto& secret : {master, alice, payer, coder}) {
      EXPECT_EQ(got.target.find(secret), std::string::npos);
      for (const auto& [n, v] : got.headers) EXPECT_EQ(v.find(secret), std::string::npos) << n;
    }
    EXPECT_FALSE(got.has("x-passgate-key"));
  }
  void expect_log_has(const std::string& words) { EXPECT_TRUE(gw->wait_for_log(words)) << words << "\n" << gw->log(); }

  const std::map<std::string, std::string> env = {
      {"PASSGATE_MASTER_KEY", master}, {"ALICE_KEY", alice},          {"PAYER_KEY", payer},
      {"CODER_KEY", coder},            {"OPENAI_KEY", openai_server}, {"GEMINI_KEY", gemini_server},
      {"GENERIC_KEY", generic_server}, {"AWS_ACCESS_KEY_ID", aws_id}, {"AWS_SECRET_ACCESS_KEY", aws_secret},
      {"AWS_SESSION_TOKEN", aws_token}};
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

// ---- OpenAI ----

TEST_F(providers, openai_credential_rule) {
  const std::string path = "/openai/v1/chat/completions";
  say("openai: the caller's own Bearer sk-… goes on unchanged (byok); the gateway key is consumed");
  auto r = fetch(gw->port(), "POST", path, {{"x-passgate-key", master}, {"Authorization", "Bearer sk-own-user-key"},
                                            {"OpenAI-Organization", "org-1"}, {"OpenAI-Project", "proj_1"}}, "{}");
  ASSERT_EQ(r.status, 200);
  auto got = up.last_request();
  EXPECT_EQ(got.all("authorization"), std::vector<std::string>{"Bearer sk-own-user-key"});
  EXPECT_EQ(got.get("openai-organization"), "org-1");
  EXPECT_EQ(got.get("openai-project"), "proj_1");
  expect_no_gateway_key_upstream(got);
  expect_log_has("route=openai cred=byok key=master");

  say("openai: a gateway key as the SDK's api key (Authorization: Bearer) is consumed: the server key goes in its place");
  ASSERT_EQ(fetch(gw->port(), "POST", path, {{"Authorization", "Bearer " + alice}}, "{}").status, 200);
  got = up.last_request();
  EXPECT_EQ(got.all("authorization"), std::vector<std::string>{"Bearer " + openai_server});
  expect_no_gateway_key_upstream(got);
  expect_log_has("route=openai cred=server key=alice");

  say("openai: 'Bearer None' and another provider's x-api-key are never sent; the server key is");
  ASSERT_EQ(fetch(gw->port(), "POST", path,
                  {{"x-passgate-key", master}, {"Authorization", "Bearer None"}, {"x-api-key", "sk-ant-api03-other"}}, "{}")
                .status,
            200);
  got = up.last_request();
  EXPECT_EQ(got.all("authorization"), std::vector<std::string>{"Bearer " + openai_server});
  EXPECT_FALSE(got.has("x-api-key"));

  say("openai: a Claude subscription token is refused (403): it goes to Anthropic routes only");
  auto before = up.requests().size();
  r = fetch(gw->port(), "POST", path, {{"x-passgate-key", master}, {"Authorization", "Bearer sk-ant-oat01-sub-token"}}, "{}");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body.find("sk-ant-oat01"), std::string::npos);
  EXPECT_EQ(up.requests().size(), before);

  say("openai: the generic route's credential header is another provider's: a gateway key in it is consumed, "
      "any other value dropped");
  ASSERT_EQ(fetch(gw->port(), "POST", path, {{"x-tools-token", alice}}, "{}").status, 200);
  got = up.last_request();
  EXPECT_FALSE(got.has("x-tools-token"));
  expect_no_gateway_key_upstream(got);
  expect_log_has("route=openai cred=server key=alice");
  ASSERT_EQ(fetch(gw->port(), "POST", path, {{"x-passgate-key", master}, {"x-tools-token", "tools-secret"}}, "{}").status, 200);
  EXPECT_FALSE(up.last_request().has("x-tools-token"));

  say("openai: an unknown gateway key is 401 in OpenAI's error shape, nothing forwarded");
  before = up.requests().size();
  r = fetch(gw->port(), "POST", path, {{"Authorization", "Bearer sk-pg-not-a-real-key-000000"}}, "{}");
  EXPECT_EQ(r.status, 401);
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("error").at("code"), "invalid_api_key");
  EXPECT_TRUE(body.at("error").at("message").is_string());
  EXPECT_EQ(r.body.find("sk-pg-not-a-real-key"), std::string::npos);
  EXPECT_EQ(up.requests().size(), before);
}

TEST_F(providers, openai_usage_rows_and_budget) {
  const header_list key = {{"x-passgate-key", master}};
  auto plain = fetch(gw->port(), "POST", "/openai/v1/chat/completions", key, R"({"model":"gpt-4o-mini"})");
  auto zipped = fetch(gw->port(), "POST", "/openai/v1/chat/completions?gz=1", key, R"({"model":"gpt-4o-mini"})");
  auto streamed = fetch(gw->port(), "POST", "/openai/v1/chat/completions", key,
                        R"({"stream":true,"stream_options":{"include_usage":true}})");
  auto unknown = fetch(gw->port(), "POST", "/openai/v1/chat/completions", key, R"({"stream":true})");
  auto responses = fetch(gw->port(), "POST", "/openai/v1/responses", key, R"({"stream":true})");
  say("openai: the streamed answers reach the client byte for byte");
  std::string expected;
  for (const auto& e : chat_stream(true)) expected += e;
  EXPECT_EQ(streamed.body, expected);
  EXPECT_EQ(zipped.body, gzip(chat_json));

  say("openai budget: payer's first answer spends past $0.0001, the next is 429 in OpenAI's shape");
  const header_list payer_key = {{"Authorization", "Bearer " + payer}};
  auto spent = fetch(gw->port(), "POST", "/openai/v1/chat/completions", payer_key, "{}");
  ASSERT_EQ(spent.status, 200);
  // The answer is charged when its request ends, just before its access log
  // line: wait for that line, not for a time.
  ASSERT_TRUE(gw->wait_for_log("id=" + spent.get("x-passgate-request-id").value_or("?"))) << gw->log();
  auto refused = fetch(gw->port(), "POST", "/openai/v1/chat/completions", payer_key, "{}");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(boost::json::parse(refused.body).at("error").at("type"), "insufficient_quota");

  auto rows = rows_after_stop();
  say("chat JSON: input = prompt - cached, cache_read = cached, priced at gpt-4o-mini's rates");
  for (const auto* r : {&plain, &zipped}) {
    const auto& x = row(rows, *r);
    EXPECT_EQ(x.provider, "openai");
    EXPECT_EQ(x.route, "openai");
    EXPECT_EQ(x.model, "gpt-4o-mini-2024-07-18");
    EXPECT_EQ(x.input_tokens, 86);
    EXPECT_EQ(x.cache_read_input_tokens, 1920);
    EXPECT_EQ(x.output_tokens, 300);
    ASSERT_TRUE(x.cost_usd.has_value());
    EXPECT_NEAR(*x.cost_usd, (86 * 0.15 + 1920 * 0.075 + 300 * 0.6) / 1e6, 1e-12);
    EXPECT_EQ(x.credential, "server");
  }
  say("chat stream with include_usage: the last chunk's usage; without it: tokens and cost unknown, never $0");
  const auto& s = row(rows, streamed);
  EXPECT_EQ(s.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(s.input_tokens, 1000);
  EXPECT_EQ(s.output_tokens, 50);
  EXPECT_NEAR(s.cost_usd.value_or(-1), (1000 * 2.5 + 50 * 10) / 1e6, 1e-12);
  const auto& u = row(rows, unknown);
  EXPECT_EQ(u.model, "gpt-4o-2024-08-06");
  EXPECT_FALSE(u.input_tokens.has_value());
  EXPECT_FALSE(u.cost_usd.has_value());
  say("passgate spend logs --provider openai: the OpenAI rows only (5 plus payer's two), each naming its provider");
  auto cli = run_passgate({"spend", "logs", "--config", gw->dir() + "/passgate.yaml", "--provider", "openai", "--json"}, env);
  ASSERT_EQ(cli.status, 0) << cli.output;
  auto logs = boost::json::parse(cli.output).at("logs").as_array();
  EXPECT_EQ(logs.size(), 7u);
  for (const auto& l : logs) EXPECT_EQ(l.at("provider"), "openai");
  say("Responses API stream: response.completed's usage, cached input apart");
  const auto& p = row(rows, responses);
  EXPECT_EQ(p.model, "gpt-4.1-2025-04-14");
  EXPECT_EQ(p.input_tokens, 400);
  EXPECT_EQ(p.cache_read_input_tokens, 100);
  EXPECT_EQ(p.output_tokens, 40);
  EXPECT_NEAR(p.cost_usd.value_or(-1), (400 * 2 + 100 * 0.5 + 40 * 8) / 1e6, 1e-12);
}

// ---- Gemini ----

TEST_F(providers, gemini_credential_rule_and_query_key) {
  const std::string path = "/gemini/v1beta/models/gemini-2.5-flash:generateContent";
  say("gemini: the caller's own x-goog-api-key goes on (byok)");
  ASSERT_EQ(fetch(gw->port(), "POST", path, {{"x-passgate-key", master}, {"x-goog-api-key", "AIza-own-key"}}, "{}").status,
            200);
  EXPECT_EQ(up.last_request().all("x-goog-api-key"), std::vector<std::string>{"AIza-own-key"});
  expect_log_has("route=gemini cred=byok key=master");

  say("gemini: ?key=<own key> leaves the URL and goes up as x-goog-api-key; other parameters stay");
  ASSERT_EQ(fetch(gw->port(), "POST", path + "?alt=json&key=AIza-url-key&x=1", {{"x-passgate-key", master}}, "{}").status,
            200);
  auto got = up.last_request();
  EXPECT_EQ(got.target, "/v1beta/models/gemini-2.5-flash:generateContent?alt=json&x=1");
  EXPECT_EQ(got.all("x-goog-api-key"), std::vector<std::string>{"AIza-url-key"});

  say("gemini: ?key=<gateway key> is consumed; the server key goes in x-goog-api-key");
  ASSERT_EQ(fetch(gw->port(), "POST", path + "?key=" + master, {}, "{}").status, 200);
  got = up.last_request();
  EXPECT_EQ(got.target, "/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(got.all("x-goog-api-key"), std::vector<std::string>{gemini_server});
  expect_no_gateway_key_upstream(got);
  expect_log_has("route=gemini cred=server key=master");

  say("gemini: a ?key= that decodes to a line break, or two different ?key= values, is 400 and never forwarded");
  const auto before = up.requests().size();
  EXPECT_EQ(fetch(gw->port(), "POST", path + "?key=AIza%0d%0ax-evil:%201", {{"x-passgate-key", master}}, "{}").status, 400);
  EXPECT_EQ(fetch(gw->port(), "POST", path + "?key=AIza-a&key=AIza-b", {{"x-passgate-key", master}}, "{}").status, 400);
  EXPECT_EQ(up.requests().size(), before);

  say("gemini: a key allowed only on openai is 403 here, in Gemini's error shape");
  auto r = fetch(gw->port(), "POST", path, {{"x-goog-api-key", alice}}, "{}");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(boost::json::parse(r.body).at("error").at("status"), "PERMISSION_DENIED");

  say("no key from a URL is logged");
  gw->stop();
  EXPECT_EQ(gw->log().find("AIza-url-key"), std::string::npos);
  EXPECT_EQ(gw->log().find(master), std::string::npos);
}

TEST_F(providers, gemini_usage_rows) {
  const header_list key = {{"x-passgate-key", master}};
  auto plain = fetch(gw->port(), "POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent", key, "{}");
  auto zipped = fetch(gw->port(), "POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent?gz=1", key, "{}");
  say("gemini: a gzip-compressed answer reaches the client compressed, byte for byte");
  EXPECT_EQ(zipped.body, gzip(gemini_json));
  EXPECT_EQ(zipped.get("content-encoding"), "gzip");
  auto streamed =
      fetch(gw->port(), "POST", "/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", key, "{}");
  std::string expected;
  for (const auto& e : gemini_stream) expected += e;
  say("gemini: the SSE answer reaches the client byte for byte");
  EXPECT_EQ(streamed.body, expected);
  auto rows = rows_after_stop();
  say("gemini JSON: input = prompt - cached, output = candidates + thoughts, priced as gemini-2.5-flash "
      "(the gzip-compressed answer alike: decoded for the tap alone)");
  for (const auto* answer : {&plain, &zipped}) {
    const auto& x = row(rows, *answer);
    EXPECT_EQ(x.provider, "gemini");
    EXPECT_EQ(x.model, "gemini-2.5-flash");
    EXPECT_EQ(x.input_tokens, 1000);
    EXPECT_EQ(x.cache_read_input_tokens, 200);
    EXPECT_EQ(x.output_tokens, 100);
    EXPECT_NEAR(x.cost_usd.value_or(-1), (1000 * 0.3 + 200 * 0.075 + 100 * 2.5) / 1e6, 1e-12);
    EXPECT_EQ(x.path, "/v1beta/models/gemini-2.5-flash:generateContent");
  }
  say("gemini stream: the last chunk's cumulative usageMetadata");
  const auto& s = row(rows, streamed);
  EXPECT_EQ(s.model, "gemini-2.5-pro");
  EXPECT_EQ(s.input_tokens, 10);
  EXPECT_EQ(s.output_tokens, 4);
  EXPECT_NEAR(s.cost_usd.value_or(-1), (10 * 1.25 + 4 * 10) / 1e6, 1e-12);
}

// ---- Bedrock ----

TEST_F(providers, bedrock_requests_are_signed_and_streams_relayed_as_they_come) {
  say("bedrock: Claude Code's gateway key (ANTHROPIC_AUTH_TOKEN → Authorization: Bearer) is consumed; the request "
      "goes up signed with the route's AWS credentials, the body byte for byte");
  const std::string body = R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"hé"}]})";
  client c(gw->port());
  c.send(make_request("POST", "/bedrock/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream",
                      {{"Authorization", "Bearer " + coder}, {"content-type", "application/json"},
                       {"x-amz-date", "20000101T000000Z"}},
                      body));
  auto head = c.read_head();
  ASSERT_EQ(head.status, 200) << head.body;
  EXPECT_EQ(head.get("content-type"), "application/vnd.amazon.eventstream");
  auto got = up.last_request();
  EXPECT_EQ(got.body, body);
  EXPECT_EQ(got.get("x-amz-security-token"), aws_token);
  EXPECT_EQ(got.all("x-amz-date").size(), 1u);  // the caller's own was dropped
  EXPECT_EQ(check_sigv4(got), "");
  EXPECT_TRUE(got.get("authorization")->find("x-amz-security-token") != std::string::npos);
  expect_no_gateway_key_upstream(got);

  say("bedrock: the event stream is relayed frame by frame (frame N+1 is held until the client has frame N)");
  const auto frames = bedrock_frames();
  std::string expected;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    expected += frames[i];
    EXPECT_EQ(c.read_bytes(expected.size()), expected) << "frame " << i;
    if (i + 1 < frames.size()) up.release(i + 1);
  }
  auto rest = c.read_response();
  EXPECT_EQ(rest.body, expected);
  c.close();

  say("bedrock invoke (JSON): relayed, and a request the gateway refuses has Bedrock's error shape");
  auto plain = fetch(gw->port(), "POST", "/bedrock/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke",
                     {{"x-passgate-key", master}}, R"({"max_tokens":5})");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, bedrock_json);
  EXPECT_EQ(check_sigv4(up.last_request()), "");
  say("bedrock: the Converse API is relayed and signed too; its camelCase usage is read, the model from the path");
  auto converse = fetch(gw->port(), "POST", "/bedrock/model/anthropic.claude-haiku-4-5-20251001-v1:0/converse",
                        {{"x-passgate-key", master}}, R"({"messages":[]})");
  EXPECT_EQ(converse.status, 200);
  EXPECT_EQ(check_sigv4(up.last_request()), "");
  say("bedrock: a model id that is an inference-profile ARN ('/' encoded, as the SDK sends it) is relayed and signed");
  auto arn = fetch(gw->port(), "POST",
                   "/bedrock/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fab12/invoke",
                   {{"x-passgate-key", master}}, R"({"max_tokens":5})");
  EXPECT_EQ(arn.status, 200) << arn.body;
  EXPECT_EQ(check_sigv4(up.last_request()), "");
  auto refused = fetch(gw->port(), "POST", "/bedrock/model/x/invoke", {{"Authorization", "Bearer sk-pg-unknown-0000000"}}, "{}");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.get("x-amzn-errortype"), "AccessDeniedException");
  EXPECT_TRUE(boost::json::parse(refused.body).as_object().at("message").is_string());

  auto rows = rows_after_stop();
  say("bedrock rows: tokens from the Anthropic events inside the frames, label server, priced by the Anthropic id");
  const usage::spend_record* streamed = nullptr;
  for (const auto& x : rows)
    if (x.path.find("invoke-with-response-stream") != std::string::npos) streamed = &x;
  ASSERT_NE(streamed, nullptr);
  EXPECT_EQ(streamed->provider, "bedrock");
  EXPECT_EQ(streamed->credential, "server");
  EXPECT_EQ(streamed->key_alias, "coder");
  EXPECT_EQ(streamed->model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(streamed->input_tokens, 120);
  EXPECT_EQ(streamed->cache_read_input_tokens, 30);
  EXPECT_EQ(streamed->output_tokens, 25);
  EXPECT_NEAR(streamed->cost_usd.value_or(-1), (120 * 3 + 30 * 0.3 + 25 * 15) / 1e6, 1e-12);
  EXPECT_EQ(streamed->outcome, "ok");
  const auto& cv = row(rows, converse);
  EXPECT_EQ(cv.model, "claude-haiku-4-5-20251001-v1:0");
  EXPECT_EQ(cv.input_tokens, 30);
  EXPECT_EQ(cv.output_tokens, 6);
  EXPECT_NEAR(cv.cost_usd.value_or(-1), (30 * 1 + 6 * 5) / 1e6, 1e-12);
  const auto& p = row(rows, plain);
  EXPECT_EQ(p.model, "claude-haiku-4-5-20251001");
  EXPECT_NEAR(p.cost_usd.value_or(-1), (10 * 1 + 5 * 5) / 1e6, 1e-12);
  say("the AWS secret and session token are in no log line");
  EXPECT_EQ(gw->log().find(aws_secret), std::string::npos);
  EXPECT_EQ(gw->log().find(aws_token), std::string::npos);
}

TEST_F(providers, bedrock_body_sent_chunked_is_signed_whole) {
  say("bedrock: a chunked request body is read whole, signed and sent with its length");
  client c(gw->port());
  c.send("POST /bedrock/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke HTTP/1.1\r\nhost: x\r\n"
         "x-passgate-key: " + master + "\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n");
  c.send("3\r\n12}\r\n0\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200) << r.body;
  auto got = up.last_request();
  EXPECT_EQ(got.body, "{\"a\":12}");
  EXPECT_EQ(got.get("content-length"), "8");
  EXPECT_FALSE(got.has("transfer-encoding"));
  EXPECT_EQ(check_sigv4(got), "");
}

// ---- generic ----

TEST_F(providers, generic_route_header_format_and_reported_cost) {
  say("generic: the server key goes in the route's header, raw; the caller's own value in it is forwarded instead");
  auto r = fetch(gw->port(), "GET", "/tools/v2/search?q=1", {{"x-passgate-key", master}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(up.last_request().all("x-tools-token"), std::vector<std::string>{generic_server});
  EXPECT_FALSE(up.last_request().has("authorization"));
  ASSERT_EQ(fetch(gw->port(), "GET", "/tools/v2/search", {{"x-passgate-key", master}, {"x-tools-token", "mine"}}).status,
            200);
  EXPECT_EQ(up.last_request().all("x-tools-token"), std::vector<std::string>{"mine"});
  expect_log_has("route=tools cred=byok key=master");
  auto rows = rows_after_stop();
  say("generic: the answer's x-passgate-cost-usd is the row's cost; tokens unknown");
  const auto& x = row(rows, r);
  EXPECT_EQ(x.provider, "generic");
  EXPECT_NEAR(x.cost_usd.value_or(-1), 0.0123, 1e-12);
  EXPECT_FALSE(x.input_tokens.has_value());
}

}  // namespace
}  // namespace passgate::test
