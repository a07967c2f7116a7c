#pragma once
// The spend rows the store tests write, shared by the SQLite and PostgreSQL
// tests so that both backends are held to the same data.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "usage/spend_record.hpp"

namespace passgate::store::test_rows {

inline constexpr std::int64_t day1 = 1'714'521'600'000;  // 2024-05-01T00:00:00Z in ms
inline constexpr std::int64_t day2 = day1 + 86'400'000;

inline usage::spend_record row(int n, std::int64_t at, std::string key, std::string model, std::string credential,
                               int status) {
  usage::spend_record r;
  r.request_id = "req_" + std::to_string(n);
  r.started_at_ms = at;
  r.duration_ms = 100 * n;
  r.key_id = std::move(key);
  r.key_alias = r.key_id.empty() ? "" : "alias-" + r.key_id;
  r.route = "anthropic";
  r.provider = "anthropic";
  r.path = "/v1/messages";
  r.method = "POST";
  r.status = status;
  r.model = std::move(model);
  r.credential = std::move(credential);
  r.outcome = status == 200 ? "ok" : "upstream_error";
  return r;
}

inline void set_tokens(usage::spend_record& r, std::optional<std::int64_t> in, std::optional<std::int64_t> out,
                       std::optional<std::int64_t> cache_creation, std::optional<std::int64_t> cache_read,
                       std::optional<double> cost) {
  r.input_tokens = in;
  r.output_tokens = out;
  r.cache_creation_input_tokens = cache_creation;
  r.cache_read_input_tokens = cache_read;
  r.cost_usd = cost;
}

// Six requests over two UTC days, two keys and an anonymous caller; req_3, req_5
// and req_6 have no known cost; req_2's path needs quoting in an array literal.
inline std::vector<usage::spend_record> sample_rows() {
  std::vector<usage::spend_record> rows;
  rows.push_back(row(1, day1 + 1000, "key_a", "claude-sonnet", "oauth", 200));
  set_tokens(rows.back(), 100, 50, 10, 5, 0.01);
  rows.back().ttfb_ms = 40;
  rows.push_back(row(2, day1 + 2000, "key_a", "claude-haiku", "byok", 200));
  set_tokens(rows.back(), 200, 20, std::nullopt, std::nullopt, 0.002);
  rows.back().path = R"(/v1/{"odd", \path},NULL)";
  rows.push_back(row(3, day1 + 3000, "key_b", "claude-sonnet", "server", 429));
  rows.push_back(row(4, day2 + 1000, "key_b", "claude-sonnet", "server", 200));
  set_tokens(rows.back(), 1000, 500, 0, 300, 0.5);
  rows.push_back(row(5, day2 + 2000, "", "", "none", 401));
  rows.push_back(row(6, day2 + 3000, "key_a", "mystery-model", "oauth", 200));
  set_tokens(rows.back(), 10, 10, std::nullopt, std::nullopt, std::nullopt);
  rows.back().route = "gpt";  // an OpenAI route: the provider round-trips apart from the route's name
  rows.back().provider = "openai";
  return rows;
}

// Every stored field of a row read back equals the row written (row_id aside:
// the store assigns it).
inline void expect_same_row(const usage::spend_record& g, const usage::spend_record& e) {
  SCOPED_TRACE(e.request_id);
  EXPECT_EQ(g.request_id, e.request_id);
  EXPECT_EQ(g.started_at_ms, e.started_at_ms);
  EXPECT_EQ(g.duration_ms, e.duration_ms);
  EXPECT_EQ(g.ttfb_ms, e.ttfb_ms);
  EXPECT_EQ(g.key_id, e.key_id);
  EXPECT_EQ(g.key_alias, e.key_alias);
  EXPECT_EQ(g.route, e.route);
  EXPECT_EQ(g.provider, e.provider);
  EXPECT_EQ(g.path, e.path);
  EXPECT_EQ(g.method, e.method);
  EXPECT_EQ(g.status, e.status);
  EXPECT_EQ(g.model, e.model);
  EXPECT_EQ(g.credential, e.credential);
  EXPECT_EQ(g.input_tokens, e.input_tokens);
  EXPECT_EQ(g.output_tokens, e.output_tokens);
  EXPECT_EQ(g.cache_creation_input_tokens, e.cache_creation_input_tokens);
  EXPECT_EQ(g.cache_read_input_tokens, e.cache_read_input_tokens);
  EXPECT_EQ(g.cost_usd, e.cost_usd);
  EXPECT_EQ(g.outcome, e.outcome);
  EXPECT_EQ(g.end_user, e.end_user);
  EXPECT_EQ(g.session_id, e.session_id);
  EXPECT_EQ(g.agent_id, e.agent_id);
  EXPECT_EQ(g.client, e.client);
}

inline std::vector<std::string> ids(const std::vector<usage::spend_record>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.request_id);
  return out;
}

}  // namespace passgate::store::test_rows
