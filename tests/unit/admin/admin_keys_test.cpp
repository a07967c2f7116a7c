// The /key/* endpoints: who may call them, generate/info/list/update/delete, and
// strict validation of every body, with the key cache seeing each change.
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include "admin/render_json.hpp"
#include "unit/admin/admin_fixture.hpp"

namespace passgate::admin::test {
namespace {

using keys_api = admin_fixture;

// ---- who may call ----

TEST_F(keys_api, refuses_callers_without_the_master_key) {
  say("no key: 401 in Anthropic's error shape");
  auto r = call("GET", "/key/list", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.j.at("type").as_string(), "error");
  EXPECT_EQ(r.error_type(), "authentication_error");

  say("an unknown key: 401, and the answer does not echo it");
  r = call("GET", "/key/list", "", "sk-pg-NotOurKey0123456789abcdefghijklmnopqrstuv");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body.find("NotOurKey"), std::string::npos);

  say("Authorization with another scheme than Bearer: 401");
  EXPECT_EQ(call_with_authorization("GET", "/key/list", "Basic " + master).status, 401);

  say("the master key passes in x-passgate-key, with or without 'Bearer ', and in Authorization: Bearer");
  EXPECT_EQ(call("GET", "/key/list").status, 200);
  EXPECT_EQ(call("GET", "/key/list", "", "Bearer " + master).status, 200);
  EXPECT_EQ(call_with_authorization("GET", "/key/list", "Bearer " + master).status, 200);
  EXPECT_EQ(call_with_authorization("GET", "/key/list", "bearer  " + master + " ").status, 200);
}

TEST_F(keys_api, a_non_master_key_may_not_manage_keys) {
  auto [key, id] = generate();
  ASSERT_TRUE(cache_knows(key));
  say("a valid non-master key on every /key/ endpoint: 403 permission_error (authenticated, not allowed)");
  for (auto [method, target] : {std::pair{"POST", "/key/generate"}, {"GET", "/key/list"}, {"GET", "/key/info?key_id=x"},
                                {"POST", "/key/update"}, {"POST", "/key/delete"}, {"GET", "/key/nope"}}) {
    auto r = call(method, target, "{}", key);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(r.error_type(), "permission_error") << target;
    EXPECT_EQ(r.body.find(key), std::string::npos);
  }
  say("nothing was created by it");
  EXPECT_EQ(st->list_keys({0, 10}).size(), 1u);
}

TEST_F(keys_api, unknown_endpoint_is_404_and_wrong_method_405) {
  say("an unknown /key/ path: 404 not_found_error listing the endpoints");
  auto r = call("POST", "/key/regenerate", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_type(), "not_found_error");
  EXPECT_NE(r.message().find("/key/generate"), std::string::npos);
  say("a wrong method: 405 naming the right one");
  r = call("GET", "/key/generate");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.message().find("POST"), std::string::npos);
  EXPECT_EQ(call("POST", "/key/list").status, 405);
  EXPECT_EQ(call("DELETE", "/key/delete").status, 405);
}

// ---- generate ----

