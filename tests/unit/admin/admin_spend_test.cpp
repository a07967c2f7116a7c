// /spend/logs and /spend/report: filters, paging, grouping with totals, and the
// rule that a non-master key reads only its own rows.
#include <array>
#include <map>

#include "unit/admin/admin_fixture.hpp"

namespace passgate::admin::test {
namespace {

constexpr std::int64_t day1 = t0 * 1000;  // 2024-05-01T00:00:00.000Z
constexpr std::int64_t day_ms = 86'400'000;

class spend_api : public admin_fixture {
 protected:
  void SetUp() override {
    admin_fixture::SetUp();
    std::tie(alice_key, alice) = generate(R"({"key_alias":"alice"})");
    std::tie(bob_key, bob) = generate(R"({"key_alias":"bob"})");
    ASSERT_TRUE(cache_knows(alice_key));
    ASSERT_TRUE(cache_knows(bob_key));
    st->insert_spend({
        row("r1", day1 + 1000, alice, "claude-sonnet-4", "oauth", 200, 100, 20, 0.01),
        row("r2", day1 + day_ms + 5, alice, "claude-haiku-4", "byok", 429, 10, 0, 0.001),
        row("r3", day1 + 2 * day_ms + 123, bob, "claude-sonnet-4", "server", 200, 1000, 200, std::nullopt),
        row("r4", day1 + 2 * day_ms + 500, "", "claude-sonnet-4", "none", 401, std::nullopt, std::nullopt,
            std::nullopt),
    });
  }

  static usage::spend_record row(std::string id, std::int64_t at, std::string key, std::string model,
                                 std::string cred, int status, std::optional<std::int64_t> in,
                                 std::optional<std::int64_t> out, std::optional<double> cost) {
    usage::spend_record r;
    r.request_id = std::move(id);
    r.started_at_ms = at;
    r.duration_ms = 250;
    r.ttfb_ms = 40;
    r.key_id = std::move(key);
    r.key_alias = r.key_id.empty() ? "" : "alias";
    r.route = "anthropic";
    r.path = "/v1/messages";
    r.method = "POST";
    r.status = status;
    r.model = std::move(model);
    r.credential = std::move(cred);
    r.input_tokens = in;
    r.output_tokens = out;
    r.cache_read_input_tokens = in ? std::optional<std::int64_t>(5) : std::nullopt;
    r.cost_usd = cost;
    r.outcome = status == 200 ? "ok" : "upstream_error";
    static const std::map<std::string, std::array<const char*, 3>> who = {
        {"r1", {"acct-alice", "sess-1", "claude-cli/2.1.3"}},
        {"r2", {"acct-alice", "sess-2", "claude-cli/2.1.3"}},
        {"r3", {"acct-bob", "sess-3", "Anthropic/JS 0.60.0"}}};
    if (auto it = who.find(r.request_id); it != who.end()) {
      r.end_user = it->second[0];
      r.session_id = it->second[1];
      r.client = it->second[2];
      r.agent_id = "agent-" + r.request_id;
    }
    return r;
  }

  // The request ids of a /spend/logs answer, in order.
  std::vector<std::string> ids(const reply& r) {
    std::vector<std::string> out;
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    for (const auto& row : r.j.at("logs").as_array()) out.emplace_back(row.at("request_id").as_string());
    return out;
  }
  using ids_t = std::vector<std::string>;

