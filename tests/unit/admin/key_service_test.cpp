// The key service as the CLI uses it (no cache), the text rendering, and JSON
// rendering shared with the API.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <iostream>

#include "admin/key_request.hpp"
#include "admin/key_service.hpp"
#include "admin/render_json.hpp"
#include "admin/render_text.hpp"
#include "auth/key_format.hpp"
#include "store/store.hpp"

namespace passgate::admin {
namespace {

config::config route_config() {
  config::config c;
  c.routes["anthropic"].name = "anthropic";
  return c;
}

TEST(key_service, works_without_a_cache_as_the_cli_does) {
  std::cout << "  checks: create/info/list/revoke on the store alone; the full key only in create's answer\n";
  auto st = store::open_sqlite(":memory:");
  auto cfg = route_config();
  key_service svc(*st, cfg, nullptr, [] { return std::int64_t(1'714'521'600); });
  key_fields f;
  f.key_alias.emplace("cli");
  f.allowed_credentials.emplace(std::vector<std::string>{"oauth", "byok"});
  auto created = svc.create(f);
  ASSERT_TRUE(created);
  EXPECT_TRUE(auth::looks_like_virtual_key(created->key));
  EXPECT_EQ(st->find_key_by_hash(auth::hash_key(created->key))->key_id, created->record.key_id);

  auto by_key = svc.info_by_key(created->key);
  ASSERT_TRUE(by_key);
  EXPECT_EQ(by_key->key_alias, "cli");
  EXPECT_FALSE(svc.info_by_id("key_missing"));
  EXPECT_EQ(svc.info_by_id("key_missing").error().kind, gateway_error::not_found);

  auto out = svc.revoke({created->key}, {"key_missing"});
  EXPECT_EQ(out.revoked, std::vector<std::string>{created->record.key_id});
  EXPECT_EQ(out.not_found, std::vector<std::string>{"key_missing"});
  EXPECT_TRUE(svc.info_by_id(created->record.key_id)->revoked);
}

TEST(key_service, text_output_shows_the_key_once) {
  std::cout << "  checks: details show the full key only when given; tables align and never show it\n";
  auto st = store::open_sqlite(":memory:");
  auto cfg = route_config();
  key_service svc(*st, cfg, nullptr, [] { return std::int64_t(1'714'521'600); });
  auto created = svc.create({});
  ASSERT_TRUE(created);
  auto details = key_details_text(created->record, &created->key);
  EXPECT_NE(details.find("key:"), std::string::npos);
  EXPECT_NE(details.find(created->key), std::string::npos);
  EXPECT_NE(details.find("expires_at:             never"), std::string::npos) << details;
  EXPECT_EQ(key_details_text(created->record).find(created->key), std::string::npos);

  auto table = key_table_text(svc.list({}));
  EXPECT_EQ(table.find(created->key), std::string::npos);
  EXPECT_NE(table.find(created->record.key_id), std::string::npos);
  EXPECT_NE(table.find("KEY_ID"), std::string::npos);
  EXPECT_NE(table.find("page 1 (1 rows)"), std::string::npos) << table;

  std::cout << "  checks: text_table pads columns by characters, not bytes (the prefix ends in …)\n";
  auto t = text_table({"A", "B"}, {{"x…", "1"}, {"long", "2"}});
  EXPECT_EQ(t, "A     B\nx…    1\nlong  2\n");
}

TEST(key_service, created_key_json_has_the_key_and_every_field) {
  std::cout << "  checks: the creation JSON carries key plus the record fields, never key_hash\n";
  auto st = store::open_sqlite(":memory:");
  auto cfg = route_config();
  key_service svc(*st, cfg, nullptr, [] { return std::int64_t(0); });
  auto created = svc.create({});
  ASSERT_TRUE(created);
  auto j = boost::json::parse(created_key_json(*created)).as_object();
  for (auto f : {"key", "key_id", "key_alias", "key_prefix", "created_at", "expires_at", "revoked", "max_budget",
                 "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests", "metadata", "allowed_routes",
                 "allowed_credentials"})
    EXPECT_TRUE(j.contains(f)) << f;
  EXPECT_FALSE(j.contains("key_hash"));
  EXPECT_EQ(j.at("created_at").as_string(), "1970-01-01T00:00:00Z");
}

TEST(key_request, metadata_text_must_be_an_object) {
  std::cout << "  checks: --metadata takes a JSON object only\n";
  EXPECT_TRUE(parse_metadata_text(R"({"a":1})"));
  EXPECT_EQ(*parse_metadata_text(R"( {"a" : 1} )"), R"({"a":1})");
  EXPECT_FALSE(parse_metadata_text("[1]"));
  EXPECT_FALSE(parse_metadata_text("{"));
  EXPECT_NE(parse_metadata_text("{", "--metadata").error().message.find("--metadata"), std::string::npos);
}

}  // namespace
}  // namespace passgate::admin
