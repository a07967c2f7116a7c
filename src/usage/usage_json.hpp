#pragma once
// Reads the values the tap wants from one small JSON text (an SSE event's data,
// or one top-level member of an answer) in a single checking pass, without
// building a document: the paths that matter are few and fixed, so each value
// is matched to its place as the reader meets it and everything else is passed
// over. A value of the wrong type at a known path counts as absent.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "usage/usage_result.hpp"

namespace passgate::usage {

// The token counts of one `usage` object.
struct usage_counts {
  std::optional<std::int64_t> input_tokens;
  std::optional<std::int64_t> output_tokens;
  std::optional<std::int64_t> cache_creation_input_tokens;
  std::optional<std::int64_t> cache_read_input_tokens;
  std::optional<std::int64_t> cache_creation_5m_input_tokens;  // cache_creation.ephemeral_5m_input_tokens
  std::optional<std::int64_t> cache_creation_1h_input_tokens;  // cache_creation.ephemeral_1h_input_tokens
};

struct usage_json {
  enum class root { none, object, string, count, other };
  root kind = root::none;

  // Strings longer than their cap are cut on a character boundary (a type that
  // long is not one the tap knows): the caps of the usage_result they go to.
  static constexpr std::size_t max_model_chars = usage_result::max_model_chars;
  static constexpr std::size_t max_short_chars = usage_result::max_error_type_chars;

  std::string type;           // "type" (an event's type)
  std::string message_model;  // "message"."model" (message_start)
  std::string error_type;     // "error"."type" (an error event), or "type" of an error member
  std::string root_string;    // the text itself is a string (the answer's "model" member)
  std::optional<std::int64_t> root_count;  // the text itself is a count ("input_tokens" member)
  usage_counts counts;          // counts at the top (the answer's "usage" member)
  usage_counts usage;           // "usage".* (message_delta)
  usage_counts message_usage;   // "message"."usage".* (message_start)
  bool has_message_model = false;
  bool has_error_type = false;
  bool has_root_string = false;

  // Parses `text` (one JSON value, white space around it allowed). False when
  // it is not valid JSON or nests deeper than 32; then nothing here is to be
  // trusted. Reuses this object's string capacity.
  bool read(std::string_view text);

 private:
  std::string key_buffer_;  // the reader's scratch space for keys
};

}  // namespace passgate::usage
