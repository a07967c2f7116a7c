// The admin API and the `keys`/`spend` CLI through the real binary (issues 4 and
// 5): keys made by either authenticate /anthropic/* requests without ever
// reaching the provider, the running server follows the CLI's changes within its
// key cache's refresh interval (two processes, one SQLite file), revocation and
// expiry take effect, only the master key manages keys, bodies are validated.
// Timing is never asserted: changes made by another process are awaited with
// bounded polling.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <thread>

#include "support/e2e.hpp"
#include "support/eventually.hpp"

namespace passgate::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string master = "sk-master-admin-e2e-0123456789";
const std::string server_key = "sk-ant-api03-ORG-SERVER-KEY-admin";
const std::map<std::string, std::string> env{{"PASSGATE_MASTER_KEY", master}, {"ORG_KEY", server_key}};


json::value parse(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v;
}

std::string message_of(const response& r) {
  auto v = parse(r.body);
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("message").as_string());
}

class admin_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    up.on_request([](const recorded_request&) {
      mock_response m;
      m.headers = {{"content-type", "application/json"}};
      m.body = R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",)"
               R"("content":[],"usage":{"input_tokens":10,"output_tokens":5}})";
      return m;
    });
    gw = std::make_unique<gateway_process>(gateway_options{
        route_config(up, "    server_key: \"os.environ/ORG_KEY\"\n",
                     "master_key: \"os.environ/PASSGATE_MASTER_KEY\"\nauth: { require_key: true }\n"),
        env});
  }

  std::string config_file() const { return gw->dir() + "/passgate.yaml"; }

  response admin(std::string_view method, std::string_view target, std::string_view body = {},
                 const std::string& key = master) {
    header_list h{{"content-type", "application/json"}};
    if (!key.empty()) h.emplace_back("x-passgate-key", key);
    return fetch(gw->port(), method, target, h, body);
  }
  // A request through the proxied route, the gateway key in x-passgate-key.
  int messages(const std::string& key) {
    return fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"x-passgate-key", key}}, R"({"model":"m"})").status;
  }
  // Generates a key through the API: {full key, key id}.
  std::pair<std::string, std::string> api_key(const std::string& body = "{}") {
    auto r = admin("POST", "/key/generate", body);
    EXPECT_EQ(r.status, 200) << r.body;
    auto v = parse(r.body);
    return {std::string(v.at("key").as_string()), std::string(v.at("key_id").as_string())};
  }
  run_result cli(std::vector<std::string> args) {
    args.insert(args.begin() + 2, {"--config", config_file()});
    return run_passgate(args, env);
  }
  // Creates a key with the CLI (--json): {full key, key id}.
  std::pair<std::string, std::string> cli_key(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"keys", "create", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.status, 0) << r.output;
    auto v = parse(r.output);
    if (!v.is_object()) return {};
    return {std::string(v.at("key").as_string()), std::string(v.at("key_id").as_string())};
  }
  void expect_key_never_upstream(const std::string& key) {
    for (const auto& req : up.requests())
      for (const auto& [n, v] : req.headers) {
        EXPECT_EQ(v.find(key), std::string::npos) << n;
        EXPECT_EQ(v.find(master), std::string::npos) << n;
      }
  }

  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(admin_e2e, api_key_authenticates_and_never_reaches_the_provider) {
  say("a key from POST /key/generate authenticates /anthropic/* at once (this process invalidated its cache)");
  auto [key, id] = api_key(R"({"key_alias":"api-made","allowed_credentials":["server"]})");
  EXPECT_TRUE(key.starts_with("sk-pg-"));
  EXPECT_EQ(messages(key), 200);
  say("the provider got the server key, not the gateway key, in any header");
  ASSERT_EQ(up.requests().size(), 1u);
  EXPECT_EQ(up.last_request().all("x-api-key"), std::vector<std::string>{server_key});
  EXPECT_FALSE(up.last_request().has("x-passgate-key"));
  say("the same key sent in x-api-key is consumed as the gateway key too");
  EXPECT_EQ(fetch(gw->port(), "POST", "/anthropic/v1/messages", {{"x-api-key", key}}, "{}").status, 200);
  EXPECT_EQ(up.last_request().all("x-api-key"), std::vector<std::string>{server_key});
  expect_key_never_upstream(key);
  say("the access log names the key by alias, and never shows it");
  EXPECT_TRUE(gw->wait_for_log("key=api-made")) << gw->log();
  EXPECT_EQ(gw->log().find(key), std::string::npos);
  say("an unknown sk-pg- key is 401 and reaches nobody");
  EXPECT_EQ(messages("sk-pg-" + std::string(43, 'x')), 401);
  EXPECT_EQ(up.requests().size(), 2u);
}

