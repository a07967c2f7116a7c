#include "usage/prices.hpp"

#include "usage/default_prices.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace passgate::usage {
namespace {

usage_result usage_of(std::string model, std::int64_t input, std::int64_t output) {
  usage_result u;
  u.model = std::move(model);
  u.input_tokens = input;
  u.output_tokens = output;
  u.saw_usage = true;
  return u;
}

TEST(Prices, DefaultTableHasKnownPrices) {
  std::cout << "checks: the embedded table loads and carries the published prices\n";
  const auto table = price_table::load_default();
  EXPECT_GE(table.size(), 13u);
  const auto expect_prices = [&](std::string_view id, token_prices want) {
    SCOPED_TRACE(std::string(id));
    const auto* p = table.find(id);
    ASSERT_NE(p, nullptr);
    EXPECT_DOUBLE_EQ(p->base.input, want.input);
    EXPECT_DOUBLE_EQ(p->base.output, want.output);
    EXPECT_DOUBLE_EQ(p->base.cache_write_5m, want.cache_write_5m);
    EXPECT_DOUBLE_EQ(p->base.cache_write_1h, want.cache_write_1h);
    EXPECT_DOUBLE_EQ(p->base.cache_read, want.cache_read);
  };
  expect_prices("claude-opus-4-5-20251101", {5, 25, 6.25, 10, 0.5});
  expect_prices("claude-opus-4-1-20250805", {15, 75, 18.75, 30, 1.5});
  expect_prices("claude-opus-4-20250514", {15, 75, 18.75, 30, 1.5});
  expect_prices("claude-sonnet-4-5-20250929", {3, 15, 3.75, 6, 0.3});
  expect_prices("claude-sonnet-4-20250514", {3, 15, 3.75, 6, 0.3});
  expect_prices("claude-3-7-sonnet-20250219", {3, 15, 3.75, 6, 0.3});
  expect_prices("claude-haiku-4-5-20251001", {1, 5, 1.25, 2, 0.1});
  expect_prices("claude-3-5-haiku-20241022", {0.8, 4, 1, 1.6, 0.08});
  expect_prices("claude-3-haiku-20240307", {0.25, 1.25, 0.3, 0.5, 0.03});
  expect_prices("claude-3-opus-20240229", {15, 75, 18.75, 30, 1.5});
  const auto* sonnet = table.find("claude-sonnet-4-5");
  ASSERT_TRUE(sonnet->long_context.has_value());
  EXPECT_EQ(sonnet->long_context->above_input_tokens, 200000);
  EXPECT_DOUBLE_EQ(sonnet->long_context->prices.input, 6);
  EXPECT_DOUBLE_EQ(sonnet->long_context->prices.output, 22.5);
  EXPECT_DOUBLE_EQ(sonnet->long_context->prices.cache_write_5m, 7.5);
  EXPECT_DOUBLE_EQ(sonnet->long_context->prices.cache_write_1h, 12);
  EXPECT_DOUBLE_EQ(sonnet->long_context->prices.cache_read, 0.6);
  EXPECT_FALSE(table.find("claude-opus-4-5")->long_context.has_value());
}

TEST(Prices, EmbeddedTableIsTheConfigFile) {
  std::cout << "checks: load_default() equals config/prices.json read from the source tree\n";
  std::ifstream file(PASSGATE_SOURCE_DIR "/config/prices.json");
  std::stringstream text;
  text << file.rdbuf();
  const auto from_file = price_table::from_json(text.str());
  EXPECT_EQ(from_file.size(), price_table::load_default().size());
  EXPECT_EQ(default_prices_json(), text.str());
}

TEST(Prices, PlainCost) {
  std::cout << "checks: 1000 input + 500 output tokens on Sonnet 4.5 cost $0.0105\n";
  const auto table = price_table::load_default();
  const auto cost = table.cost_usd(usage_of("claude-sonnet-4-5-20250929", 1000, 500));
  ASSERT_TRUE(cost.has_value());
  EXPECT_NEAR(*cost, 1000 * 3e-6 + 500 * 15e-6, 1e-12);
}

TEST(Prices, CacheWritesWithTheFiveMinuteAndOneHourSplit) {
  std::cout << "checks: cache writes priced per TTL when split, cache reads at the read rate (Opus 4.5)\n";
  auto u = usage_of("claude-opus-4-5-20251101", 100, 200);
  u.cache_creation_input_tokens = 3000;
  u.cache_creation_5m_input_tokens = 1000;
  u.cache_creation_1h_input_tokens = 2000;
  u.cache_read_input_tokens = 50000;
  const auto cost = price_table::load_default().cost_usd(u);
  ASSERT_TRUE(cost.has_value());
  EXPECT_NEAR(*cost, (100 * 5 + 200 * 25 + 1000 * 6.25 + 2000 * 10 + 50000 * 0.5) / 1e6, 1e-12);
}

TEST(Prices, CacheWritesWithoutSplitAreFiveMinuteWrites) {
  std::cout << "checks: without the split all cache writes are priced at the 5m rate; uncovered ones too\n";
  const auto table = price_table::load_default();
  auto u = usage_of("claude-haiku-4-5", 10, 20);
  u.cache_creation_input_tokens = 4000;
  EXPECT_NEAR(*table.cost_usd(u), (10 * 1 + 20 * 5 + 4000 * 1.25) / 1e6, 1e-12);
  // A split covering only part of the writes: the rest at the 5m rate.
  u.cache_creation_1h_input_tokens = 1000;
  EXPECT_NEAR(*table.cost_usd(u), (10 * 1 + 20 * 5 + 3000 * 1.25 + 1000 * 2) / 1e6, 1e-12);
}

TEST(Prices, LongContextTier) {
  std::cout << "checks: Sonnet 4.5 above 200k prompt tokens (input + cache) prices everything at the long-context rates\n";
  const auto table = price_table::load_default();
  auto u = usage_of("claude-sonnet-4-5", 150000, 1000);
  u.cache_read_input_tokens = 50000;  // exactly 200k: base rates
  EXPECT_NEAR(*table.cost_usd(u), (150000 * 3 + 1000 * 15 + 50000 * 0.3) / 1e6, 1e-9);
  u.cache_creation_input_tokens = 1;  // 200,001: long-context rates
  EXPECT_NEAR(*table.cost_usd(u), (150000 * 6 + 1000 * 22.5 + 50000 * 0.6 + 1 * 7.5) / 1e6, 1e-9);
  // Haiku 4.5 has no tier.
  u.model = "claude-haiku-4-5";
  EXPECT_NEAR(*table.cost_usd(u), (150000 * 1 + 1000 * 5 + 50000 * 0.1 + 1 * 1.25) / 1e6, 1e-9);
}

TEST(Prices, UnknownModelOrNoUsageIsNotPriced) {
  std::cout << "checks: unknown model, empty model or no usage seen → nullopt, never 0\n";
  const auto table = price_table::load_default();
  EXPECT_EQ(table.cost_usd(usage_of("mistral-large-2", 1000, 1000)), std::nullopt);
  EXPECT_EQ(table.cost_usd(usage_of("gpt-5.1", 1000, 1000)), std::nullopt);  // not gpt-5: "." is no boundary
  EXPECT_EQ(table.cost_usd(usage_of("", 1000, 1000)), std::nullopt);
  EXPECT_EQ(table.cost_usd(usage_of("claude-opus-4-7", 1000, 1000)), std::nullopt);  // not claude-opus-4-0
  usage_result no_usage;
  no_usage.model = "claude-sonnet-4-5";
  EXPECT_EQ(table.cost_usd(no_usage), std::nullopt);
}

TEST(Prices, LongestPrefixAtABoundary) {
  std::cout << "checks: exact id, else the longest id followed by '-' or '@'\n";
  const auto table = price_table::from_json(R"({"models": {
    "claude-sonnet-4": {"input": 1, "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1},
    "claude-sonnet-4-5": {"input": 2, "output": 2, "cache_write_5m": 2, "cache_write_1h": 2, "cache_read": 2},
    "claude-opus-4-1": {"input": 3, "output": 3, "cache_write_5m": 3, "cache_write_1h": 3, "cache_read": 3}}})");
  const auto input_price = [&](std::string_view model) {
    const auto* p = table.find(model);
    return p ? p->base.input : -1.0;
  };
  EXPECT_EQ(input_price("claude-sonnet-4-5"), 2);
  EXPECT_EQ(input_price("claude-sonnet-4-5-20250929"), 2);  // not claude-sonnet-4
  EXPECT_EQ(input_price("claude-sonnet-4-5@20250929"), 2);
  EXPECT_EQ(input_price("claude-sonnet-4-20250514"), 1);
  EXPECT_EQ(input_price("claude-sonnet-4-7"), 1);
  EXPECT_EQ(input_price("claude-sonnet-45"), -1);          // no boundary after the id
  EXPECT_EQ(input_price("claude-opus-4-10"), -1);          // not claude-opus-4-1
  EXPECT_EQ(input_price("claude-opus-4-1-20250805"), 3);
  EXPECT_EQ(input_price("claude-sonnet"), -1);
}

