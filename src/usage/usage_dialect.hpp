#pragma once
// How one provider's answers carry usage: which SSE events and which top-level
// JSON members the tap must capture, and how a captured text is read into a
// usage_result. The tap's framing (SSE, JSON, Bedrock's event stream) is the
// same for every provider; only these rules differ, so each provider is a
// table of plain functions, chosen per route.
#include <string_view>

#include "usage/usage_result.hpp"

namespace passgate::usage {

struct usage_dialect {
  std::string_view name;  // "anthropic", "openai", "gemini"
  // Whether the tap must keep an SSE event of this name ("" = no event: line).
  // Must depend on the name alone (the SSE reader remembers unwanted names).
  bool (*wants_event)(std::string_view name);
  // One captured event. False when its data should have been JSON and was not.
  bool (*apply_stream_event)(std::string_view name, std::string_view data, usage_result& out);
  // An event cut at the capture cap: whether it may have carried usage (then
  // the row is marked partial), guessed from its name and first bytes.
  bool (*may_carry_usage)(std::string_view name, std::string_view data_prefix);
  // Top-level members of a whole JSON answer the tap must keep.
  bool (*wants_member)(std::string_view key);
  // One such member's raw JSON value. False when it does not parse.
  bool (*apply_answer_member)(std::string_view key, std::string_view raw_value, usage_result& out);
};

}  // namespace passgate::usage
