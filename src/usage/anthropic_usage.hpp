#pragma once
// Where Anthropic answers carry usage, and how it is read into a usage_result.
// Input is JSON text the tap captured; unknown fields are ignored and a known
// field of the wrong type counts as absent.
#include <string_view>

#include "usage/usage_dialect.hpp"
#include "usage/usage_result.hpp"

namespace passgate::usage {

// Whether the tap must read an SSE event of this name ("": no event: line, so
// the data's "type" decides).
bool is_usage_event(std::string_view name);

// One event's data. message_start gives the model and usage, each message_delta
// cumulative usage (fields present override earlier ones), error its error.type;
// other types are ignored. False when the data is not a JSON object.
bool apply_stream_event(std::string_view name, std::string_view data, usage_result& out);

// The "type" of an event whose data was cut at the buffer cap, guessed from its
// first bytes; "" when not found.
std::string_view sniff_event_type(std::string_view data_prefix);

// Top-level members of a non-streaming answer the tap reads: model, usage, error
// (an error body) and input_tokens (a count_tokens answer).
bool is_answer_member(std::string_view key);

// One such member's raw JSON value. False when it does not parse.
bool apply_answer_member(std::string_view key, std::string_view raw_value, usage_result& out);

// The functions above as the tap's dialect (also Bedrock's: its chunks carry
// the same events).
const usage_dialect& anthropic_dialect();

}  // namespace passgate::usage