  std::string alice_key, alice, bob_key, bob;
};

TEST_F(spend_api, logs_are_newest_first_with_the_spend_record_fields) {
  say("master, no filter: every row, newest first");
  auto r = call("GET", "/spend/logs");
  EXPECT_EQ(ids(r), (ids_t{"r4", "r3", "r2", "r1"}));
  EXPECT_EQ(r.j.at("has_more").as_bool(), false);
  say("a row carries the spend_record names; started_at is ISO 8601 UTC with ms; unknown cost is null");
  const auto& row = r.j.at("logs").as_array()[1].as_object();  // r3
  EXPECT_EQ(row.at("started_at").as_string(), "2024-05-03T00:00:00.123Z");
  EXPECT_EQ(row.at("duration_ms").as_int64(), 250);
  EXPECT_EQ(row.at("ttfb_ms").as_int64(), 40);
  EXPECT_EQ(row.at("key_id").as_string(), bob);
  EXPECT_EQ(row.at("route").as_string(), "anthropic");
  EXPECT_EQ(row.at("path").as_string(), "/v1/messages");
  EXPECT_EQ(row.at("method").as_string(), "POST");
  EXPECT_EQ(row.at("status").as_int64(), 200);
  EXPECT_EQ(row.at("model").as_string(), "claude-sonnet-4");
  EXPECT_EQ(row.at("credential").as_string(), "server");
  EXPECT_EQ(row.at("input_tokens").as_int64(), 1000);
  EXPECT_EQ(row.at("output_tokens").as_int64(), 200);
  EXPECT_TRUE(row.at("cache_creation_input_tokens").is_null());
  EXPECT_EQ(row.at("cache_read_input_tokens").as_int64(), 5);
  EXPECT_TRUE(row.at("cost_usd").is_null());
  EXPECT_EQ(row.at("outcome").as_string(), "ok");
  say("and who made it: end user, session, agent, client; and its cursor for keyset paging");
  EXPECT_EQ(row.at("end_user").as_string(), "acct-bob");
  EXPECT_EQ(row.at("session_id").as_string(), "sess-3");
  EXPECT_EQ(row.at("agent_id").as_string(), "agent-r3");
  EXPECT_EQ(row.at("client").as_string(), "Anthropic/JS 0.60.0");
  EXPECT_TRUE(row.at("cursor").is_string());
  EXPECT_TRUE(row.at("provider").is_string());
  EXPECT_EQ(row.size(), 24u);
  EXPECT_DOUBLE_EQ(r.j.at("logs").as_array()[3].at("cost_usd").as_double(), 0.01);
}

TEST_F(spend_api, logs_filters) {
  say("key_id, model, credential, status, each alone and combined");
  EXPECT_EQ(ids(call("GET", "/spend/logs?key_id=" + alice)), (ids_t{"r2", "r1"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?model=claude-sonnet-4")), (ids_t{"r4", "r3", "r1"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?credential=byok")), (ids_t{"r2"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?status=200")), (ids_t{"r3", "r1"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?model=claude-sonnet-4&status=200&key_id=" + alice)), (ids_t{"r1"}));
  say("start_date inclusive; a date as end_date includes that whole day");
  EXPECT_EQ(ids(call("GET", "/spend/logs?start_date=2024-05-02")), (ids_t{"r4", "r3", "r2"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?end_date=2024-05-02")), (ids_t{"r2", "r1"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?start_date=2024-05-02&end_date=2024-05-02")), (ids_t{"r2"}));
  say("a date-time end_date is exclusive, to the millisecond; zones are honoured");
  EXPECT_EQ(ids(call("GET", "/spend/logs?start_date=2024-05-03T00:00:00.123Z")), (ids_t{"r4", "r3"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?end_date=2024-05-03T00:00:00.123Z&start_date=2024-05-02")), (ids_t{"r2"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?end_date=2024-05-03T02:00:00%2B02:00")), (ids_t{"r2", "r1"}));
  say("percent-encoded values are decoded");
  EXPECT_EQ(ids(call("GET", "/spend/logs?model=claude%2Dhaiku%2D4")), (ids_t{"r2"}));
}

TEST_F(spend_api, logs_paging) {
  say("size=3: page 1 has 3 rows and has_more, page 2 the last one");
  auto p1 = call("GET", "/spend/logs?size=3");
  EXPECT_EQ(ids(p1), (ids_t{"r4", "r3", "r2"}));
  EXPECT_TRUE(p1.j.at("has_more").as_bool());
  auto p2 = call("GET", "/spend/logs?size=3&page=2");
  EXPECT_EQ(ids(p2), (ids_t{"r1"}));
  EXPECT_FALSE(p2.j.at("has_more").as_bool());
  EXPECT_EQ(p2.j.at("page").as_int64(), 2);
  say("size over 1000 is refused rather than silently cut");
  EXPECT_EQ(call("GET", "/spend/logs?size=1001").status, 400);
  EXPECT_EQ(call("GET", "/spend/logs?size=1000").status, 200);
}

TEST_F(spend_api, bad_filters_are_400_naming_the_parameter) {
  for (auto [q, words] : {std::pair<std::string, std::string>{"status=ok", "'status'"},
                          {"status=-1", "'status'"},
                          {"credential=cookie", "'credential'"},
                          {"provider=azure", "'provider' must be one of anthropic, openai"},
                          {"start_date=yesterday", "'start_date'"},
                          {"end_date=2024-02-30", "'end_date'"},
                          {"start_date=2024-05-03&end_date=2024-05-01", "before"},
                          {"api_key=x", "unknown query parameter 'api_key'"},
                          {"group_by=model", "/spend/report"},
                          {"model=a&model=b", "given twice"},
                          {"page=0", "'page'"}}) {
    auto r = call("GET", "/spend/logs?" + q);
    EXPECT_EQ(r.status, 400) << q << " → " << r.body;
    EXPECT_NE(r.message().find(words), std::string::npos) << q << " → " << r.body;
  }
  EXPECT_EQ(call("POST", "/spend/logs").status, 405);
  EXPECT_EQ(call("GET", "/spend/everything").status, 404);
}

TEST_F(spend_api, a_key_reads_only_its_own_rows) {
  say("alice's key, no filter: only alice's rows (logs and report)");
  EXPECT_EQ(ids(call("GET", "/spend/logs", "", alice_key)), (ids_t{"r2", "r1"}));
  auto rep = call("GET", "/spend/report?group_by=model", "", alice_key);
  ASSERT_EQ(rep.status, 200) << rep.body;
  EXPECT_EQ(rep.j.at("totals").at("requests").as_int64(), 2);
  say("alice's key asking for her own key_id: fine; for bob's: 403");
  EXPECT_EQ(ids(call("GET", "/spend/logs?key_id=" + alice, "", alice_key)), (ids_t{"r2", "r1"}));
  auto r = call("GET", "/spend/logs?key_id=" + bob, "", alice_key);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error_type(), "permission_error");
  EXPECT_EQ(call("GET", "/spend/report?key_id=" + bob, "", alice_key).status, 403);
  say("her filters still apply within her rows");
  EXPECT_EQ(ids(call("GET", "/spend/logs?status=429", "", alice_key)), (ids_t{"r2"}));
  say("bob sees only his; the master sees all");
  EXPECT_EQ(ids(call("GET", "/spend/logs", "", bob_key)), (ids_t{"r3"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs")).size(), 4u);
  say("after revocation her key reads nothing: 401");
  ASSERT_EQ(call("POST", "/key/delete", R"({"key_ids":[")" + alice + R"("]})").status, 200);
  EXPECT_EQ(call("GET", "/spend/logs", "", alice_key).status, 401);
}

TEST_F(spend_api, report_groups_and_totals) {
  say("group_by=model: one row per model with sums, and totals");
  auto r = call("GET", "/spend/report?group_by=model");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("group_by").as_string(), "model");
  const auto& rows = r.j.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("group").as_string(), "claude-haiku-4");
  EXPECT_EQ(rows[0].at("requests").as_int64(), 1);
  EXPECT_EQ(rows[1].at("group").as_string(), "claude-sonnet-4");
  EXPECT_EQ(rows[1].at("requests").as_int64(), 3);
  EXPECT_EQ(rows[1].at("input_tokens").as_int64(), 1100);
  EXPECT_EQ(rows[1].at("output_tokens").as_int64(), 220);
  EXPECT_EQ(rows[1].at("cache_read_input_tokens").as_int64(), 10);
  EXPECT_DOUBLE_EQ(rows[1].at("cost_usd").as_double(), 0.01);
  EXPECT_EQ(rows[1].at("unpriced_requests").as_int64(), 2);
  const auto& t = r.j.at("totals");
  EXPECT_EQ(t.at("requests").as_int64(), 4);
  EXPECT_EQ(t.at("input_tokens").as_int64(), 1110);
  EXPECT_DOUBLE_EQ(t.at("cost_usd").as_double(), 0.011);
  EXPECT_EQ(t.at("unpriced_requests").as_int64(), 2);

  say("group_by=day: UTC days");
  r = call("GET", "/spend/report?group_by=day");
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> days;
  for (const auto& row : r.j.at("rows").as_array()) days.emplace_back(row.at("group").as_string());
  EXPECT_EQ(days, (std::vector<std::string>{"2024-05-01", "2024-05-02", "2024-05-03"}));
  say("group_by=credential and group_by=key (the default), with filters");
  r = call("GET", "/spend/report?group_by=credential&status=200");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j.at("rows").as_array().size(), 2u);
  EXPECT_EQ(r.j.at("totals").at("requests").as_int64(), 2);
  r = call("GET", "/spend/report");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j.at("group_by").as_string(), "key");
  EXPECT_EQ(r.j.at("rows").as_array().size(), 3u);  // alice, bob and the anonymous ""
  say("an unknown group_by or paging parameters: 400");
  r = call("GET", "/spend/report?group_by=user");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.message().find("'group_by'"), std::string::npos);
  EXPECT_EQ(call("GET", "/spend/report?page=2").status, 400);
  say("an empty selection: no rows, zero totals");
  r = call("GET", "/spend/report?model=gpt-5");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j.at("rows").as_array().size(), 0u);
  EXPECT_EQ(r.j.at("totals").at("requests").as_int64(), 0);
}

