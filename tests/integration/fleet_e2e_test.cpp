// A fleet end to end (issue 11): three passgate processes on one PostgreSQL
// store and one Redis, both real, throwaway servers started by the test.
// Keys made on one instance work on the others, a revocation reaches every
// instance through LISTEN/NOTIFY (not the periodic reload, which is set to a
// minute here), limits are shared, spend rows from all instances add up, and
// the faults of either server lose nothing.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "store/store.hpp"
#include "support/e2e.hpp"
#include "support/eventually.hpp"
#include "support/postgres_instance.hpp"
#include "support/redis_instance.hpp"

namespace passgate::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string master = "sk-master-fleet-0123456789";

// 10 input + 5 output tokens of Haiku 4.5 ($1 / $5 per million): $0.000035.
const std::string haiku_answer =
    R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[],)"
    R"("usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}})";

// One PostgreSQL server for the whole binary; each test gets its own database.
postgres_instance& postgres() { return shared_postgres(); }

json::value parse(const std::string& s) {
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  return ec ? json::value() : v;
}

class fleet_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    up.on_request([](const recorded_request&) {
      mock_response m;
      m.headers = {{"content-type", "application/json"}};
      m.body = haiku_answer;
      return m;
    });
    db_url = postgres().create_database(unique_db_name("fleet"));
  }

  // The config of instance i: the shared store and Redis, its own spool.
  std::string config(int i, const std::string& extra = "") const {
    std::string y = route_config(up, "    server_key: \"sk-ant-org-server\"\n",
                                 "master_key: \"" + master + "\"\nauth: { require_key: true }\n");
    y += "store: { postgres: \"" + db_url + "\", key_reload_s: 60, drain_timeout_s: 2, spool_dir: \"" + spools.path + "/spool-" +
         std::to_string(i) + "\" }\n";
    if (with_redis) y += "redis: { url: \"" + redis.url() + "\" }\n";
    return y + extra;
  }

  // Starts instances 0..n-1 at the same moment (a fleet rolling out on an empty database).
  void start_all(int n = 3, const std::string& extra = "") {
    gws.resize(std::size_t(n));
    std::vector<std::thread> starts;
    for (int i = 0; i < n; ++i)
      starts.emplace_back([this, i, extra] { gws[std::size_t(i)] = std::make_unique<gateway_process>(gateway_options{config(i, extra)}); });
    for (auto& t : starts) t.join();
  }

  std::uint16_t port(int i) const { return gws[std::size_t(i)]->port(); }

  response admin(int i, std::string_view method, std::string_view target, std::string_view body = {}) {
    return fetch(port(i), method, target, {{"content-type", "application/json"}, {"x-passgate-key", master}}, body);
  }
  int messages(int i, const std::string& key) {
    return fetch(port(i), "POST", "/anthropic/v1/messages", {{"x-passgate-key", key}}, R"({"model":"claude-haiku-4-5"})")
        .status;
  }
  // {full key, key id}, made through instance i's admin API.
  std::pair<std::string, std::string> generate(int i, const std::string& body = "{}") {
    auto r = admin(i, "POST", "/key/generate", body);
    EXPECT_EQ(r.status, 200) << r.body;
    auto v = parse(r.body);
    if (!v.is_object()) return {};
    return {std::string(v.at("key").as_string()), std::string(v.at("key_id").as_string())};
  }
  // Requests in the store, from /spend/report on instance i; -1 if it cannot answer.
  std::int64_t stored_requests(int i, const std::string& key_id) {
    auto r = admin(i, "GET", "/spend/report?group_by=key");
    if (r.status != 200) return -1;
    auto v = parse(r.body);
    for (const auto& row : v.at("rows").as_array())
      if (row.at("group").as_string() == key_id) return row.at("requests").as_int64();
    return 0;
  }

  mock_upstream up;
  redis_instance redis;
  bool with_redis = true;
  std::string db_url;
  temp_dir spools;
  std::vector<std::unique_ptr<gateway_process>> gws;
};