TEST_F(admin_e2e, cli_key_is_accepted_by_the_running_server) {
  say("`passgate keys create` on the server's SQLite file prints the key once (--json: the API's JSON)");
  auto [key, id] = cli_key({"--alias", "cli-made", "--rpm-limit", "100", "--allowed-credentials", "server,byok",
                            "--metadata", R"({"team":"ml"})"});
  ASSERT_TRUE(key.starts_with("sk-pg-")) << key;
  say("the running server accepts it within its refresh interval (bounded poll)");
  EXPECT_TRUE(eventually([&] { return messages(key) == 200; }));
  expect_key_never_upstream(key);
  say("the server's API shows the CLI's fields; neither shows the key again");
  auto info = admin("GET", "/key/info?key_id=" + id);
  ASSERT_EQ(info.status, 200) << info.body;
  auto v = parse(info.body);
  EXPECT_EQ(v.at("info").at("key_alias").as_string(), "cli-made");
  EXPECT_EQ(v.at("info").at("rpm_limit").as_int64(), 100);
  EXPECT_EQ(v.at("info").at("metadata").at("team").as_string(), "ml");
  EXPECT_EQ(json::serialize(v.at("info").at("allowed_credentials")), R"(["byok","server"])");
  EXPECT_EQ(info.body.find(key), std::string::npos);
  auto list = cli({"keys", "list"});
  EXPECT_EQ(list.status, 0) << list.output;
  EXPECT_NE(list.output.find(id), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("cli-made"), std::string::npos);
  EXPECT_EQ(list.output.find(key), std::string::npos);
  say("`keys info` by the full key finds it; text output has its fields");
  auto shown = cli({"keys", "info", key});
  EXPECT_EQ(shown.status, 0) << shown.output;
  EXPECT_NE(shown.output.find("key_id:                 " + id), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.find(key), std::string::npos);
}