TEST_F(spend_api, logs_filter_by_who_made_them) {
  say("end_user, session_id, client and outcome filter the rows");
  EXPECT_EQ(ids(call("GET", "/spend/logs?end_user=acct-alice")), (ids_t{"r2", "r1"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?session_id=sess-3")), (ids_t{"r3"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?client=claude-cli/2.1.3")), (ids_t{"r2", "r1"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?client=Anthropic/JS%200.60.0")), (ids_t{"r3"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?outcome=upstream_error")), (ids_t{"r4", "r2"}));
  EXPECT_EQ(ids(call("GET", "/spend/logs?end_user=acct-alice&outcome=ok")), (ids_t{"r1"}));
  say("an unknown outcome or an over-long filter is 400 naming it");
  EXPECT_EQ(call("GET", "/spend/logs?outcome=maybe").status, 400);
  EXPECT_EQ(call("GET", "/spend/logs?end_user=" + std::string(300, 'x')).status, 400);
}

TEST_F(spend_api, logs_keyset_paging_with_before_and_after) {
  say("size=2: the first page's next_before leads to the next two, then to none; the same rows as offset paging");
  auto p1 = call("GET", "/spend/logs?size=2");
  EXPECT_EQ(ids(p1), (ids_t{"r4", "r3"}));
  ASSERT_TRUE(p1.j.at("next_before").is_string()) << p1.body;
  auto p2 = call("GET", "/spend/logs?size=2&before=" + std::string(p1.j.at("next_before").as_string()));
  EXPECT_EQ(ids(p2), (ids_t{"r2", "r1"}));
  EXPECT_FALSE(p2.j.at("has_more").as_bool());
  EXPECT_TRUE(p2.j.at("next_before").is_null());
  say("after=<oldest row's cursor>: every newer row, newest first (a live tail asks this)");
  const auto oldest = std::string(p2.j.at("logs").as_array()[1].at("cursor").as_string());
  EXPECT_EQ(ids(call("GET", "/spend/logs?after=" + oldest)), (ids_t{"r4", "r3", "r2"}));
  const auto newest = std::string(p1.j.at("logs").as_array()[0].at("cursor").as_string());
  EXPECT_EQ(ids(call("GET", "/spend/logs?after=" + newest)), ids_t{});
  say("filters apply with a cursor; a bad cursor, or a cursor with page, is 400");
  EXPECT_EQ(ids(call("GET", "/spend/logs?end_user=acct-alice&before=" + newest)), (ids_t{"r2", "r1"}));
  EXPECT_EQ(call("GET", "/spend/logs?before=yesterday").status, 400);
  EXPECT_EQ(call("GET", "/spend/logs?page=2&before=" + newest).status, 400);
  EXPECT_EQ(call("GET", "/spend/report?before=" + newest).status, 400);
}

