// Usage and spend end to end (issue 5): the rows the real binary writes for
// streaming, plain, abandoned and failed requests, and that SIGTERM loses none.
#include <signal.h>

#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include "store/store.hpp"
#include "support/e2e.hpp"

namespace passgate::test {
namespace {

const std::string master = "sk-master-usage-0123456789";

std::vector<std::string> sse_events(const std::string& model) {
  return {
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
      "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"stop_reason\":null,"
      "\"usage\":{\"input_tokens\":100,\"cache_creation_input_tokens\":50,\"cache_read_input_tokens\":25,"
      "\"output_tokens\":1}}}\n\n",
      "event: ping\ndata: {\"type\": \"ping\"}\n\n",
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"text\",\"text\":\"\"}}\n\n",
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":30}}\n\n",
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"};
}

std::string json_answer(const std::string& model) {
  return "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model +
         "\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],\"usage\":{\"input_tokens\":10,\"output_tokens\":5,"
         "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}";
}

class usage_rows : public ::testing::Test {
 protected:
  void SetUp() override {
    up.on_request([](const recorded_request& r) {
      mock_response m;
      if (r.target.find("count_tokens") != std::string::npos) {
        m.headers = {{"content-type", "application/json"}};
        m.body = R"({"input_tokens":42})";
      } else if (r.target.find("fail") != std::string::npos) {
        m.status = 529;
        m.headers = {{"content-type", "application/json"}};
        m.body = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";
      } else if (r.body.find("\"stream\":true") != std::string::npos) {
        m.how = mock_response::mode::sse;
        m.events = sse_events(r.target.find("unknown") != std::string::npos ? "claude-unknown-9" : "claude-sonnet-4-5-20250929");
        m.gated = r.target.find("gated") != std::string::npos;
      } else {
        m.headers = {{"content-type", "application/json"}};
        m.body = json_answer("claude-haiku-4-5-20251001");
      }
      return m;
    });
    gw = std::make_unique<gateway_process>(gateway_options{
        route_config(up, "    server_key: \"sk-ant-org\"\n",
                     "master_key: \"" + master + "\"\nkeys:\n  - { alias: bob, key: \"bob-gateway-key-1234567\" }\n")});
  }
  // Stops the gateway (draining the writer) and reads every row.
  std::vector<usage::spend_record> rows_after_stop() {
    EXPECT_EQ(gw->stop(), 0);
    auto st = store::open_sqlite(gw->dir() + "/passgate.db");
    return st->spend_logs({}, {0, 10000});
  }
  static const usage::spend_record* find(const std::vector<usage::spend_record>& rows, const std::string& id) {
    for (const auto& r : rows)
      if (r.request_id == id) return &r;
    return nullptr;
  }
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(usage_rows, streaming_and_plain_requests_are_priced) {
  auto s = fetch(gw->port(), "POST", "/anthropic/v1/messages?beta=true", {{"x-passgate-key", "bob-gateway-key-1234567"}},
                 R"({"stream":true})");
  auto p = fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"x-api-key", "sk-ant-api-own"}}, "{}");
  ASSERT_EQ(s.status, 200);
  ASSERT_EQ(p.status, 200);
  auto rows = rows_after_stop();
  ASSERT_EQ(rows.size(), 2u);