TEST(Prices, OverridesReplaceAndAdd) {
  std::cout << "checks: merge() replaces an entry (its aliases follow), adds new ids, refuses alias clashes\n";
  auto table = price_table::load_default();
  const auto before = table.size();
  table.merge(price_table::from_json(R"({"models": {
    "claude-sonnet-4-5": {"input": 2.5, "output": 12, "cache_write_5m": 3, "cache_write_1h": 5, "cache_read": 0.25},
    "my-finetune": {"input": 1, "output": 2, "cache_write_5m": 0, "cache_write_1h": 0, "cache_read": 0,
                    "aliases": ["my-finetune-v2"]}}})"));
  EXPECT_EQ(table.size(), before + 2);
  EXPECT_NEAR(*table.cost_usd(usage_of("claude-sonnet-4-5-20250929", 1000, 1000)), (2500 + 12000) / 1e6, 1e-12);
  EXPECT_NEAR(*table.cost_usd(usage_of("my-finetune-v2", 1e6, 1e6)), 3.0, 1e-12);
  // The built-in dated alias follows its overridden entry.
  EXPECT_EQ(table.find("claude-sonnet-4-5-20250929"), table.find("claude-sonnet-4-5"));

  // Overriding a dated alias makes it an entry of its own; the family keeps its price.
  table.merge(price_table::from_json(R"({"models": {"claude-haiku-4-5-20251001":
    {"input": 9, "output": 9, "cache_write_5m": 9, "cache_write_1h": 9, "cache_read": 9}}})"));
  EXPECT_EQ(table.find("claude-haiku-4-5-20251001")->base.input, 9);
  EXPECT_EQ(table.find("claude-haiku-4-5")->base.input, 1);
  EXPECT_EQ(table.size(), before + 2);

  // An override alias may not take over an existing entry's id.
  EXPECT_THROW(table.merge(price_table::from_json(R"({"models": {"mine":
    {"input": 1, "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1,
     "aliases": ["claude-opus-4-5"]}}})")),
               std::runtime_error);
}