TEST_F(spend_api, report_by_who_and_split) {
  say("group_by=end_user and group_by=client; rows without attribution group under ''");
  auto r = call("GET", "/spend/report?group_by=end_user");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::pair<std::string, std::int64_t>> got;
  for (const auto& row : r.j.at("rows").as_array())
    got.emplace_back(row.at("group").as_string(), row.at("requests").as_int64());
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::int64_t>>{{"", 1}, {"acct-alice", 2}, {"acct-bob", 1}}));
  r = call("GET", "/spend/report?group_by=client&start_date=2024-05-01&end_date=2024-05-03");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("rows").as_array().size(), 3u);
  say("group_by=day&split_by=credential: one row per day and credential kind, each with its split");
  r = call("GET", "/spend/report?group_by=day&split_by=credential");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("split_by").as_string(), "credential");
  std::vector<std::string> pairs;
  for (const auto& row : r.j.at("rows").as_array())
    pairs.push_back(std::string(row.at("group").as_string()) + "/" + std::string(row.at("split").as_string()));
  EXPECT_EQ(pairs, (std::vector<std::string>{"2024-05-01/oauth", "2024-05-02/byok", "2024-05-03/none",
                                             "2024-05-03/server"}));
  EXPECT_EQ(r.j.at("totals").at("requests").as_int64(), 4);
  say("group_by=hour: 'YYYY-MM-DDTHH:00Z'; session_id groups too");
  r = call("GET", "/spend/report?group_by=hour&key_id=" + alice);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> hours;
  for (const auto& row : r.j.at("rows").as_array()) hours.emplace_back(row.at("group").as_string());
  EXPECT_EQ(hours, (std::vector<std::string>{"2024-05-01T00:00Z", "2024-05-02T00:00Z"}));
  r = call("GET", "/spend/report?group_by=session_id&end_user=acct-alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("rows").as_array().size(), 2u);
  say("split_by a time, or an unknown group, is 400");
  EXPECT_EQ(call("GET", "/spend/report?group_by=key&split_by=day").status, 400);
  EXPECT_EQ(call("GET", "/spend/report?group_by=week").status, 400);
}

TEST_F(spend_api, reports_from_the_daily_sums_equal_reports_from_the_rows) {
  say("the same report over whole days (the sums answer) and over a range one ms wider (the rows answer) agree");
  for (std::string g : {"key", "model", "credential", "day", "end_user", "client"}) {
    auto sums = call("GET", "/spend/report?group_by=" + g + "&start_date=2024-05-01&end_date=2024-05-03");
    auto rows = call("GET", "/spend/report?group_by=" + g +
                            "&start_date=2024-04-30T23:59:59.999Z&end_date=2024-05-03");
    ASSERT_EQ(sums.status, 200) << sums.body;
    ASSERT_EQ(rows.status, 200) << rows.body;
    EXPECT_EQ(sums.j.at("rows"), rows.j.at("rows")) << g;
    EXPECT_EQ(sums.j.at("totals"), rows.j.at("totals")) << g;
  }
}

}  // namespace
}  // namespace passgate::admin::test