TEST_F(admin_e2e, cli_update_changes_limits_on_the_running_server) {
  say("keys create --rpm-limit 1 by the CLI: the running server allows one request a minute for it");
  auto [key, id] = cli_key({"--rpm-limit", "1", "--budget-duration", "1w", "--max-budget", "5",
                            "--budget-credentials", "server"});
  ASSERT_TRUE(eventually([&] { return messages(key) == 200; }));
  EXPECT_EQ(messages(key), 429);
  say("keys update --rpm-limit 100: in force at the server's next key-cache poll (bounded wait)");
  auto r = cli({"keys", "update", id, "--rpm-limit", "100"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("rpm_limit:              100"), std::string::npos) << r.output;
  EXPECT_TRUE(eventually([&] { return messages(key) == 200; }));
  say("keys info shows the budget's kinds, this period's spend and its reset (Monday 00:00 UTC)");
  auto info = cli({"keys", "info", id});
  ASSERT_EQ(info.status, 0) << info.output;
  EXPECT_NE(info.output.find("budget_credentials:     server"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("(this period)"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("T00:00:00Z"), std::string::npos) << info.output;
  say("an unknown key and a bad period are refused with a clear message");
  auto bad = cli({"keys", "update", "key_nope", "--rpm-limit", "1"});
  EXPECT_NE(bad.status, 0);
  auto period = cli({"keys", "update", id, "--budget-duration", "2w"});
  EXPECT_NE(period.status, 0);
  EXPECT_NE(period.output.find("budget_duration"), std::string::npos) << period.output;
}

TEST_F(admin_e2e, revocation_through_api_and_cli) {
  auto [api_made, api_id] = api_key();
  auto [cli_made, cli_id] = cli_key();
  ASSERT_EQ(messages(api_made), 200);
  ASSERT_TRUE(eventually([&] { return messages(cli_made) == 200; }));

  say("POST /key/delete {\"keys\": [...]} revokes; the key gets 401 as soon as the API answered");
  auto r = admin("POST", "/key/delete", R"({"keys":[")" + api_made + R"("]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::serialize(parse(r.body).at("deleted_keys")), "[\"" + api_id + "\"]");
  EXPECT_EQ(r.body.find(api_made), std::string::npos);
  EXPECT_EQ(messages(api_made), 401);

  say("`passgate keys revoke <id>` in another process: the server refuses the key within its refresh interval");
  auto rv = cli({"keys", "revoke", cli_id});
  EXPECT_EQ(rv.status, 0) << rv.output;
  EXPECT_NE(rv.output.find("revoked " + cli_id), std::string::npos) << rv.output;
  EXPECT_TRUE(eventually([&] { return messages(cli_made) == 401; }));
  say("revoked keys stay listed as revoked; revoking an unknown id exits 1");
  EXPECT_TRUE(parse(admin("GET", "/key/info?key_id=" + cli_id).body).at("info").at("revoked").as_bool());
  EXPECT_EQ(cli({"keys", "revoke", "key_0000000000000000"}).status, 1);
  say("POST /key/delete {\"key_ids\": [...]} works the same");
  auto [third, third_id] = api_key();
  ASSERT_EQ(messages(third), 200);
  r = admin("POST", "/key/delete", R"({"key_ids":[")" + third_id + R"("]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(messages(third), 401);
}

TEST_F(admin_e2e, expired_keys_are_refused) {
  say("a working key given duration 1s through /key/update is refused once it passed");
  auto [key, id] = api_key();
  ASSERT_EQ(messages(key), 200);
  auto r = admin("POST", "/key/update", R"({"key_id":")" + id + R"(","duration":"1s"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(parse(r.body).at("expires_at").is_string());
  EXPECT_TRUE(eventually([&] { return messages(key) == 401; }));
  say("a CLI key made with --duration 1s carries expires_at and ends up refused the same way");
  auto [short_lived, short_id] = cli_key({"--duration", "1s"});
  EXPECT_TRUE(parse(admin("GET", "/key/info?key_id=" + short_id).body).at("info").at("expires_at").is_string());
  EXPECT_TRUE(eventually([&] { return messages(short_lived) == 401; }));
  say("an expired key cannot read the admin API either");
  EXPECT_EQ(admin("GET", "/spend/logs", {}, key).status, 401);
}

TEST_F(admin_e2e, admin_api_refuses_non_master_callers) {
  say("no key: 401 authentication_error in Anthropic's shape");
  auto r = admin("POST", "/key/generate", "{}", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(parse(r.body).at("error").at("type").as_string(), "authentication_error");
  say("a wrong key: 401, not echoed");
  r = admin("GET", "/key/list", {}, "sk-pg-WrongWrongWrong000000000000000000000000000");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body.find("WrongWrongWrong"), std::string::npos);
  say("Authorization: Bearer <master> is accepted like x-passgate-key");
  EXPECT_EQ(fetch(gw->port(), "GET", "/key/list", {{"Authorization", "Bearer " + master}}).status, 200);
  say("a valid non-master key: 403 permission_error on /key/*, and nothing is created");
  auto [key, id] = api_key();
  r = admin("POST", "/key/generate", "{}", key);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(parse(r.body).at("error").at("type").as_string(), "permission_error");
  EXPECT_EQ(admin("POST", "/key/delete", R"({"key_ids":[")" + id + R"("]})", key).status, 403);
  auto list = parse(admin("GET", "/key/list").body);
  EXPECT_EQ(list.at("keys").as_array().size(), 1u);
  EXPECT_FALSE(list.at("keys").as_array()[0].at("revoked").as_bool());
}

TEST_F(admin_e2e, a_key_reads_only_its_own_spend) {
  auto [alice, alice_id] = api_key(R"({"key_alias":"alice"})");
  auto [bob, bob_id] = api_key(R"({"key_alias":"bob"})");
  ASSERT_EQ(messages(alice), 200);
  ASSERT_EQ(messages(bob), 200);
  ASSERT_EQ(messages(bob), 200);
  say("the master sees every row once the spend writer stored them (bounded poll)");
  ASSERT_TRUE(eventually([&] {
    auto r = admin("GET", "/spend/logs");
    return r.status == 200 && parse(r.body).at("logs").as_array().size() == 3;
  })) << admin("GET", "/spend/logs").body;
  say("alice's key: only her row; asking for bob's: 403");
  auto r = admin("GET", "/spend/logs", {}, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  auto logs = parse(r.body).at("logs").as_array();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].at("key_id").as_string(), alice_id);
  EXPECT_EQ(logs[0].at("route").as_string(), "anthropic");
  EXPECT_EQ(logs[0].at("credential").as_string(), "server");
  EXPECT_EQ(admin("GET", "/spend/logs?key_id=" + bob_id, {}, alice).status, 403);
  say("report by key: the master sees both keys' counts, bob's key only his");
  auto all = parse(admin("GET", "/spend/report?group_by=key").body);
  EXPECT_EQ(all.at("totals").at("requests").as_int64(), 3);
  auto own = parse(admin("GET", "/spend/report?group_by=key", {}, bob).body);
  ASSERT_EQ(own.at("rows").as_array().size(), 1u);
  EXPECT_EQ(own.at("rows").as_array()[0].at("group").as_string(), bob_id);
  EXPECT_EQ(own.at("totals").at("requests").as_int64(), 2);
  say("`passgate spend report --group-by key --json` prints the API's JSON from the same file");
  auto cr = cli({"spend", "report", "--group-by", "key", "--json"});
  ASSERT_EQ(cr.status, 0) << cr.output;
  EXPECT_EQ(parse(cr.output), all);
  auto cl = cli({"spend", "logs", "--key-id", alice_id});
  EXPECT_EQ(cl.status, 0) << cl.output;
  EXPECT_NE(cl.output.find("alice"), std::string::npos) << cl.output;
  EXPECT_NE(cl.output.find("page 1 (1 rows)"), std::string::npos) << cl.output;
}

TEST_F(admin_e2e, bodies_are_validated) {
  struct bad_case {
    std::string target, body;
    int status;
    std::string words;
  };
  const bad_case cases[] = {
      {"/key/generate", "{\"key_alias\":", 400, "malformed JSON"},
      {"/key/generate", R"({"rpm_limit":"ten"})", 400, "field 'rpm_limit' must be an integer"},
      {"/key/generate", R"({"metadata":[1]})", 400, "field 'metadata' must be an object"},
      {"/key/generate", R"({"team_id":"t1"})", 400, "unknown field 'team_id'"},
      {"/key/generate", R"({"max_budget":-1})", 400, "max_budget"},
      {"/key/generate", R"({"allowed_routes":["openai"]})", 400, "unknown route 'openai'"},
      {"/key/update", R"({"key_id":"key_0000000000000000"})", 404, "no key with id"},
      {"/key/delete", R"({"keys":"one"})", 400, "field 'keys' must be an array"},
  };
  for (const auto& c : cases) {
    say("POST " + c.target + " " + c.body + " → " + std::to_string(c.status) + " \"…" + c.words + "…\"");
    auto r = admin("POST", c.target, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_NE(message_of(r).find(c.words), std::string::npos) << r.body;
  }
  say("wrong method: 405; unknown admin path: 404");
  EXPECT_EQ(admin("GET", "/key/generate").status, 405);
  EXPECT_EQ(admin("GET", "/key/everything").status, 404);
  say("a 2 MiB body: 413 request_too_large, and the server goes on serving");
  auto big = admin("POST", "/key/generate", std::string(2 << 20, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(parse(big.body).at("error").at("type").as_string(), "request_too_large");
  EXPECT_EQ(admin("GET", "/key/list").status, 200);
  say("none of the refused requests created a key");
  EXPECT_EQ(parse(admin("GET", "/key/list").body).at("keys").as_array().size(), 0u);
}

TEST_F(admin_e2e, cli_exit_codes) {
  say("bad option values and bad input: exit 2, with the field named");
  auto r = cli({"keys", "create", "--rpm-limit", "ten"});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--rpm-limit"), std::string::npos) << r.output;
  r = cli({"keys", "create", "--allowed-credentials", "oauth,cookie"});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("cookie"), std::string::npos);
  r = cli({"keys", "create", "--metadata", "[1]"});
  EXPECT_EQ(r.status, 2) << r.output;
  r = cli({"spend", "report", "--group-by", "user"});
  EXPECT_EQ(r.status, 2) << r.output;
  r = cli({"spend", "logs", "--start-date", "last week"});
  EXPECT_EQ(r.status, 2) << r.output;
  say("an unknown key: exit 1");
  EXPECT_EQ(cli({"keys", "info", "key_0000000000000000"}).status, 1);
  say("a config file that does not exist: exit 2");
  EXPECT_EQ(run_passgate({"keys", "list", "--config", gw->dir() + "/missing.yaml"}, env).status, 2);
  say("nothing was created by the refused commands");
  EXPECT_EQ(parse(cli({"keys", "list", "--json"}).output).at("keys").as_array().size(), 0u);
}

}  // namespace
}  // namespace passgate::test