  say("the streamed answer's row: model, tokens from message_start and the last message_delta, cost, label, key");
  auto* r = find(rows, *s.get("x-passgate-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(r->input_tokens, 100);
  EXPECT_EQ(r->output_tokens, 30);
  EXPECT_EQ(r->cache_creation_input_tokens, 50);
  EXPECT_EQ(r->cache_read_input_tokens, 25);
  // Sonnet 4.5: $3 in, $15 out, $3.75 cache write (5 min), $0.30 cache read, per million.
  ASSERT_TRUE(r->cost_usd.has_value());
  EXPECT_NEAR(*r->cost_usd, (100 * 3 + 30 * 15 + 50 * 3.75 + 25 * 0.30) / 1e6, 1e-12);
  EXPECT_EQ(r->credential, "server");
  EXPECT_EQ(r->key_alias, "bob");
  EXPECT_EQ(r->route, "anthropic");
  EXPECT_EQ(r->path, "/v1/messages");
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->outcome, "ok");
  EXPECT_TRUE(r->ttfb_ms.has_value());

  say("the plain JSON answer's row: usage at the top level, label byok, anonymous caller");
  auto* q = find(rows, *p.get("x-passgate-request-id"));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->model, "claude-haiku-4-5-20251001");
  EXPECT_EQ(q->input_tokens, 10);
  EXPECT_EQ(q->output_tokens, 5);
  ASSERT_TRUE(q->cost_usd.has_value());
  EXPECT_NEAR(*q->cost_usd, (10 * 1 + 5 * 5) / 1e6, 1e-12);
  EXPECT_EQ(q->credential, "byok");
  EXPECT_EQ(q->key_id, "");
}

TEST_F(usage_rows, rows_say_who_made_the_request_and_the_body_goes_through_unchanged) {
  const std::string account = "4b1e0f9c-2d3a-4e5f-8a7b-6c5d4e3f2a1b";
  const std::string session = "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b";
  const std::string body = R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}],)"
                           R"("metadata":{"user_id":"user_3f1c9a0b7d2e4f6a8b0c1d2e3f4a5b6c_account_)" +
                           account + "_session_" + session + R"("},"max_tokens":8})";
  say("a Claude Code request, its body chunked in three pieces that split the metadata: the row has the account "
      "as end user, the header's session, the agent and the client token; the upstream got the body byte for byte");
  client c(gw->port());
  std::string head = "POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     "x-passgate-key: bob-gateway-key-1234567\r\nuser-agent: claude-cli/2.1.3 (external, cli)\r\n"
                     "x-claude-code-session-id: header-session-1\r\nx-claude-code-agent-id: agent-42\r\n"
                     "transfer-encoding: chunked\r\n\r\n";
  c.send(head);
  const std::size_t cut1 = body.find("account_") + 3, cut2 = body.find("_session_") + 5;
  for (auto piece : {body.substr(0, cut1), body.substr(cut1, cut2 - cut1), body.substr(cut2)}) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    c.send(std::string(size) + piece + "\r\n");
  }
  c.send("0\r\n\r\n");
  auto cc = c.read_response();
  ASSERT_EQ(cc.status, 200);
  EXPECT_EQ(up.last_request().body, body);

  say("the SDK with a JSON-form user_id and no session header: the session comes from the user_id");
  const std::string json_id = R"({\"device_id\":\"dev-9\",\"account_uuid\":\"\",\"session_id\":\"s-json\"})";
  auto sdk = fetch(gw->port(), "POST", "/anthropic/v1/messages",
                   {{"content-type", "application/json"}, {"user-agent", "Anthropic/JS 0.60.0"}},
                   R"({"model":"m","metadata":{"user_id":")" + json_id + R"("}})");
  ASSERT_EQ(sdk.status, 200);
  say("a body that is not JSON, or is compressed, is not read: no end user");
  auto plain = fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"content-type", "text/plain"}},
                     R"({"metadata":{"user_id":"would-be"}})");
  ASSERT_EQ(plain.status, 200);
  auto rows = rows_after_stop();
  auto* r = find(rows, *cc.get("x-passgate-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->end_user, account);
  EXPECT_EQ(r->session_id, "header-session-1");
  EXPECT_EQ(r->agent_id, "agent-42");
  EXPECT_EQ(r->client, "claude-cli/2.1.3");
  auto* j = find(rows, *sdk.get("x-passgate-request-id"));
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->end_user, "dev-9");
  EXPECT_EQ(j->session_id, "s-json");
  EXPECT_EQ(j->client, "Anthropic/JS 0.60.0");
  auto* t = find(rows, *plain.get("x-passgate-request-id"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->end_user, "");
}

TEST_F(usage_rows, failures_unknown_models_and_count_tokens_have_no_cost) {
  auto f = fetch(gw->port(), "POST", "/anthropic/v1/messages?fail", {}, "{}");
  auto u = fetch(gw->port(), "POST", "/anthropic/v1/messages?unknown", {}, R"({"stream":true})");
  auto c = fetch(gw->port(), "POST", "/anthropic/v1/messages/count_tokens", {}, "{}");
  auto rows = rows_after_stop();
  ASSERT_EQ(rows.size(), 3u);
  say("a provider 529: row with outcome upstream_error and no cost");
  auto* rf = find(rows, *f.get("x-passgate-request-id"));
  ASSERT_NE(rf, nullptr);
  EXPECT_EQ(rf->status, 529);
  EXPECT_EQ(rf->outcome, "upstream_error");
  EXPECT_FALSE(rf->cost_usd.has_value());
  say("an unknown model: tokens recorded, cost null (never 0)");
  auto* ru = find(rows, *u.get("x-passgate-request-id"));
  ASSERT_NE(ru, nullptr);
  EXPECT_EQ(ru->model, "claude-unknown-9");
  EXPECT_EQ(ru->output_tokens, 30);
  EXPECT_FALSE(ru->cost_usd.has_value());
  say("count_tokens: input tokens recorded, no cost");
  auto* rc = find(rows, *c.get("x-passgate-request-id"));
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->input_tokens, 42);
  EXPECT_FALSE(rc->cost_usd.has_value());
  EXPECT_EQ(rc->path, "/v1/messages/count_tokens");
}