TEST_F(fleet_e2e, three_instances_on_an_empty_database_migrate_once_and_share_keys) {
  start_all();
  say("three instances started at once on an empty database: all serve, the schema is at the latest version");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(gws[std::size_t(i)]->running()) << gws[std::size_t(i)]->log();
  auto st = store::open_postgres(db_url);
  const int version = st->schema_version();
  EXPECT_GT(version, 0);
  auto migrate = run_passgate({"migrate", "--config", gws[0]->dir() + "/passgate.yaml"});
  EXPECT_EQ(migrate.status, 0) << migrate.output;
  EXPECT_NE(migrate.output.find("schema version " + std::to_string(version)), std::string::npos) << migrate.output;

  say("a key created on A works on B and C at once (pushed by NOTIFY; the periodic reload is a minute away)");
  auto [key, id] = generate(0);
  for (int i : {1, 2}) ASSERT_TRUE(eventually([&] { return messages(i, key) == 200; }, 10s)) << "instance " << i;

  say("revoked on B: refused on A and C soon after, measured from the revoke's answer");
  auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_EQ(admin(1, "POST", "/key/delete", R"({"key_ids":[")" + id + R"("]})").status, 200);
  for (int i : {0, 2}) ASSERT_TRUE(eventually([&] { return messages(i, key) == 401; }, 10s)) << "instance " << i;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - revoked_at).count();
  std::cout << "  measured: revocation in force on A and C " << ms << " ms after B answered\n";
}

TEST_F(fleet_e2e, an_rpm_limit_holds_across_the_fleet_exactly) {
  start_all();
  auto [key, id] = generate(0, R"({"rpm_limit":30})");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(eventually([&] { return gws[std::size_t(i)]->running(); }));
  say("90 requests from 9 clients spread over three instances: exactly 30 pass the shared 30 rpm limit, 60 get 429");
  // The key must be known everywhere before the hammering starts.
  for (int i : {1, 2}) ASSERT_TRUE(eventually([&] {
    return fetch(port(i), "GET", "/key/info?key_id=" + id, {{"x-passgate-key", master}}).status == 200;
  }));
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 9; ++c)
    clients.emplace_back([&, c] {
      for (int n = 0; n < 10; ++n) {
        int s = messages(c % 3, key);
        (s == 200 ? ok : s == 429 ? limited : other)++;
      }
    });
  for (auto& t : clients) t.join();
  std::cout << "  measured: " << ok << " admitted, " << limited << " refused, " << other << " other\n";
  EXPECT_EQ(ok.load(), 30);
  EXPECT_EQ(limited.load(), 60);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(up.requests().size(), 30u) << "refused requests never reach the provider";
}

