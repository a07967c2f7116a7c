#pragma once
// Reading the small JSON texts the tap captures for providers whose usage is
// read with a document (OpenAI, Gemini, Bedrock's metrics): a per-thread
// parser with an in-object buffer, and the checked accessors every dialect
// uses. Anthropic's hot path has its own single-pass reader (usage_json.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "usage/usage_result.hpp"

namespace passgate::usage::json_document {

namespace json = boost::json;

// The root of `text`, or nullptr when it is not exactly one JSON text (invalid
// UTF-8 included). Valid until the next parse_value on this thread.
const json::value* parse_value(std::string_view text);

const json::value* member(const json::object& o, std::string_view key);
const json::object* object_member(const json::object& o, std::string_view key);
// A count: a non-negative integer that fits an int64; anything else (a string,
// a fraction, null, a negative number, no object) counts as absent.
std::optional<std::int64_t> count_member(const json::object* o, std::string_view key);
std::int64_t saturating_add(std::int64_t a, std::int64_t b);  // both >= 0

// A non-empty string fit for a row (no control characters); empty otherwise.
std::string_view row_text(const json::value* v);
// Replaces `field` with up to `cap` bytes of `text`, never cutting a UTF-8 sequence.
void assign_capped(std::string& field, std::string_view text, std::size_t cap);
void take_model(const json::value* v, usage_result& out);
// Sets `field` (and saw_usage) when `n` holds a count.
void set_count(std::optional<std::int64_t>& field, std::optional<std::int64_t> n, usage_result& out);

bool is_json_space(char c);
// Whether `text` holds `quoted_key` followed by ':' and '{' (white space
// allowed): an object member of that name, as far as a byte search can tell.
bool has_object_member(std::string_view text, std::string_view quoted_key);

}  // namespace passgate::usage::json_document