TEST_F(keys_api, generate_with_defaults) {
  say("{} makes a usable key: sk-pg- key, key_ id, ISO times, no limits, every route and credential");
  auto r = call("POST", "/key/generate", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  auto key = std::string(r.j.at("key").as_string());
  EXPECT_TRUE(auth::looks_like_virtual_key(key)) << key;
  EXPECT_TRUE(r.j.at("key_id").as_string().starts_with("key_"));
  EXPECT_EQ(r.j.at("key_prefix").as_string(), auth::display_prefix(key));
  EXPECT_EQ(r.j.at("key_alias").as_string(), "");
  EXPECT_EQ(r.j.at("created_at").as_string(), "2024-05-01T00:00:00Z");
  EXPECT_TRUE(r.j.at("expires_at").is_null());
  EXPECT_EQ(r.j.at("revoked").as_bool(), false);
  for (auto f : {"max_budget", "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests"})
    EXPECT_TRUE(r.j.at(f).is_null()) << f;
  EXPECT_EQ(json::serialize(r.j.at("metadata")), "{}");
  EXPECT_EQ(json::serialize(r.j.at("allowed_routes")), "[]");
  EXPECT_EQ(json::serialize(r.j.at("allowed_credentials")), R"(["oauth","byok","bearer","server","none"])");

  say("an empty body reads as {}");
  EXPECT_EQ(call("POST", "/key/generate", "").status, 200);
}

TEST_F(keys_api, generate_stores_only_the_hash_and_the_cache_finds_the_key) {
  auto r = call("POST", "/key/generate", R"({"key_alias":"ci-bot"})");
  ASSERT_EQ(r.status, 200);
  auto key = std::string(r.j.at("key").as_string());
  auto id = std::string(r.j.at("key_id").as_string());
  say("the store has the key's SHA-256 and display prefix, never the key");
  auto stored = st->find_key_by_id(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->key_hash, auth::hash_key(key));
  EXPECT_EQ(stored->key_prefix, auth::display_prefix(key));
  EXPECT_EQ(stored->key_alias, "ci-bot");
  say("no later answer shows the full key");
  EXPECT_EQ(call("GET", "/key/list").body.find(key), std::string::npos);
  EXPECT_EQ(call("GET", "/key/info?key_id=" + id).body.find(key), std::string::npos);
  say("key_cache::find accepts it as soon as the API answered (the API waits for its cache)");
  ASSERT_TRUE(cache.find(key));
  EXPECT_EQ(cache.find(key)->key_id, id);
  EXPECT_FALSE(cache.find(key)->is_master);
}

TEST_F(keys_api, generate_with_every_field) {
  say("every LiteLLM field is applied, in the answer, the store and the cache");
  auto r = call("POST", "/key/generate", R"({
      "key_alias": "team-ml", "duration": "30d", "max_budget": 12.5, "budget_duration": "30d",
      "rpm_limit": 10, "tpm_limit": 100000, "max_parallel_requests": 2,
      "metadata": {"team": "ml", "n": [1, 2]},
      "allowed_routes": ["anthropic"], "allowed_credentials": ["oauth", "byok"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("key_alias").as_string(), "team-ml");
  EXPECT_EQ(r.j.at("expires_at").as_string(), "2024-05-31T00:00:00Z");
  EXPECT_EQ(r.j.at("max_budget").as_double(), 12.5);
  EXPECT_EQ(r.j.at("budget_duration").as_string(), "30d");
  EXPECT_EQ(r.j.at("rpm_limit").as_int64(), 10);
  EXPECT_EQ(r.j.at("tpm_limit").as_int64(), 100000);
  EXPECT_EQ(r.j.at("max_parallel_requests").as_int64(), 2);
  EXPECT_EQ(r.j.at("metadata").at("team").as_string(), "ml");
  EXPECT_EQ(json::serialize(r.j.at("allowed_routes")), R"(["anthropic"])");
  EXPECT_EQ(json::serialize(r.j.at("allowed_credentials")), R"(["oauth","byok"])");

  auto stored = st->find_key_by_id(std::string(r.j.at("key_id").as_string()));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->expires_at, t0 + 30 * 86400);
  EXPECT_EQ(stored->rpm_limit, 10);
  EXPECT_EQ(stored->allowed_routes, std::vector<std::string>{"anthropic"});
  EXPECT_TRUE(stored->allowed_credentials.contains(policy::credential_label::oauth));
  EXPECT_FALSE(stored->allowed_credentials.contains(policy::credential_label::server));
  EXPECT_EQ(json::parse(stored->metadata_json).at("n").as_array().size(), 2u);

  auto key = std::string(r.j.at("key").as_string());
  ASSERT_TRUE(cache_knows(key));
  EXPECT_EQ(cache.find(key)->tpm_limit, 100000);
  say("null means the default, like an absent field");
  r = call("POST", "/key/generate", R"({"duration":null,"rpm_limit":null,"allowed_credentials":null,"metadata":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.j.at("expires_at").is_null());
  EXPECT_EQ(r.j.at("allowed_credentials").as_array().size(), 5u);
}

TEST_F(keys_api, generate_validates_strictly) {
  struct bad_case {
    std::string body;
    std::string words;  // must appear in the message
  };
  const bad_case cases[] = {
      {"{", "malformed JSON"},
      {R"({"key_alias": "a",})", "malformed JSON"},
      {"[1]", "must be a JSON object"},
      {"\"x\"", "must be a JSON object"},
      {R"({"models": ["claude"]})", "unknown field 'models'"},
      {R"({"key": "sk-pg-custom"})", "unknown field 'key'"},
      {R"({"rpm_limit": "10"})", "field 'rpm_limit' must be an integer or null, not a string"},
      {R"({"tpm_limit": 1.5})", "field 'tpm_limit' must be an integer"},
      {R"({"max_parallel_requests": true})", "field 'max_parallel_requests' must be an integer"},
      {R"({"max_budget": "12"})", "field 'max_budget' must be a number"},
      {R"({"key_alias": 5})", "field 'key_alias' must be a string"},
      {R"({"duration": 30})", "field 'duration' must be a string"},
      {R"({"metadata": ["a"]})", "field 'metadata' must be an object"},
      {R"({"metadata": "{}"})", "field 'metadata' must be an object"},
      {R"({"allowed_routes": "anthropic"})", "field 'allowed_routes' must be an array of strings"},
      {R"({"allowed_credentials": ["oauth", 1]})", "element 1 is a number"},
      {R"({"rpm_limit": -1})", "field 'rpm_limit' must not be negative"},
      {R"({"tpm_limit": -5})", "field 'tpm_limit' must not be negative"},
      {R"({"max_parallel_requests": -2})", "field 'max_parallel_requests' must not be negative"},
      {R"({"max_budget": -0.5})", "field 'max_budget' must be a number not below 0"},
      {R"({"duration": "30 days"})", "field 'duration' must be a duration"},
      {R"({"duration": "-1d"})", "field 'duration' must be a duration"},
      {R"({"budget_duration": "monthly"})", "field 'budget_duration' must be a period such as 1d, 1w, 1mo"},
      {R"({"allowed_routes": ["anthropic", "gemini"]})", "unknown route 'gemini'"},
      {R"({"allowed_credentials": ["oauth", "cookie"]})", "unknown credential 'cookie'"},
      {R"({"allowed_credentials": []})", "must name at least one"},
      {R"({"rpm_limit": 99999999999999999999})", "rpm_limit"},
  };
  for (const auto& c : cases) {
    say("POST /key/generate " + c.body + " → 400 \"…" + c.words + "…\"");
    auto r = call("POST", "/key/generate", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " → " << r.body;
    EXPECT_EQ(r.error_type(), "invalid_request_error") << r.body;
    EXPECT_NE(r.message().find(c.words), std::string::npos) << c.body << " → " << r.body;
  }
  say("no refused request stored a key");
  EXPECT_TRUE(st->list_keys({0, 10}).empty());
}

// ---- info ----

TEST_F(keys_api, info_by_id_and_by_full_key) {
  auto [key, id] = generate(R"({"key_alias":"bob"})");
  usage::spend_record row;
  row.request_id = "req_1";
  row.key_id = id;
  row.cost_usd = 0.25;
  usage::spend_record row2 = row;
  row2.request_id = "req_2";
  row2.cost_usd = 0.5;
  st->insert_spend({row, row2});

  say("?key_id=: the record under 'info', with its total spend");
  auto r = call("GET", "/key/info?key_id=" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("key_id").as_string(), id);
  EXPECT_EQ(r.j.at("info").at("key_alias").as_string(), "bob");
  EXPECT_DOUBLE_EQ(r.j.at("info").at("spend").as_double(), 0.75);
  say("?key=<full key> (LiteLLM's way) finds the same key");
  r = call("GET", "/key/info?key=" + key);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("key_id").as_string(), id);

  say("unknown id or key: 404; an unknown key is not echoed");
  r = call("GET", "/key/info?key_id=key_0000000000000000");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_type(), "not_found_error");
  r = call("GET", "/key/info?key=sk-pg-SecretButUnknown00000000000000000000000000");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find("SecretButUnknown"), std::string::npos);

  say("neither, both, or an unknown parameter: 400");
  EXPECT_EQ(call("GET", "/key/info").status, 400);
  EXPECT_EQ(call("GET", "/key/info?key_id=" + id + "&key=" + key).status, 400);
  r = call("GET", "/key/info?key_id=" + id + "&verbose=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.message().find("'verbose'"), std::string::npos);
  EXPECT_EQ(call("GET", "/key/info?key_id=a&key_id=b").status, 400);
}

// ---- list ----

TEST_F(keys_api, list_pages_through_every_key_once) {
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) made.insert(generate().second);
  say("size=2: pages 1 and 2 are full with has_more, page 3 has the last key");
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto r = call("GET", "/key/list?page=" + std::to_string(page) + "&size=2");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto& keys = r.j.at("keys").as_array();
    EXPECT_EQ(keys.size(), page < 3 ? 2u : 1u);
    EXPECT_EQ(r.j.at("has_more").as_bool(), page < 3);
    EXPECT_EQ(r.j.at("page").as_int64(), page);
    EXPECT_EQ(r.j.at("size").as_int64(), 2);
    for (const auto& k : keys) {
      EXPECT_FALSE(k.as_object().contains("key"));
      EXPECT_FALSE(k.as_object().contains("key_hash"));
      seen.insert(std::string(k.at("key_id").as_string()));
    }
  }
  EXPECT_EQ(seen, made);
  say("defaults: page 1, size 100; LiteLLM's return_full_object is accepted");
  auto r = call("GET", "/key/list?return_full_object=true");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j.at("keys").as_array().size(), 5u);
  EXPECT_EQ(r.j.at("size").as_int64(), 100);
  say("page past the end: empty");
  EXPECT_EQ(call("GET", "/key/list?page=9&size=2").j.at("keys").as_array().size(), 0u);
  say("page 0, size 0, size 1001, non-numbers and unknown parameters: 400");
  for (auto q : {"page=0", "size=0", "size=1001", "page=abc", "size=-1", "page=1.5", "sort=created_at"}) {
    auto bad = call("GET", std::string("/key/list?") + q);
    EXPECT_EQ(bad.status, 400) << q;
  }
}