TEST(Prices, BadInputNamesTheProblem) {
  std::cout << "checks: bad price JSON throws std::runtime_error naming the entry and field\n";
  const auto error_of = [](std::string_view json) -> std::string {
    try {
      price_table::from_json(json);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string ok = R"("input": 1, "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1)";
  EXPECT_NE(error_of("{\"models\": {").find("prices: JSON:"), std::string::npos);
  EXPECT_EQ(error_of("[]"), "prices: top level: expected an object");
  EXPECT_EQ(error_of("{}"), "prices: models: missing");
  EXPECT_EQ(error_of(R"({"models": {"m": {"input": 1}}})"), "prices: models.m.output: missing");
  EXPECT_EQ(error_of(R"({"models": {"m": {)" + ok + R"(, "ouput": 2}}})"), "prices: models.m.ouput: unknown field");
  EXPECT_EQ(error_of(R"({"models": {"m": {"input": -1, "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1}}})"),
            "prices: models.m.input: expected a price >= 0");
  EXPECT_EQ(error_of(R"({"models": {"m": {"input": "3", "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1}}})"),
            "prices: models.m.input: expected a number");
  EXPECT_EQ(error_of(R"({"models": {"m": {)" + ok + R"(, "long_context": {)" + ok + "}}}}"),
            "prices: models.m.long_context.above_input_tokens: missing");
  EXPECT_EQ(error_of(R"({"models": {"m": {)" + ok + R"(, "aliases": "x"}}})"),
            "prices: models.m.aliases: expected an array of model ids");
  EXPECT_EQ(error_of(R"({"models": {"m": {)" + ok + R"(}, "n": {)" + ok + R"(, "aliases": ["m"]}}})"),
            "prices: models.n: model id \"m\" is listed twice");
  EXPECT_EQ(error_of(R"({"models": {"m": {)" + ok + R"(, "note": 5}}})"), "prices: models.m.note: expected a string");
}

}  // namespace
}  // namespace passgate::usage