TEST_F(fleet_e2e, a_budget_is_shared_and_spend_rows_from_all_instances_add_up) {
  start_all();
  // $0.000035 a request: the budget is crossed by the third.
  auto [key, id] = generate(0, R"({"max_budget":0.0001,"budget_duration":"30d"})");
  for (int i : {1, 2}) ASSERT_TRUE(eventually([&] { return messages(i, key) != 401; }, 10s));
  say("requests round-robin over A, B, C until refused: the budget refuses on every instance, after at most one "
      "request per instance past the limit (a charge lands after its answer)");
  int sent = 2, admitted = 2;  // the two probes above were admitted (200) and count
  for (int n = 0; n < 20; ++n) {
    int s = messages(n % 3, key);
    ++sent;
    if (s == 200) ++admitted;
    else {
      EXPECT_EQ(s, 429);
      break;
    }
  }
  std::cout << "  measured: " << admitted << " admitted before the first refusal (the limit allows 3)\n";
  EXPECT_GE(admitted, 3);
  EXPECT_LE(admitted, 3 + 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(eventually([&] { return messages(i, key) == 429; })) << i;
  sent += 3;

  say("every request sent (admitted and refused) is one spend row in the shared store, from all three instances");
  ASSERT_TRUE(eventually([&] { return stored_requests(0, id) >= sent; }, 20s)) << stored_requests(0, id);
  for (auto& g : gws) EXPECT_EQ(g->stop(), 0);
  auto st = store::open_postgres(db_url);
  EXPECT_EQ(st->spend_logs({.key_id = id}, {0, 1000}).size(), std::size_t(sent));
}

TEST_F(fleet_e2e, postgres_down_under_load_serves_cached_keys_and_every_row_arrives_once) {
  start_all(2);
  auto [key, id] = generate(0);
  ASSERT_TRUE(eventually([&] { return messages(1, key) == 200; }, 10s));
  int sent = 1;
  say("PostgreSQL stopped: both instances keep serving the cached key; the admin API says 503");
  postgres().stop();
  for (int n = 0; n < 40; ++n, ++sent) ASSERT_EQ(messages(n % 2, key), 200) << n;
  EXPECT_EQ(admin(0, "GET", "/key/list").status, 503);
  say("instance B is stopped while the store is down: its rows go to its spool, none lost");
  EXPECT_EQ(gws[1]->stop(), 0);
  EXPECT_NE(gws[1]->log().find("in the spool"), std::string::npos) << gws[1]->log();
  EXPECT_EQ(gws[1]->log().find("row(s) lost"), std::string::npos) << gws[1]->log();
  EXPECT_EQ(gws[1]->log().find("could not be written"), std::string::npos) << gws[1]->log();

  say("PostgreSQL back: A writes its queued rows; B restarted on its spool replays it; every row arrives exactly once");
  postgres().start();
  gws[1] = std::make_unique<gateway_process>(gateway_options{config(1)});
  ASSERT_TRUE(eventually([&] { return stored_requests(0, id) == sent; }, 30s)) << stored_requests(0, id) << " of " << sent;
  for (auto& g : gws) EXPECT_EQ(g->stop(), 0);
  auto st = store::open_postgres(db_url);
  auto rows = st->spend_logs({.key_id = id}, {0, 1000});
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(r.request_id);
  EXPECT_EQ(rows.size(), std::size_t(sent));
  EXPECT_EQ(ids.size(), rows.size()) << "no request_id twice";
}

TEST_F(fleet_e2e, redis_down_falls_back_to_local_counting_then_recovers) {
  start_all(1);
  auto [key, id] = generate(0, R"({"rpm_limit":1000})");
  ASSERT_EQ(messages(0, key), 200);
  say("Redis stopped: a key with limits is still served (counted in this process), the gauge says degraded");
  redis.stop();
  ASSERT_EQ(messages(0, key), 200);
  auto gauge = [&] {
    auto m = fetch(port(0), "GET", "/metrics").body;
    auto at = m.find("\npassgate_shared_limits_degraded ");
    return at == std::string::npos ? std::string() : m.substr(at + 1, m.find('\n', at + 1) - at - 1);
  };
  EXPECT_EQ(gauge(), "passgate_shared_limits_degraded 1");
  EXPECT_TRUE(gws[0]->wait_for_log("shared limits"));
  say("Redis back: the limiter reconnects by itself and the gauge returns to 0");
  redis.start();
  ASSERT_TRUE(eventually([&] {
    messages(0, key);
    return gauge() == "passgate_shared_limits_degraded 0";
  }, 20s)) << gauge();
}

TEST_F(fleet_e2e, redis_down_with_deny_refuses_limited_keys_only) {
  start_all(1, "limits: { on_shared_error: deny }\n");
  auto [limited, id1] = generate(0, R"({"rpm_limit":1000})");
  auto [free_key, id2] = generate(0);
  redis.stop();
  say("on_shared_error: deny: a key with limits gets 503 overloaded_error; a key without limits never asks Redis");
  auto r = fetch(port(0), "POST", "/anthropic/v1/messages", {{"x-passgate-key", limited}}, R"({"model":"m"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("overloaded_error"), std::string::npos) << r.body;
  EXPECT_EQ(messages(0, free_key), 200);
}

TEST_F(fleet_e2e, store_copy_moves_a_sqlite_store_and_can_run_twice) {
  with_redis = false;
  temp_dir box;
  const std::string file = box.path + "/single.db";
  {
    auto sq = store::open_sqlite(file);
    auth::key_record k;
    k.key_id = "key_copy";
    k.key_alias = "copied";
    k.key_hash = std::string(64, 'a');
    k.key_prefix = "sk-pg-aaaa";
    k.created_at = 1'700'000'000;
    k.rpm_limit = 7;
    sq->insert_key(k);
    std::vector<usage::spend_record> rows;
    for (int i = 0; i < 250; ++i) {
      usage::spend_record r;
      r.request_id = "req_copy_" + std::to_string(i);
      r.started_at_ms = 1'714'521'600'000 + i;
      r.key_id = "key_copy";
      r.model = "claude-haiku-4-5";
      r.credential = "server";
      r.status = 200;
      r.input_tokens = 10;
      r.cost_usd = 0.001;
      r.outcome = "ok";
      rows.push_back(r);
    }
    sq->insert_spend(rows);
  }
  say("store copy moves keys and spend from a SQLite file to PostgreSQL; a second run adds nothing");
  for (int run = 0; run < 2; ++run) {
    auto r = run_passgate({"store", "copy", "--from", file, "--to", "os.environ/DATABASE_URL"}, {{"DATABASE_URL", db_url}});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.find("password"), std::string::npos);
  }
  auto st = store::open_postgres(db_url);
  auto k = st->find_key_by_id("key_copy");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->rpm_limit, 7);
  auto report = st->spend_report({.key_id = "key_copy"}, store::spend_group::key);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].requests, 250);
  EXPECT_NEAR(report[0].cost_usd, 0.25, 1e-9);
}

}  // namespace
}  // namespace passgate::test
