#pragma once
// What a response cost: USD per million tokens for each model, as data
// (config/prices.json, built into the binary), which config may extend or
// override, and the arithmetic from a usage_result to dollars.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "usage/usage_result.hpp"

namespace passgate::usage {

struct token_prices {  // USD per million tokens
  double input = 0;
  double output = 0;
  double cache_write_5m = 0;
  double cache_write_1h = 0;
  double cache_read = 0;
};

struct long_context_tier {
  // Applies when input + cache write + cache read tokens exceed this, to every
  // token of the request, output included.
  std::int64_t above_input_tokens = 0;
  token_prices prices;
};

struct model_price {
  token_prices base;
  std::optional<long_context_tier> long_context;
};

// Cache writes: with the 5m/1h split, each part at its rate (creation tokens the
// split does not cover at the 5m rate); without it, all at the 5m rate.
double cost_usd(const model_price& price, const usage_result& usage);

class price_table {
 public:
  // {"models": {"<id>": {"input": 3, "output": 15, "cache_write_5m": 3.75,
  //   "cache_write_1h": 6, "cache_read": 0.3, "aliases": ["<id>", …],
  //   "long_context": {"above_input_tokens": 200000, "input": 6, …}, "note": "…"}},
  //  "note": "…"}
  // Throws std::runtime_error naming the entry and field on bad input.
  static price_table from_json(std::string_view json_text);
  // The table built from config/prices.json; needs no file at run time.
  static price_table load_default();

  // Each entry of `overrides` replaces the entry of that id (which its aliases
  // then follow) or is added; its aliases are added. Throws std::runtime_error
  // when an override alias names an entry here.
  void merge(const price_table& overrides);

  // The exact id, else the longest id in the table that `model` starts with
  // where a '-' or '@' follows it: "claude-sonnet-4-5-20250929" and
  // "claude-sonnet-4-5@20250929" find "claude-sonnet-4-5", "claude-opus-4-10"
  // does not find "claude-opus-4-1". nullptr when none.
  const model_price* find(std::string_view model) const;

  // nullopt when the model is unknown or no usage was seen: never 0 for unknown.
  std::optional<double> cost_usd(const usage_result& usage) const;
  // The same for a model named elsewhere (the request's path) than in `usage`.
  std::optional<double> cost_usd(std::string_view model, const usage_result& usage) const;

  std::size_t size() const noexcept { return models_.size() + aliases_.size(); }  // ids and aliases

 private:
  const model_price* exact(std::string_view id) const;

  std::map<std::string, model_price, std::less<>> models_;
  std::map<std::string, std::string, std::less<>> aliases_;  // alias → id in models_
};

}  // namespace passgate::usage