// ---- update ----

TEST_F(keys_api, update_changes_given_fields_only) {
  auto [key, id] = generate(R"({"key_alias":"before","rpm_limit":10,"tpm_limit":500,"metadata":{"a":1}})");
  ASSERT_TRUE(cache_knows(key));
  say("key_alias and rpm_limit change; tpm_limit and metadata stay");
  auto r = call("POST", "/key/update", R"({"key_id":")" + id + R"(","key_alias":"after","rpm_limit":5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("key_alias").as_string(), "after");
  EXPECT_EQ(r.j.at("rpm_limit").as_int64(), 5);
  EXPECT_EQ(r.j.at("tpm_limit").as_int64(), 500);
  EXPECT_EQ(r.j.at("metadata").at("a").as_int64(), 1);
  EXPECT_EQ(st->find_key_by_id(id)->key_alias, "after");
  say("the cache shows the change as soon as the API answered");
  ASSERT_TRUE(cache.find(key));
  EXPECT_EQ(cache.find(key)->rpm_limit, 5);
  EXPECT_EQ(cache.find(key)->key_alias, "after");

  say("null clears: tpm_limit back to none, metadata back to {}");
  r = call("POST", "/key/update", R"({"key_id":")" + id + R"(","tpm_limit":null,"metadata":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.j.at("tpm_limit").is_null());
  EXPECT_EQ(json::serialize(r.j.at("metadata")), "{}");
}

TEST_F(keys_api, update_duration_sets_expiry_and_expired_keys_are_refused) {
  auto [key, id] = generate();
  ASSERT_TRUE(cache_knows(key));
  say("duration 1h from now: expires_at set");
  auto r = call("POST", "/key/update", R"({"key_id":")" + id + R"(","duration":"1h"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j.at("expires_at").as_string(), "2024-05-01T01:00:00Z");
  ASSERT_TRUE(cache.find(key));
  EXPECT_EQ(cache.find(key)->expires_at, t0 + 3600);
  say("an hour and a second later the key is refused, by the cache and by the admin API");
  now += 3601;
  EXPECT_FALSE(cache.find(key));
  EXPECT_EQ(call("GET", "/spend/logs", "", key).status, 401);
  say("duration null: never expires again");
  r = call("POST", "/key/update", R"({"key_id":")" + id + R"(","duration":null})");
  EXPECT_TRUE(r.j.at("expires_at").is_null());
  EXPECT_TRUE(cache.find(key));
}

TEST_F(keys_api, update_refuses_unknown_keys_and_bad_bodies) {
  auto [key, id] = generate();
  say("an unknown key_id: 404");
  auto r = call("POST", "/key/update", R"({"key_id":"key_ffffffffffffffff","rpm_limit":1})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_type(), "not_found_error");
  say("no key_id, a key_id that is not a string, unknown fields, negative limits: 400 naming the field");
  for (auto [body, words] : {std::pair<std::string, std::string>{R"({"rpm_limit":1})", "'key_id' is required"},
                             {R"({"key_id":7})", "field 'key_id' must be a string"},
                             {R"({"key_id":")" + id + R"(","revoked":false})", "unknown field 'revoked'"},
                             {R"({"key_id":")" + id + R"(","max_parallel_requests":-1})", "must not be negative"},
                             {"{\"key_id\":", "malformed JSON"}}) {
    r = call("POST", "/key/update", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.message().find(words), std::string::npos) << body << " → " << r.body;
  }
  say("the refused updates changed nothing");
  EXPECT_FALSE(st->find_key_by_id(id)->max_parallel_requests);
}

// ---- delete ----

TEST_F(keys_api, delete_by_full_keys_revokes_them) {
  auto [key, id] = generate();
  auto [other, other_id] = generate();
  ASSERT_TRUE(cache_knows(key));
  say("{\"keys\": [full key]} revokes it and answers its id, not the key");
  auto r = call("POST", "/key/delete", R"({"keys":[")" + key + R"("]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::serialize(r.j.at("deleted_keys")), "[\"" + id + "\"]");
  EXPECT_EQ(r.body.find(key), std::string::npos);
  EXPECT_TRUE(st->find_key_by_id(id)->revoked);
  EXPECT_EQ(call("GET", "/key/info?key_id=" + id).j.at("info").at("revoked").as_bool(), true);
  say("the cache dropped it by the time the API answered; the other key still works");
  EXPECT_FALSE(cache.find(key));
  EXPECT_TRUE(cache.find(other));
  say("an unknown full key is reported by its display prefix only");
  auto unknown = auth::generate_key();
  r = call("POST", "/key/delete", R"({"keys":[")" + unknown + R"("]})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j.at("deleted_keys").as_array().size(), 0u);
  EXPECT_EQ(json::serialize(r.j.at("not_found")), "[\"" + auth::display_prefix(unknown) + "\"]");
  EXPECT_EQ(r.body.find(unknown), std::string::npos);
}

TEST_F(keys_api, delete_by_key_ids) {
  auto [k1, id1] = generate();
  auto [k2, id2] = generate();
  auto [k3, id3] = generate();
  ASSERT_TRUE(cache_knows(k3));
  say("{\"key_ids\": [two ids, an unknown one]}: two deleted, one not found");
  auto r = call("POST", "/key/delete", R"({"key_ids":[")" + id1 + R"(",")" + id2 + R"(","key_nope"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::serialize(r.j.at("deleted_keys")), "[\"" + id1 + "\",\"" + id2 + "\"]");
  EXPECT_EQ(json::serialize(r.j.at("not_found")), R"(["key_nope"])");
  EXPECT_FALSE(cache.find(k1));
  EXPECT_FALSE(cache.find(k2));
  EXPECT_TRUE(cache.find(k3));
  say("the master key is not a stored key: it cannot be deleted");
  r = call("POST", "/key/delete", R"({"key_ids":["master"],"keys":[")" + master + R"("]})");
  EXPECT_EQ(r.j.at("deleted_keys").as_array().size(), 0u);
  EXPECT_TRUE(cache.find(master));
  say("bodies naming nothing, of the wrong type or with unknown fields: 400");
  for (auto [body, words] : {std::pair<std::string, std::string>{"{}", "name the keys"},
                             {R"({"keys":[]})", "name the keys"},
                             {R"({"keys":"sk-pg-x"})", "field 'keys' must be an array of strings"},
                             {R"({"key_ids":[1]})", "field 'key_ids'"},
                             {R"({"key_aliases":["a"]})", "unknown field 'key_aliases'"},
                             {"not json", "malformed JSON"}}) {
    r = call("POST", "/key/delete", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.message().find(words), std::string::npos) << body << " → " << r.body;
  }
}

// ---- failures of the store ----

namespace pg_store = ::passgate::store;  // inside a store subclass, `store` names the class

// A store whose every call fails, as a broken database would; `unavailable`: as a
// locked one would (store::unavailable).
class failing_store final : public pg_store::store {
 public:
  explicit failing_store(bool unavailable = false) : unavailable_(unavailable) {}
  [[noreturn]] void fail() const {
    if (unavailable_) throw pg_store::unavailable("sqlite /srv/passgate.db: database is locked (begin transaction)");
    throw std::runtime_error("sqlite: disk I/O error");
  }
  void insert_key(const auth::key_record&) override { fail(); }
  std::optional<auth::key_record> find_key_by_hash(const std::string&) override { fail(); }
  std::optional<auth::key_record> find_key_by_id(const std::string&) override { fail(); }
  std::vector<auth::key_record> list_keys(pg_store::page) override { fail(); }
  bool update_key(const auth::key_record&) override { fail(); }
  bool revoke_key_by_id(const std::string&) override { fail(); }
  bool revoke_key_by_hash(const std::string&) override { fail(); }
  std::int64_t keys_version() override { fail(); }
  void insert_spend(const std::vector<usage::spend_record>&) override { fail(); }
  std::vector<usage::spend_record> spend_logs(const pg_store::spend_filter&, pg_store::page) override { fail(); }
  std::vector<pg_store::spend_group_row> spend_report(const pg_store::spend_filter&, pg_store::spend_group, std::optional<pg_store::spend_group>) override { fail(); }
  double key_spend_usd(const std::string&, std::int64_t, policy::label_set) override { fail(); }
  std::vector<usage::spend_record> spend_in_order(std::int64_t&, std::int64_t) override { fail(); }
  int schema_version() override { fail(); }
  std::string describe() const override { return "failing store"; }

 private:
  bool unavailable_;
};

TEST(admin_api_store_failure, is_a_500_in_anthropic_shape) {
  say("a failing store: 500 api_error with the store's message; the handler does not throw");
  failing_store broken;
  auth::key_cache cache(nullptr, {master_record()});
  admin_api api(broken, cache, test_config());
  proxy::local_request req;
  req.method = "POST";
  req.target = "/key/generate";
  req.passgate_key = master;
  auto res = api.handle(req);
  EXPECT_EQ(res.status, 500);
  auto j = json::parse(res.body);
  EXPECT_EQ(j.at("error").at("type").as_string(), "api_error");
  EXPECT_NE(std::string(j.at("error").at("message").as_string()).find("disk I/O error"), std::string::npos);
  EXPECT_EQ(api.store_failures(), 1u);
}

TEST(admin_api_store_failure, an_unavailable_store_is_a_503_naming_the_file_on_every_endpoint) {
  failing_store locked(true);
  auth::key_cache cache(nullptr, {master_record()});
  admin_api api(locked, cache, test_config());
  const std::string expected =
      "key store unavailable: sqlite /srv/passgate.db: database is locked (begin transaction); try again";
  struct call {
    const char* method;
    const char* target;
    const char* body;
  };
  const call calls[] = {{"POST", "/key/generate", "{}"},
                        {"GET", "/key/info?key_id=key_x", ""},
                        {"GET", "/key/list", ""},
                        {"POST", "/key/update", R"({"key_id":"key_x","key_alias":"a"})"},
                        {"POST", "/key/delete", R"({"key_ids":["key_x"]})"},
                        {"GET", "/spend/logs", ""},
                        {"GET", "/spend/report?group_by=model", ""}};
  say("a locked store on each of the 7 endpoints: 503 overloaded_error, '" + expected + "'");
  for (const auto& c : calls) {
    proxy::local_request req;
    req.method = c.method;
    req.target = c.target;
    req.body = c.body;
    req.passgate_key = master;
    auto res = api.handle(req);
    EXPECT_EQ(res.status, 503) << c.target << ": " << res.body;
    auto j = json::parse(res.body);
    EXPECT_EQ(j.at("type").as_string(), "error") << c.target;
    EXPECT_EQ(j.at("error").at("type").as_string(), "overloaded_error") << c.target;
    EXPECT_EQ(j.at("error").at("message").as_string(), expected) << c.target;
  }
  EXPECT_EQ(api.store_failures(), 7u);
}

TEST(admin_api_store_failure, a_locked_sqlite_file_answers_503_for_writes_while_reads_go_on) {
  char tmpl[] = "/tmp/passgate-admin-locked-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, path = dir + "/passgate.db";
  {
    auto st = pg_store::open_sqlite(path, {.busy_timeout = 20ms});
    auth::key_cache cache(st.get(), {master_record()});
    cache.start();
    admin_api api(*st, cache, test_config());
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    proxy::local_request req;
    req.passgate_key = master;
    req.method = "POST";
    req.target = "/key/generate";
    req.body = "{}";
    say("another connection holds the write lock: /key/generate answers 503 with SQLite's reason and the file");
    auto res = api.handle(req);
    EXPECT_EQ(res.status, 503) << res.body;
    auto message = std::string(json::parse(res.body).at("error").at("message").as_string());
    EXPECT_TRUE(message.starts_with("key store unavailable: sqlite " + path + ": database is locked (")) << message;
    EXPECT_TRUE(message.ends_with("); try again")) << message;
    say("reads are not blocked by a write lock (WAL): /key/list and /spend/logs answer 200");
    req.method = "GET";
    req.body.clear();
    req.target = "/key/list";
    EXPECT_EQ(api.handle(req).status, 200);
    req.target = "/spend/logs";
    EXPECT_EQ(api.handle(req).status, 200);
    say("released: /key/generate works");
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    req.method = "POST";
    req.target = "/key/generate";
    req.body = "{}";
    EXPECT_EQ(api.handle(req).status, 200);
    cache.stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace passgate::admin::test