TEST_F(usage_rows, abandoned_stream_gets_a_client_closed_row) {
  std::string id;
  {
    client c(gw->port());
    c.send(make_request("POST", "/anthropic/v1/messages?gated", {}, R"({"stream":true})"));
    auto head = c.read_head();
    id = *head.get("x-passgate-request-id");
    c.read_events(1);
    say("the client leaves after message_start");
  }
  ASSERT_TRUE(up.wait_for_cancelled(1));
  ASSERT_TRUE(gw->wait_for_log(id));
  auto rows = rows_after_stop();
  auto* r = find(rows, id);
  ASSERT_NE(r, nullptr);
  say("its row says client_closed and keeps what was seen: model, tokens and their cost so far");
  EXPECT_EQ(r->outcome, "client_closed");
  EXPECT_EQ(r->model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(r->input_tokens, 100);
  EXPECT_EQ(r->output_tokens, 1);  // message_start's count: the last message_delta never came
  ASSERT_TRUE(r->cost_usd.has_value());
  EXPECT_NEAR(*r->cost_usd, (100 * 3 + 1 * 15 + 50 * 3.75 + 25 * 0.30) / 1e6, 1e-12);
}

TEST_F(usage_rows, sigterm_during_load_loses_no_row) {
  std::mutex mu;
  std::set<std::string> answered;
  std::atomic<bool> stop{false};
  std::atomic<int> count{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      try {
        client c(gw->port());
        while (!stop) {
          c.send(make_request("POST", "/anthropic/v1/messages", {}, "{}"));
          auto r = c.read_response(30);
          if (r.status != 200) break;
          std::lock_guard lock(mu);
          answered.insert(*r.get("x-passgate-request-id"));
          ++count;
          if (r.get("connection") == "close") break;
        }
      } catch (const std::exception&) {
        // the gateway stopped taking requests on this connection
      }
    });
  // Bounded: 30 s at most, far more than 200 local requests take.
  for (int i = 0; i < 30000 && count < 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GE(count.load(), 200) << "the clients stopped getting answers before the signal";
  say("SIGTERM while 4 clients keep sending");
  gw->send_signal(SIGTERM);
  stop = true;
  for (auto& t : clients) t.join();
  auto rows = rows_after_stop();
  say("every answered request (" + std::to_string(answered.size()) + ") has its row");
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(r.request_id);
  for (const auto& id : answered) EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_GE(rows.size(), answered.size());
}

}  // namespace
}  // namespace passgate::test
