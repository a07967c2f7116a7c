#pragma once
// Usage in Bedrock's streamed answers: each event-stream "chunk" message holds
// {"bytes":"<base64 of one Anthropic stream event>"}; the last event also
// carries "amazon-bedrock-invocationMetrics" with the token counts; an
// "exception" message names what went wrong.
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "usage/eventstream_reader.hpp"
#include "usage/usage_dialect.hpp"
#include "usage/usage_result.hpp"

namespace passgate::usage {

// Bedrock's answers: Anthropic's (invoke) as the Anthropic dialect reads them,
// and the Converse API's JSON with its camelCase `usage`.
const usage_dialect& bedrock_dialect();

// Converse's usage object: {"inputTokens","outputTokens","cacheReadInputTokens",
// "cacheWriteInputTokens"} (input excludes the cached parts, as in the rows).
void apply_converse_usage(const boost::json::object& usage, usage_result& out);

// One event-stream message: a chunk's Anthropic event read with `events`, a
// converse-stream `metadata` event's usage, an exception's type. `scratch` is
// reused between messages. False when a chunk's payload is not what Bedrock sends.
bool apply_bedrock_message(const eventstream_message& m, const usage_dialect& events, usage_result& out,
                           std::string& scratch);

}  // namespace passgate::usage
