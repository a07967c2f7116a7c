// Governance end to end (issue 10): budgets, spend caps and rate limits enforced
// per key through the real binary. Refusals are 429s in Anthropic's shape and
// never reach the upstream; limits apply to config keys and generated keys, and
// a /key/update is in force on the next request.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <thread>

#include "store/store.hpp"
#include "support/e2e.hpp"

namespace passgate::test {
namespace {

namespace json = boost::json;

// 10 input + 5 output tokens of Haiku 4.5 ($1 / $5 per million): $0.000035.
const std::string haiku_answer =
    R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[],)"
    R"("usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}})";

mock_upstream::handler json_answers() {
  return [](const recorded_request& r) {
    mock_response m;
    m.headers = {{"content-type", "application/json"}};
    if (r.target.find("count_tokens") != std::string::npos) m.body = R"({"input_tokens":10})";
    else if (r.target.find("fail") != std::string::npos) {
      m.status = 500;
      m.body = R"({"type":"error","error":{"type":"api_error","message":"boom"}})";
    } else if (r.target.find("stream") != std::string::npos) {
      m.how = mock_response::mode::sse;
      m.gated = true;
      m.events = {"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-haiku-4-5\","
                  "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n",
                  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"};
    } else {
      m.body = haiku_answer;
    }
    return m;
  };
}

std::string config_key(const std::string& alias, const std::string& key, const std::string& limits) {
  return "  - { alias: " + alias + ", key: \"" + key + "\", " + limits + " }\n";
}

void expect_refusal(const response& r, const std::string& type, const std::string& words) {
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_NE(r.body.find(R"({"type":"error","error":{"type":")" + type + "\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
}

std::int64_t header_int(const response& r, const std::string& name) {
  auto v = r.get(name);
  return v ? std::stoll(*v) : -1;
}

std::string metric_line(std::uint16_t port, const std::string& prefix) {
  auto m = fetch(port, "GET", "/metrics").body;
  auto at = m.find("\n" + prefix);  // a sample line, not its # HELP
  if (at == std::string::npos) return "";
  ++at;
  return m.substr(at, m.find('\n', at) - at);
}

class limits_e2e : public ::testing::Test {
 protected:
  void start(const std::string& keys, const std::string& extra = "", const std::string& store_path = "") {
    up.on_request(json_answers());
    std::string y = route_config(up, "    server_key: \"sk-ant-org-server\"\n",
                                 "master_key: \"sk-master-limits-0000\"\n" + (keys.empty() ? "" : "keys:\n" + keys) + extra);
    if (!store_path.empty()) y += "store: { sqlite: \"" + store_path + "\" }\n";
    gw = std::make_unique<gateway_process>(gateway_options{y});
  }
  response send(client& c, const std::string& path, const header_list& h) {
    c.send(make_request("POST", "/anthropic" + path, h, R"({"model":"claude-haiku-4-5"})"));
    return c.read_response();
  }
  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(limits_e2e, budget_crossed_exactly_then_refused_without_reaching_the_upstream) {
  start(config_key("alice", "sk-pg-alice-000000000001", "max_budget: 0.0001, budget_duration: 1d"));
  client c(gw->port());
  header_list alice{{"x-passgate-key", "sk-pg-alice-000000000001"}};
  say("three answers of $0.000035 each: the third crosses $0.0001, all three answered");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(send(c, "/v1/messages", alice).status, 200);
  say("the fourth: 429 billing_error, x-should-retry: false, retry-after = seconds to UTC midnight");
  auto r = send(c, "/v1/messages", alice);
  expect_refusal(r, "billing_error", "budget of $0.000100 for key 'alice' spent ($0.000105 this period; resets ");
  EXPECT_NE(r.body.find("T00:00:00Z"), std::string::npos);
  EXPECT_EQ(r.get("x-should-retry"), "false");
  auto retry = header_int(r, "retry-after");
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 86400);
  EXPECT_EQ(up.requests().size(), 3u) << "a refused request reached the upstream";
  say("count_tokens costs nothing: never refused for a budget");
  client c2(gw->port());
  EXPECT_EQ(send(c2, "/v1/messages/count_tokens", alice).status, 200);
  say("the refusal is counted in /metrics and has a row with outcome refused");
  EXPECT_EQ(metric_line(gw->port(), "passgate_limit_refusals_total{reason=\"budget\"}"),
            "passgate_limit_refusals_total{reason=\"budget\"} 1");
  ASSERT_TRUE(gw->wait_for_log("outcome=refused"));
  EXPECT_EQ(gw->stop(), 0);
  auto rows = store::open_sqlite(gw->dir() + "/passgate.db")->spend_logs({}, {0, 100});
  int refused = 0;
  for (const auto& row : rows)
    if (row.outcome == "refused") {
      ++refused;
      EXPECT_EQ(row.status, 429);
      EXPECT_FALSE(row.cost_usd.has_value());
    }
  EXPECT_EQ(refused, 1);
}

TEST_F(limits_e2e, budget_resets_at_its_boundary) {
  start(config_key("short", "sk-pg-short-000000000001", "max_budget: 0.00003, budget_duration: 2s"));
  header_list k{{"x-passgate-key", "sk-pg-short-000000000001"}};
  say("a 2 s budget spent by one answer: the next in the same period is refused with retry-after at most 2 s");
  // An answer that lands just past a boundary spends the new period instead: the
  // next request is then the one refused (bounded: a refusal within 10 tries).
  response refused;
  for (int i = 0; i < 10 && refused.status != 429; ++i) refused = fetch(gw->port(), "POST", "/anthropic/v1/messages", k, "{}");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_GE(header_int(refused, "retry-after"), 1);
  EXPECT_LE(header_int(refused, "retry-after"), 2);
  say("once the period rolls over, requests pass again (bounded wait: 50 tries of 200 ms)");
  bool passed = false;
  for (int i = 0; i < 50 && !passed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    passed = fetch(gw->port(), "POST", "/anthropic/v1/messages", k, "{}").status == 200;
  }
  EXPECT_TRUE(passed);
}

TEST_F(limits_e2e, rpm_and_tpm_on_config_keys_with_litellm_headers) {
  start(config_key("rpm", "sk-pg-rpm-00000000000001", "rpm_limit: 2") +
        config_key("tpm", "sk-pg-tpm-00000000000001", "tpm_limit: 20"));
  header_list rpm{{"x-passgate-key", "sk-pg-rpm-00000000000001"}};
  say("rpm_limit 2: two pass with x-ratelimit-remaining-requests 1 then 0; the third: 429 rate_limit_error");
  client c(gw->port());
  auto a = send(c, "/v1/messages", rpm);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(header_int(a, "x-ratelimit-limit-requests"), 2);
  EXPECT_EQ(header_int(a, "x-ratelimit-remaining-requests"), 1);
  auto b = send(c, "/v1/messages", rpm);
  EXPECT_EQ(header_int(b, "x-ratelimit-remaining-requests"), 0);
  auto r = send(c, "/v1/messages", rpm);
  expect_refusal(r, "rate_limit_error", "rate limit of 2 requests per minute for key 'rpm' reached");
  auto retry = header_int(r, "retry-after");
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  EXPECT_FALSE(r.get("x-should-retry").has_value());
  EXPECT_EQ(header_int(r, "x-ratelimit-remaining-requests"), 0);

  header_list tpm{{"x-passgate-key", "sk-pg-tpm-00000000000001"}};
  say("tpm_limit 20, 15 tokens an answer: two pass (remaining tokens 20, then 5), the third: 429 tokens per minute");
  client d(gw->port());
  auto t1 = send(d, "/v1/messages", tpm);
  EXPECT_EQ(header_int(t1, "x-ratelimit-limit-tokens"), 20);
  EXPECT_EQ(header_int(t1, "x-ratelimit-remaining-tokens"), 20);
  auto t2 = send(d, "/v1/messages", tpm);
  EXPECT_EQ(header_int(t2, "x-ratelimit-remaining-tokens"), 5);
  expect_refusal(send(d, "/v1/messages", tpm), "rate_limit_error", "rate limit of 20 tokens per minute");
  EXPECT_EQ(up.requests().size(), 4u);
  EXPECT_EQ(metric_line(gw->port(), "passgate_limit_refusals_total{reason=\"rpm\"}"),
            "passgate_limit_refusals_total{reason=\"rpm\"} 1");
  EXPECT_EQ(metric_line(gw->port(), "passgate_limit_refusals_total{reason=\"tpm\"}"),
            "passgate_limit_refusals_total{reason=\"tpm\"} 1");
}

TEST_F(limits_e2e, parallel_slots_are_released_on_every_ending) {
  start(config_key("one", "sk-pg-one-00000000000001", "max_parallel_requests: 1"));
  header_list one{{"x-passgate-key", "sk-pg-one-00000000000001"}};
  say("a stream holds the only slot: a second request is refused (parallel, retry-after 1)");
  {
    client s(gw->port());
    s.send(make_request("POST", "/anthropic/v1/stream", one, "{}"));
    s.read_head();
    s.read_events(1);
    auto r = fetch(gw->port(), "POST", "/anthropic/v1/messages", one, "{}");
    expect_refusal(r, "rate_limit_error", "already has 1 request(s) in flight");
    EXPECT_EQ(header_int(r, "retry-after"), 1);
    say("the client aborts the stream");
  }
  ASSERT_TRUE(up.wait_for_cancelled(1));
  ASSERT_TRUE(gw->wait_for_log("outcome=client_closed"));
  say("the slot came back: the next request passes; an upstream error releases it too");
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/fail", one, "{}").status, 500);
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", one, "{}").status, 200);
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", one, "{}").status, 200);
}

TEST_F(limits_e2e, budget_credentials_cap_only_the_organisations_key) {
  start(config_key("team", "sk-pg-team-0000000000001",
                   "max_budget: 0.00003, budget_duration: 1mo, budget_credentials: [server]"));
  header_list team{{"x-passgate-key", "sk-pg-team-0000000000001"}};
  say("with budget_credentials [server]: the server key's spend crosses the budget and is then refused");
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", team, "{}").status, 200);
  expect_refusal(fetch(gw->port(), "POST", "/anthropic/v1/messages", team, "{}"), "billing_error", "key 'team'");
  say("the same key with the caller's own API key still works");
  auto own = team;
  own.push_back({"x-api-key", "sk-ant-api03-own"});
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", own, "{}").status, 200);
  EXPECT_EQ(up.last_request().get("x-api-key"), "sk-ant-api03-own");
}

TEST_F(limits_e2e, generated_key_limits_change_live_with_key_update) {
  start("");
  header_list master{{"authorization", "Bearer sk-master-limits-0000"}};
  auto gen = fetch(gw->port(), "POST", "/key/generate", master, R"({"key_alias":"gen","rpm_limit":1})");
  ASSERT_EQ(gen.status, 200) << gen.body;
  auto v = json::parse(gen.body);
  std::string key(v.at("key").as_string()), id(v.at("key_id").as_string());
  header_list k{{"x-passgate-key", key}};
  say("a generated key with rpm_limit 1: one passes, the second is refused");
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", k, "{}").status, 200);
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", k, "{}").status, 429);
  say("/key/update rpm_limit 10: the very next request passes");
  auto upd = fetch(gw->port(), "POST", "/key/update", master, R"({"key_id":")" + id + R"(","rpm_limit":10})");
  ASSERT_EQ(upd.status, 200) << upd.body;
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", k, "{}").status, 200);
  say("/key/update max_budget 0.00001 with a 1d period: the next is refused for its budget; /key/info shows spend and reset");
  upd = fetch(gw->port(), "POST", "/key/update", master,
              R"({"key_id":")" + id + R"(","max_budget":0.00001,"budget_duration":"1d"})");
  ASSERT_EQ(upd.status, 200) << upd.body;
  expect_refusal(fetch(gw->port(), "POST", "/anthropic/v1/messages", k, "{}"), "billing_error", "key 'gen'");
  ASSERT_TRUE(gw->wait_for_log("outcome=refused"));
  // The spend rows reach the store through the writer: wait for them causally.
  bool shown = false;
  for (int i = 0; i < 100 && !shown; ++i) {
    auto info = fetch(gw->port(), "GET", "/key/info?key_id=" + id, master);
    auto j = json::parse(info.body).at("info");
    shown = j.at("spend").as_double() > 0.00006 && j.at("budget_reset_at").is_string();
    if (shown) {
      EXPECT_NE(std::string(j.at("budget_reset_at").as_string()).find("T00:00:00Z"), std::string::npos);
    }
    if (!shown) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(shown);
  say("a budget_duration that is not a period: 400");
  EXPECT_EQ(fetch(gw->port(), "POST", "/key/update", master, R"({"key_id":")" + id + R"(","budget_duration":"2w"})").status,
            400);
}

TEST_F(limits_e2e, spend_counted_for_a_budget_survives_a_restart) {
  temp_dir d;
  const std::string db = d.path + "/shared.db";
  const auto keys = config_key("carol", "sk-pg-carol-000000000001", "max_budget: 0.00006, budget_duration: 1w");
  header_list carol{{"x-passgate-key", "sk-pg-carol-000000000001"}};
  start(keys, "", db);
  say("two answers spend $0.00007, over the $0.00006 budget");
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", carol, "{}").status, 200);
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", carol, "{}").status, 200);
  EXPECT_EQ(gw->stop(), 0);
  say("a new process on the same store refuses the first request: the period's spend was read back");
  start(keys, "", db);
  expect_refusal(fetch(gw->port(), "POST", "/anthropic/v1/messages", carol, "{}"), "billing_error",
                 "($0.000070 this period");
}

TEST(limits_flood, unauthenticated_refusals_write_bounded_rows) {
  mock_upstream up;
  gateway_process gw({route_config(up, "", "auth: { require_key: true }\n")});
  client c(gw.port());
  const int n = 300;
  say("300 requests with unknown gateway keys and 2 KB paths: all 401, none forwarded");
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    c.send(make_request("GET", "/anthropic/v1/" + std::string(2000, 'p'), {{"x-passgate-key", "sk-pg-nope-" + std::to_string(i)}}));
    ASSERT_EQ(c.read_response().status, 401);
  }
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_TRUE(up.requests().empty());
  auto unrecorded = std::stoll(metric_line(gw.port(), "passgate_unrecorded_refusals_total ").substr(35));
  EXPECT_EQ(gw.stop(), 0);
  auto rows = store::open_sqlite(gw.dir() + "/passgate.db")->spend_logs({}, {0, 1000});
  say("rows: at most 20 a second (" + std::to_string(rows.size()) + " in " + std::to_string(seconds + 1) +
      " s), the rest counted in passgate_unrecorded_refusals_total; paths cut to 512 bytes");
  EXPECT_LE(rows.size(), static_cast<std::size_t>(20 * (seconds + 2)));
  EXPECT_EQ(static_cast<std::int64_t>(rows.size()) + unrecorded, n);
  for (const auto& r : rows) EXPECT_LE(r.path.size(), 512u);
}

}  // namespace
}  // namespace passgate::test
