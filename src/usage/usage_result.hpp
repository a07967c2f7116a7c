#pragma once
// What the usage tap learned from one response body. Field names are the API's.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace passgate::usage {

struct usage_result {
  std::string model;  // at most max_model_chars; empty: not seen
  std::optional<std::int64_t> input_tokens;
  std::optional<std::int64_t> output_tokens;
  std::optional<std::int64_t> cache_creation_input_tokens;
  std::optional<std::int64_t> cache_read_input_tokens;
  // usage.cache_creation.ephemeral_5m_input_tokens / ephemeral_1h_input_tokens
  std::optional<std::int64_t> cache_creation_5m_input_tokens;
  std::optional<std::int64_t> cache_creation_1h_input_tokens;
  // error.type of an `event: error` or of a JSON error body, e.g. "overloaded_error"
  std::string error_type;  // at most max_error_type_chars
  bool saw_usage = false;  // at least one usage number was found
  // Some input could not be understood (bad framing, bad JSON where usage was
  // expected, a decode error, a size cap passed): what is above may be partial.
  bool unparseable = false;

  friend bool operator==(const usage_result&, const usage_result&) = default;

  static constexpr std::size_t max_model_chars = 256;
  static constexpr std::size_t max_error_type_chars = 64;
};

}  // namespace passgate::usage
